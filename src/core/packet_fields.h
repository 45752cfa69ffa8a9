// The packet line's JSON fields (docs/trace-format.md), declared once: the
// writer (packet_json.cpp), its length bound, the DOM reader
// (trace_parse_dom.cpp) and the fast reader (trace_parse_fast.cpp) are all
// expansions of this table. A field added here is written, bounded and read
// by both readers; one whose kind is `custom` names four functions
// (write_ID, bound_ID, dom_ID, fast_ID) that each consumer must define, so a
// missing one does not compile.
//
// X(scope, id, "key", kind, member, written_when, need, seen, since)
//   scope         the object holding the field: packet, or the id of an
//                 `object` field (flow, frag, tcp, qdisc, gso, bql)
//   id            unique name (functions and enumerators are made from it)
//   kind          num      an integer, std::to_chars
//                 hex      "0x..." (a reader takes a plain number too)
//                 str      a JSON string
//                 flag     `true`, written only when set
//                 boolean  `true` or `false`, always written
//                 object   a nested object: the fields whose scope is `id`
//                 custom   written and read by the functions named above
//   member        the Packet member it holds, as an expression on `p`
//                 (object: the flag its presence sets; `none` for nothing)
//   written_when  an expression on `p`: false leaves the key out
//   need          required: a line without it is not a packet
//                 optional: absent or null reads as the member's default
//   seen          a Packet member set true when the key is read (`none`)
//   since         the trace format version that added it
// Fields are written in table order; readers take any order.
//
// The stage objects in "stages" (name, ts_ns, dt_ns, hop, rc, reason, at,
// ret) are one custom field: their keys depend on the stage (packet_json.cpp).
// So are the hop objects in "hops" (ifname, ifindex, netns, flow, headers):
// a hop's flow is the flow scope's fields again, read and written through a
// scratch packet.
#pragma once
#include <cstddef>
#include <string_view>

