// txray-stackcheck: judges a trace of tests/vm/nic/stack.sh (devices stacked
// on a real NIC, recorded on every device by tests/vm/nic-trace.sh --then)
// against nic0's own counter. Prints one "TXRAY-VM-TEST: PASS|FAIL|SKIP
// <name> ..." line per check and "TXRAY-VM-INFO: ..." lines.
//
//   txray-stackcheck NAME TRACE.json DIR     (DIR: the files stack.sh wrote to $OUT)
//
// For each scenario of $OUT/stack-windows ("vlan", "gre", "wg", "ipvlan",
// "geneve", "ipip"), within its
// window (nic0's tx_packets read before and after, quiet on both sides):
//   NAME.S.exact  the records whose nic0 hop's driver_xmit is in the window
//                 add up to the counter's rise, each once, each with nic0 as
//                 its last hop and driver_xmit <= xmit_done <= free there (its
//                 TX completion), and no record started on the scenario's
//                 device without reaching nic0
//   NAME.S.ping   the ping's echo requests, and
//   NAME.S.udp    txray-testsend's datagrams to port 9300 (all received in
//                 `peer`): as many as each sent, on its pid with its send,
//                 each one record with exactly the scenario's hops
//                 (vlan100, bond0, nic0 / gre1, nic0 / wg0, nic0 / ipvl0,
//                 nic0 / gnv0, nic0 / ipip1, nic0), the inner flow at hop 0
//                 and, on nic0's hop, the outer headers where the device adds
//                 them (GRE: proto 47; WireGuard: UDP 51820; Geneve: UDP
//                 6081; IPIP: proto 4; all 10.250.0.1 -> 10.250.0.2); for
//                 GRE, Geneve and IPIP, where hop 0 has ip_local_out, nic0's
//                 hop has the outer ip_local_out, ip_output and neigh_output
//                 before its dev_queue_xmit
// and "wgtcp": TCP over wg0, whose GSO skbs WireGuard segments into new
// skbs, each linked to its GSO skb (encap_of) with its process.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "packet.h"
#include "trace_reader.h"
#include "check_common.h"

using namespace txray;
using namespace txray::niccheck;

namespace {

struct Scenario {
    std::string name;
    std::vector<std::string> path;  // the hops an echo request must have
    std::string daddr;              // the inner destination
    std::uint8_t outer_proto = 0;   // on nic0's hop (0: the inner headers unchanged)
    std::uint16_t outer_dport = 0;
};

const std::vector<Scenario> kScenarios = {
    {"vlan", {"vlan100", "bond0", "nic0"}, "10.251.0.2", 0, 0},
    {"gre", {"gre1", "nic0"}, "10.252.0.2", 47, 0},
    {"wg", {"wg0", "nic0"}, "10.253.0.2", 17, 51820},
    {"ipvlan", {"ipvl0", "nic0"}, "10.254.0.2", 0, 0},
    {"geneve", {"gnv0", "nic0"}, "10.248.0.2", 17, 6081},
    {"ipip", {"ipip1", "nic0"}, "10.247.0.2", 4, 0},
};

// The stamp of `s` on hop k (0: none).
std::uint64_t stamp_on(const Packet& p, Stage s, std::size_t k) {
    for (const StageMark& m : p.stages)
        if (m.stage == s && m.hop == k) return m.ts_ns;
    return 0;
}
std::optional<std::size_t> nic0_hop(const Packet& p) {
    for (std::size_t k = 0; k < p.hops.size(); ++k)
        if (p.hops[k].ifname == "nic0") return k;
    return std::nullopt;
}
std::string path_of(const Packet& p) {
    std::string s;
    for (const Hop& h : p.hops) s += (s.empty() ? "" : ",") + h.ifname;
    return "[" + s + "]";
}

void check_window(const Trace& t, const Scenario& sc, std::uint64_t from, std::uint64_t to, long long counted) {
    // The guest's root namespace: nic0's (the peer has its own gre1).
    std::uint32_t root_ns = 0;
    for (const Packet& p : t.packets)
        if (const auto k = nic0_hop(p); k && !root_ns) root_ns = p.hops[*k].netns;
    std::uint64_t at_free = 0;
    int not_last = 0, not_completed = 0, dup = 0, orphans = 0;
    std::string example;
    std::set<std::uint64_t> ids;
    for (const Packet& p : t.packets) {
        const auto k = nic0_hop(p);
        if (!k) {
            // Started on the scenario's device within the window but never reached nic0.
            const std::uint64_t first = p.first_ts();
            if (!p.hops.empty() && p.hops[0].ifname == sc.path[0] && p.hops[0].netns == root_ns && first >= from &&
                first <= to) {
                ++orphans;
                if (example.empty()) example = " e.g. packet " + std::to_string(p.id) + " " + path_of(p);
            }
            continue;
        }
        const std::uint64_t dx = stamp_on(p, Stage::driver_xmit, *k);
        if (dx < from || dx > to) continue;
        if (!ids.insert(p.id).second) ++dup;
        const std::uint64_t done = stamp_on(p, Stage::xmit_done, *k), fr = stamp_on(p, Stage::free, *k);
        if (*k + 1 != p.hops.size()) ++not_last;
        if (p.outcome == OutcomeKind::sent && done && fr && dx <= done && done <= fr) {
            ++at_free;
        } else {
            ++not_completed;
            if (example.empty()) example = " e.g. packet " + std::to_string(p.id) + " " + p.outcome_string() + " " + path_of(p);
        }
    }
    const std::string detail = std::to_string(at_free) + " records ended at nic0's TX completion vs tx_packets +" +
                               std::to_string(counted) + ", " + std::to_string(not_completed) + " not, " +
                               std::to_string(not_last) + " with nic0 not the last hop, " + std::to_string(orphans) +
                               " from " + sc.path[0] + " not reaching nic0, " + std::to_string(dup) + " ids twice";
    const bool ok = counted > 0 && static_cast<long long>(at_free) == counted && !not_completed && !not_last &&
                    !orphans && !dup;
    verdict(ok ? "PASS" : "FAIL", sc.name + ".exact", detail + (ok ? "" : example));
}

// The packets one sender made in a scenario: `sent` of them (its own count),
// each one record on its pid with its send and the scenario's path.
struct Sender {
    std::string what, comm;
    long long pid = -1, sent = -1;
    std::uint8_t proto = 0;  // 1: ICMP echo requests; 17: UDP to `dport`
    std::uint16_t dport = 0;
};

// A tunnel that sends the same skb on with outer headers (GRE, Geneve, IPIP
// from inside their xmit; WireGuard from its kworker after wg_xmit returned:
// iptunnel_xmit -> ip_local_out): where the kernel gives the inner packet
// its IP stages (fentry/kprobe), nic0's hop has the outer ones, in order,
// before its queue.
bool outer_ip_stages_ok(const Packet& p, const Scenario& sc) {
    if (!sc.outer_proto || !stamp_on(p, Stage::ip_local_out, 0)) return true;
    const std::size_t k = sc.path.size() - 1;
    const std::uint64_t lo = stamp_on(p, Stage::ip_local_out, k), out = stamp_on(p, Stage::ip_output, k),
                        neigh = stamp_on(p, Stage::neigh_output, k), queued = stamp_on(p, Stage::dev_queue_xmit, k);
    return lo && out && neigh && queued && lo <= out && out <= neigh && neigh <= queued;
}

bool on_path(const Packet& p, const Scenario& sc) {
    static const auto under_s = addr_from_string(4, "10.250.0.1"), under_d = addr_from_string(4, "10.250.0.2");
    bool ok = p.send_id && p.hops.size() == sc.path.size();
    for (std::size_t k = 0; ok && k < sc.path.size(); ++k) ok = p.hops[k].ifname == sc.path[k];
    if (ok && sc.outer_proto) {
        const auto& f = p.hops.back().flow;
        ok = f && f->proto == sc.outer_proto && f->saddr == *under_s && f->daddr == *under_d &&
             (!sc.outer_dport || f->dport == sc.outer_dport);
    } else if (ok) {
        for (const Hop& h : p.hops) ok = ok && (!h.flow || *h.flow == p.flow);
    }
    return ok && stamp_on(p, Stage::free, sc.path.size() - 1) && p.outcome == OutcomeKind::sent &&
           outer_ip_stages_ok(p, sc);
}

void check_path(const Trace& t, const Scenario& sc, const Sender& who) {
    const auto daddr = addr_from_string(4, sc.daddr);
    int seen = 0, good = 0;
    std::string example;
    for (const Packet& p : t.packets) {
        if (p.flow.proto != who.proto || p.flow.daddr != *daddr || static_cast<long long>(p.pid) != who.pid) continue;
        if (who.proto == 1 ? !p.flow.has_icmp || p.flow.icmp_type != 8 : p.flow.dport != who.dport) continue;
        ++seen;
        const bool ok = p.comm == who.comm && on_path(p, sc);
        good += ok;
        if (!ok && example.empty()) {
            example = " e.g. packet " + std::to_string(p.id) + " " + path_of(p) + " " + p.outcome_string();
            if (!p.hops.empty() && p.hops.back().flow) example += " outer " + flow_to_string(*p.hops.back().flow);
        }
    }
    std::string want;
    for (const auto& d : sc.path) want += (want.empty() ? "" : ",") + d;
    const std::string detail = std::to_string(good) + "/" + std::to_string(seen) + " " + who.what + " on " + who.comm +
                               "'s pid " + std::to_string(who.pid) + " with its send, hops [" + want + "]" +
                               (sc.outer_proto ? ", outer proto " + std::to_string(sc.outer_proto) : "") +
                               (sc.outer_proto ? " and the outer IP stages on nic0's hop" : "") +
                               ", ended at nic0's free; it sent " + std::to_string(who.sent);
    const bool ok = who.sent > 0 && seen == who.sent && good == who.sent;
    verdict(ok ? "PASS" : "FAIL", sc.name + "." + (who.proto == 1 ? "ping" : "udp"), detail + (ok ? "" : example));
}

// txray-testsend's "sent N failed M" and the receiver's "PORT COUNT BYTES".
Sender udp_sender(const std::string& dir, const std::string& name) {
    Sender u{"UDP datagrams", "txray-testsend", -1, -1, 17, 9300};
    u.pid = std::atoll(read_first(dir + "/" + name + "-udp.pid").c_str());
    std::ifstream sent(dir + "/" + name + "-udp.txt"), got(dir + "/" + name + "-recv.txt");
    std::string word;
    long long failed = -1, count = -1;
    sent >> word >> u.sent >> word >> failed;
    while (got >> word && word != "9300") {}
    got >> count;
    if (failed != 0 || count != u.sent) u.sent = -1;  // the datagrams did not all arrive
    return u;
}

// TCP over WireGuard: wg_xmit segments a GSO skb (skb_gso_segment) into new
// skbs and consumes it; the kworker sends the encrypted segments, records of
// their own on nic0 that carry the GSO skb's id (encap_of) and its process
// (bpf/encap.bpf.h). Checked: every GSO skb httpd sent that ended on wg0 has
// exactly its gso_segs records linked to it, each on httpd's pid, and no
// record is linked to anything else; no TCP skb that is not GSO (a SYN, an
// ACK, a short write: the same skb over [wg0, nic0]) is left unfinished on
// wg0 or on the client's wg1. Counted, not failed: the tunnel records
// without a link or process (handshakes, keepalives, ACKs the kernel made).
void check_wg_tcp(const Trace& t, std::uint64_t from, std::uint64_t to, long long counted) {
    std::map<std::uint64_t, const Packet*> parents;  // id -> the GSO skb that ended on wg0
    for (const Packet& p : t.packets)
        if (p.first_ts() >= from && p.first_ts() <= to && p.hops.size() == 1 && p.ifname == "wg0" &&
            p.comm == "httpd" && p.gso_segs > 1)
            parents[p.id] = &p;
    int unfollowed = 0;
    for (const Packet& p : t.packets)
        unfollowed += p.first_ts() >= from && p.first_ts() <= to && (p.ifname == "wg0" || p.ifname == "wg1") &&
                      p.flow.proto == 6 && p.gso_segs <= 1 && p.outcome == OutcomeKind::unfinished;
    std::map<std::uint64_t, int> children;
    int on_nic0 = 0, linked = 0, same_skb = 0, unlinked = 0, bad = 0;
    std::string example;
    for (const Packet& p : t.packets) {
        const auto k = nic0_hop(p);
        if (!k) continue;
        const std::uint64_t dx = stamp_on(p, Stage::driver_xmit, *k);
        if (dx < from || dx > to) continue;
        ++on_nic0;
        const Flow& f = p.hops[*k].flow ? *p.hops[*k].flow : p.flow;
        if (f.proto != 17 || (f.dport != 51820 && f.sport != 51820)) continue;  // not the tunnel (ARP)
        const auto par = parents.find(p.encap_of);
        if (p.encap_of && par != parents.end() && p.pid == par->second->pid && p.comm == "httpd") {
            ++linked;
            ++children[p.encap_of];
        } else if (!p.encap_of && p.hops.size() == 2 && p.hops[0].ifname == "wg0" && p.pid) {
            ++same_skb;
        } else if (!p.encap_of && !p.pid) {
            ++unlinked;
        } else {
            ++bad;
            if (example.empty())
                example = " e.g. packet " + std::to_string(p.id) + " " + path_of(p) + " pid " + std::to_string(p.pid) +
                          " encap_of " + std::to_string(p.encap_of) + " len " + std::to_string(p.len);
        }
    }
    int segs = 0, exact = 0;
    for (const auto& [id, p] : parents) {
        segs += p->gso_segs;
        exact += children[id] == p->gso_segs;
    }
    const std::string detail = std::to_string(parents.size()) + " GSO skbs from httpd ended on wg0 (" +
                               std::to_string(segs) + " segments), " + std::to_string(exact) +
                               " with exactly their gso_segs records linked (encap_of, httpd's pid), " +
                               std::to_string(linked) + " linked, " + std::to_string(same_skb) +
                               " the same skb over [wg0,nic0], " + std::to_string(bad) + " linked wrongly, " +
                               std::to_string(unlinked) + " tunnel records without a link or process, " +
                               std::to_string(unfollowed) + " TCP skbs not GSO left unfinished on wg0/wg1; " +
                               std::to_string(on_nic0) + " records left nic0 vs tx_packets +" + std::to_string(counted);
    const bool ok = !parents.empty() && exact == static_cast<int>(parents.size()) && linked == segs && !bad &&
                    !unfollowed && on_nic0 == counted;
    verdict(ok ? "PASS" : "FAIL", "wgtcp", detail + (ok ? "" : example));
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<Trace> trace = open_trace(argc, argv, "txray-stackcheck");
    if (!trace) return argc == 4 ? 1 : 2;
    const Trace& t = *trace;
    const std::string dir = argv[3];
    // Only WireGuard's segments of a GSO skb are new skbs (encap_of): say how many.
    const auto n = std::count_if(t.packets.begin(), t.packets.end(), [](const Packet& p) { return p.encap_of; });
    info(std::to_string(n) + " records with encap_of");
    std::ifstream windows(dir + "/stack-windows");
    std::string line;
    std::set<std::string> seen;
    while (std::getline(windows, line)) {
        std::istringstream in(line);
        std::string name, start;
        in >> name >> start;
        const Scenario* sc = nullptr;
        for (const Scenario& s : kScenarios)
            if (s.name == name) sc = &s;
        if (sc) seen.insert(name);
        if (start == "skip") {
            std::string why;
            std::getline(in, why);
            // What the guest's kernel or userland lacks is said, not failed;
            // a failed setup is a failure.
            verdict(why.find("setup failed") == std::string::npos ? "SKIP" : "FAIL", name, why);
            info(name + ": not run:" + why);
            continue;
        }
        // "NAME START END TX_BEFORE TX_AFTER"
        double end = 0;
        long long before = -1, after = -1;
        in >> end >> before >> after;
        const std::uint64_t from = static_cast<std::uint64_t>(std::atof(start.c_str()) * 1e9),
                            to = static_cast<std::uint64_t>(end * 1e9);
        const long long counted = before >= 0 && after >= 0 ? after - before : -1;
        if (name == "wgtcp") check_wg_tcp(t, from, to, counted);
        if (!sc) continue;
        check_window(t, *sc, from, to, counted);
        check_path(t, *sc,
                   {"echo requests", "ping", std::atoll(read_first(dir + "/" + name + "-ping.pid").c_str()),
                    ping_sent(dir + "/" + name + "-ping.txt"), 1, 0});
        check_path(t, *sc, udp_sender(dir, name));
    }
    for (const Scenario& s : kScenarios)
        if (!seen.count(s.name)) verdict("FAIL", s.name, "no window in " + dir + "/stack-windows (stack.sh did not run it)");
    return g_failed ? 1 : 0;
}