#define TXR_PACKET_FIELDS(X)                                                                        \
    X(packet, type,          "type",          custom,  none,            true,              required, none,             "1.0") \
    X(packet, id,            "id",            num,     p.id,            true,              required, none,             "1.0") \
    X(packet, skb,           "skb",           hex,     p.skb,           true,              optional, none,             "1.0") \
    X(packet, send,          "send",          num,     p.send_id,       true,              optional, none,             "1.0") \
    X(packet, msg,           "msg",           num,     p.msg_index,     true,              optional, none,             "1.0") \
    X(packet, syscall,       "syscall",       str,     p.send_syscall,  !p.send_syscall.empty(), optional, none,        "1.4") \
    X(packet, parent,        "parent",        num,     p.parent_id,     p.parent_id,       optional, none,             "1.0") \
    X(packet, pid,           "pid",           num,     p.pid,           true,              required, none,             "1.0") \
    X(packet, tid,           "tid",           num,     p.tid,           true,              required, none,             "1.0") \
    X(packet, comm,          "comm",          str,     p.comm,          true,              required, none,             "1.0") \
    X(packet, cgroup,        "cgroup",        num,     p.cgroup_id,     true,              optional, none,             "1.0") \
    X(packet, netns,         "netns",         num,     p.netns,         true,              optional, none,             "1.0") \
    X(packet, ifname,        "ifname",        str,     p.ifname,        true,              required, none,             "1.0") \
    X(packet, ifindex,       "ifindex",       num,     p.ifindex,       true,              optional, none,             "1.0") \
    X(packet, queue,         "queue",         num,     p.queue,         true,              optional, none,             "1.0") \
    X(packet, len,           "len",           num,     p.len,           true,              required, none,             "1.0") \
    X(packet, flow,          "flow",          object,  none,            true,              required, none,             "1.0") \
    X(flow,   family,        "family",        num,     p.flow.family,   true,              required, none,             "1.0") \
    X(flow,   proto,         "proto",         custom,  p.flow.proto,    true,              required, none,             "1.0") \
    X(flow,   saddr,         "saddr",         custom,  p.flow.saddr,    true,              optional, none,             "1.0") \
    X(flow,   daddr,         "daddr",         custom,  p.flow.daddr,    true,              optional, none,             "1.0") \
    X(flow,   sport,         "sport",         num,     p.flow.sport,    true,              optional, none,             "1.0") \
    X(flow,   dport,         "dport",         num,     p.flow.dport,    true,              optional, none,             "1.0") \
    X(flow,   icmp_type,     "icmp_type",     num,     p.flow.icmp_type, p.flow.has_icmp,  optional, p.flow.has_icmp,  "1.1") \
    X(flow,   icmp_code,     "icmp_code",     num,     p.flow.icmp_code, p.flow.has_icmp,  optional, none,             "1.1") \
    X(flow,   ethertype,     "ethertype",     num,     p.flow.ethertype, p.flow.ethertype, optional, none,             "1.1") \
    X(packet, frag,          "frag",          object,  p.fragment,      p.fragment,        optional, none,             "1.0") \
    X(frag,   frag_offset,   "offset",        num,     p.frag_offset,   true,              optional, none,             "1.0") \
    X(frag,   frag_more,     "more",          boolean, p.frag_more,     true,              optional, none,             "1.0") \
    X(packet, requeues,      "requeues",      num,     p.requeues,      p.requeues,        optional, none,             "1.0") \
    X(packet, sock,          "sock",          hex,     p.sock,          p.sock,            optional, none,             "1.1") \
    X(packet, tcp,           "tcp",           object,  p.has_tcp,       p.has_tcp,         optional, none,             "1.1") \
    X(tcp,    tcp_seq,       "seq",           num,     p.tcp_seq,       true,              optional, none,             "1.1") \
    X(tcp,    tcp_end_seq,   "end_seq",       num,     p.tcp_end_seq,   true,              optional, none,             "1.1") \
    X(tcp,    tcp_flags,     "flags",         num,     p.tcp_flags,     true,              optional, none,             "1.1") \
    X(packet, retransmit,    "retransmit",    flag,    p.retransmit,    p.retransmit,      optional, none,             "1.1") \
    X(packet, retransmit_of, "retransmit_of", num,     p.retransmit_of, p.retransmit,      optional, none,             "1.1") \
    X(packet, send_by_seq,   "send_by_seq",   flag,    p.send_by_seq,   p.send_by_seq,     optional, none,             "1.1") \
    X(packet, gso_segment,   "gso_segment",   flag,    p.gso_segment,   p.gso_segment,     optional, none,             "1.1") \
    X(packet, qdisc,         "qdisc",         object,  p.has_qdisc,     p.has_qdisc,       optional, none,             "1.1") \
    X(qdisc,  qdisc_backlog, "backlog",       num,     p.qdisc_backlog, true,              optional, none,             "1.1") \
    X(qdisc,  qdisc_qlen,    "qlen",          num,     p.qdisc_qlen,    true,              optional, none,             "1.1") \
    X(packet, gso,           "gso",           object,  none,            p.gso_segs > 1,    optional, none,             "1.1") \
    X(gso,    gso_segs,      "segs",          num,     p.gso_segs,      true,              optional, none,             "1.1") \
    X(gso,    gso_size,      "size",          num,     p.gso_size,      true,              optional, none,             "1.1") \
    X(packet, bql,           "bql",           object,  p.has_bql,       p.has_bql,         optional, none,             "1.2") \
    X(bql,    bql_inflight,  "inflight",      num,     p.bql_inflight,  true,              optional, none,             "1.2") \
    X(bql,    bql_limit,     "limit",         num,     p.bql_limit,     true,              optional, none,             "1.2") \
    X(packet, stopped_by_driver, "stopped_by_driver", flag, p.stopped_by_driver, p.stopped_by_driver, optional, none, "1.2") \
    X(packet, stopped_by_bql, "stopped_by_bql", flag,  p.stopped_by_bql,  p.stopped_by_bql,  optional, none,             "1.2") \
    X(packet, hops,          "hops",          custom,  p.hops,          p.hops.size() > 1, optional, none,             "1.3") \
    X(packet, encap_of,      "encap_of",      num,     p.encap_of,      p.encap_of,        optional, none,             "1.3") \
    X(packet, end_cpu,       "end_cpu",       num,     p.end_cpu,       p.end_cpu >= 0,    optional, none,             "1.6") \
    X(packet, end_context,   "end_context",   str,     p.end_context,   !p.end_context.empty(), optional, none,       "1.6") \
    X(packet, outcome,       "outcome",       custom,  p.outcome,       true,              required, none,             "1.0") \
    X(packet, errno_name,    "errno",         custom,  p.send_errno,    !p.send_errno.empty(), optional, none,       "1.0") \
    X(packet, headers,       "headers",       custom,  p.headers,       !p.headers.empty(), optional, none,           "1.1") \
    X(packet, stages,        "stages",        custom,  p.stages,        true,              required, none,             "1.0")

namespace txray::packet_fields {

// The scopes (objects) fields live in.
enum class Scope { packet, flow, frag, tcp, qdisc, gso, bql };

// One enumerator per field, in table order.
enum class Id {
#define TXR_PF_ENUM(scope, id, key, kind, member, when, need, seen, since) id,
    TXR_PACKET_FIELDS(TXR_PF_ENUM)
#undef TXR_PF_ENUM
        count_
};
constexpr std::size_t kCount = static_cast<std::size_t>(Id::count_);

struct Info {
    Scope scope;
    const char* key;
    bool required;  // by the readers
    bool always;    // written on every packet (written_when is `true`)
    const char* since;
};
#define TXR_PF_NEED_required 1
#define TXR_PF_NEED_optional 0
// Every field, in table order (tests hold the docs and the schema to it).
inline constexpr Info kFields[kCount] = {
#define TXR_PF_INFO(scope, id, key, kind, member, when, need, seen, since) \
    {Scope::scope, key, TXR_PF_NEED_##need == 1, std::string_view(#when) == "true", since},
    TXR_PACKET_FIELDS(TXR_PF_INFO)
#undef TXR_PF_INFO
};

}  // namespace txray::packet_fields
