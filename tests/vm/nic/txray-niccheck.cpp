// txray-niccheck: judges a trace of tests/vm/nic/traffic.sh recorded by
// tests/vm/nic-trace.sh on a real (emulated) NIC, against what the guest
// counted. Prints one "TXRAY-VM-TEST: PASS|FAIL|SKIP <name> ..." line per check
// and "TXRAY-VM-INFO: ..." lines with the measured figures.
//
//   txray-niccheck NAME TRACE.json DIR     (DIR: the files traffic.sh wrote to $OUT)
//
// Checks:
//   NAME.exact     every packet nic0's tx_packets counted is in the trace once:
//                  the records that ended at `free` add up to the counter's
//                  rise; no packet the driver took ended otherwise (a drop
//                  before the driver, e.g. CoDel's in fq_codel under load, is
//                  allowed and counted); every record on nic0
//   NAME.free      each of those has driver_xmit, xmit_done, free in that order
//                  (or, with two CPUs, driver_xmit then free on another CPU
//                  than the sender's, before net_dev_xmit: no xmit_done)
//   NAME.ping      the echo requests: as many as each ping sent, all on its pid
//                  with a send
//   NAME.tcp       each HTTP connection's data: every byte of the sequence
//                  space from the SYN-ACK to the FIN in a traced segment that
//                  reached the wire, no byte in two that are not marked as
//                  retransmissions, all on the socket httpd wrote to; the
//                  1 MiB download carried the file and its header
//   NAME.smp       (a boot with two CPUs) the echoes of a ping pinned to CPU 0
//                  with nic0's interrupts on CPU 1: as many as it sent, each
//                  made on CPU 0 and ended at free on CPU 1 (end_cpu)
//   NAME.coalesce  ethtool -C took effect and the echoes still end at free
//   NAME.shrunk    with the TX ring shrunk under load, the packets that stopped
//                  the queue or were requeued (info when none did: the load
//                  one TCG vCPU makes does not always fill the ring)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "duration.h"
#include "packet.h"
#include "stats.h"
#include "trace_reader.h"
#include "check_common.h"

using namespace txray;
using namespace txray::niccheck;

namespace {

// "key value..." lines of a file: key -> the rest of the line.
std::map<std::string, std::string> read_keys(const std::string& path) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto sp = line.find(' ');
        if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
    }
    return out;
}
long long number(const std::string& s) { return s.empty() ? -1 : std::atoll(s.c_str()); }
std::uint64_t ts_of(const Packet& p, Stage s) {
    const StageMark* m = p.find(s);
    return m ? m->ts_ns : 0;
}

// Phases from $OUT/phases ("name uptime-seconds"): the phase a packet's
// driver_xmit falls in.
struct Phases {
    std::vector<std::pair<std::uint64_t, std::string>> starts;
    std::string at(std::uint64_t ns) const {
        std::string name = "-";
        for (const auto& [t, n] : starts)
            if (ns >= t) name = n;
        return name;
    }
};
Phases read_phases(const std::string& path) {
    Phases ph;
    std::ifstream in(path);
    std::string name;
    double secs;
    while (in >> name >> secs) ph.starts.push_back({static_cast<std::uint64_t>(secs * 1e9), name});
    return ph;
}

std::string percentiles(const Samples& s) {
    if (s.empty()) return "none";
    return "p50 " + format_duration_ns(s.percentile(0.5)) + " p99 " + format_duration_ns(s.percentile(0.99)) +
           " max " + format_duration_ns(s.max());
}

void check_exact(const Trace& t, long long counted) {
    std::uint64_t segments = 0, freed = 0, unfinished = 0, consumed = 0, qdisc_drops = 0;
    std::map<std::string, int> other;
    std::set<std::uint64_t> ids;
    int dup = 0, off_dev = 0;
    for (const Packet& p : t.packets) {
        if (!ids.insert(p.id).second) ++dup;
        if (p.ifname != "nic0") ++off_dev;
        if (p.outcome == OutcomeKind::sent && p.find(Stage::free)) {
            ++freed;
            segments += p.gso_segs > 1 ? p.gso_segs : 1;
        } else if (p.outcome == OutcomeKind::unfinished) {
            ++unfinished;
        } else if (p.outcome == OutcomeKind::consumed && !p.find(Stage::driver_xmit)) {
            ++consumed;  // a GSO skb replaced by its software segments
        } else if (p.outcome == OutcomeKind::dropped && !p.find(Stage::driver_xmit)) {
            ++qdisc_drops;  // never reached the device: not in tx_packets
        } else {
            ++other[p.outcome_string()];
        }
    }
    std::string others;
    for (const auto& [k, n] : other) others += " " + k + "×" + std::to_string(n);
    const std::string detail = std::to_string(freed) + " packets ended at free (" + std::to_string(segments) +
                               " wire segments) vs tx_packets +" + std::to_string(counted) + ", " +
                               std::to_string(unfinished) + " unfinished, " + std::to_string(consumed) +
                               " consumed by GSO, " + std::to_string(qdisc_drops) + " dropped before the driver";
    if (counted >= 0 && static_cast<long long>(freed) == counted && other.empty() && !dup && !off_dev && freed)
        pass("exact", detail);
    else
        fail("exact", detail + (others.empty() ? "" : ", other outcomes:" + others) + ", " + std::to_string(dup) +
                          " ids twice, " + std::to_string(off_dev) + " not on nic0");
}

void check_free_order(const Trace& t) {
    int ok = 0, bad = 0, early = 0;
    std::string first_bad;
    for (const Packet& p : t.packets) {
        if (p.outcome != OutcomeKind::sent || !p.find(Stage::free)) continue;
        const auto dx = ts_of(p, Stage::driver_xmit), done = ts_of(p, Stage::xmit_done), fr = ts_of(p, Stage::free);
        // Two CPUs: the device may complete the packet and the clean-up free
        // it on the interrupt's CPU before ndo_start_xmit has returned on the
        // sender's; its net_dev_xmit then comes after the record ended.
        const bool freed_elsewhere_first =
            !done && p.ended_on_other_cpu();
        if (dx && done && dx <= done && done <= fr && p.stages.back().stage != Stage::xmit_done) {
            ++ok;
        } else if (dx && dx <= fr && freed_elsewhere_first) {
            ++ok, ++early;
        } else {
            ++bad;
            if (first_bad.empty()) first_bad = " e.g. packet " + std::to_string(p.id);
        }
    }
    if (!bad && ok)
        pass("free", std::to_string(ok) + " packets: driver_xmit, xmit_done, then free (" + std::to_string(early) +
                         " freed on another CPU before their ndo_start_xmit returned: no xmit_done)");
    else fail("free", std::to_string(bad) + " of " + std::to_string(ok + bad) + " not driver_xmit <= xmit_done <= free" + first_bad);
}

void check_ping(const Trace& t, const std::string& dir) {
    for (const char* run : {"ping", "ping-coalesce"}) {
        const long long pid = number(read_first(dir + "/" + run + ".pid"));
        const long long sent = ping_sent(dir + "/" + run + ".txt");
        int echoes = 0, on_pid = 0;
        for (const Packet& p : t.packets) {
            if (p.flow.proto != 1 || !p.flow.has_icmp || p.flow.icmp_type != 8) continue;
            if (static_cast<long long>(p.pid) != pid) continue;
            ++echoes;
            on_pid += p.send_id != 0 && p.comm == "ping";
        }
        const std::string detail = std::to_string(echoes) + " echo requests on ping's pid " + std::to_string(pid) +
                                   " (" + std::to_string(on_pid) + " with its send), ping sent " + std::to_string(sent);
        if (sent > 0 && echoes == sent && on_pid == sent) pass(std::string(run == std::string("ping") ? "ping" : "ping2"), detail);
        else fail(std::string(run == std::string("ping") ? "ping" : "ping2"), detail);
    }
}

// The smp phase: where each echo was made (the id's low byte is the CPU that
// made the record, bpf/lib/cpu_state.bpf.h) and where its TX completion ran.
// e1000e cleans its ring in its MSI-X TX handler (e1000_intr_msix_tx) or its
// NAPI poll, both on the CPU the interrupt was delivered to; the skb is freed
// there or in that CPU's net_tx_action (dev_kfree_skb_any in hard IRQ).
void check_smp(const Trace& t, const std::string& dir, const std::map<std::string, std::string>& keys) {
    const auto irq = keys.find("smp_irq_cpu");
    if (irq == keys.end()) return;  // one CPU: no such phase
    const long long irq_cpu = number(irq->second);
    const long long pid = number(read_first(dir + "/ping-smp.pid"));
    const long long sent = ping_sent(dir + "/ping-smp.txt");
    int echoes = 0, made_on_0 = 0, freed_on_irq_cpu = 0;
    std::map<std::string, int> where;  // "cpuN/context" -> echoes
    for (const Packet& p : t.packets) {
        if (p.flow.proto != 1 || !p.flow.has_icmp || p.flow.icmp_type != 8) continue;
        if (static_cast<long long>(p.pid) != pid) continue;
        ++echoes;
        made_on_0 += p.made_cpu() == 0;
        freed_on_irq_cpu += p.outcome == OutcomeKind::sent && p.find(Stage::free) && p.end_cpu == irq_cpu;
        ++where["cpu" + std::to_string(p.end_cpu) + "/" + (p.end_context.empty() ? "?" : p.end_context)];
    }
    std::string ends;
    for (const auto& [k, n] : where) ends += " " + k + "×" + std::to_string(n);
    const std::string detail = std::to_string(echoes) + " echoes of ping " + std::to_string(pid) + " (pinned to CPU 0, sent " +
                               std::to_string(sent) + "): " + std::to_string(made_on_0) + " made on CPU 0, " +
                               std::to_string(freed_on_irq_cpu) + " ended at free on CPU " + std::to_string(irq_cpu) +
                               " (nic0's interrupts); ended on" + ends;
    if (sent > 0 && echoes == sent && made_on_0 == sent && freed_on_irq_cpu == sent) pass("smp", detail);
    else fail("smp", detail);
}

// One TCP connection from httpd (source port 8080), keyed by the peer's port.
struct Conn {
    std::uint32_t isn = 0;
    bool have_syn = false, have_fin = false;
    std::uint32_t fin_seq = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> data;  // first transmissions: [seq, seq+len)
    std::vector<std::pair<std::uint32_t, std::uint32_t>> resent;
    std::uint64_t httpd_bytes = 0, bytes = 0;
    std::set<std::uint64_t> socks;
};

void check_tcp(const Trace& t, const std::string& dir, const std::map<std::string, std::string>& info_keys) {
    const long long httpd = number(read_first(dir + "/httpd.pid"));
    std::map<std::uint16_t, Conn> conns;
    std::set<std::uint64_t> httpd_socks;  // sockets httpd's own writes went out on
    for (const Packet& p : t.packets) {
        if (!p.has_tcp || p.flow.sport != 8080) continue;
        Conn& c = conns[p.flow.dport];
        const bool syn = p.tcp_flags & 0x02, fin = p.tcp_flags & 0x01;
        std::uint32_t len = p.tcp_end_seq - p.tcp_seq - syn - fin;
        if (syn) c.have_syn = true, c.isn = p.tcp_seq;
        if (fin) c.have_fin = true, c.fin_seq = p.tcp_end_seq - 1;
        if (p.comm == "httpd" && p.send_id) httpd_socks.insert(p.sock);
        // A GSO skb segmented in software never reached the wire: its segments did.
        if (!len || p.outcome == OutcomeKind::consumed) continue;
        c.socks.insert(p.sock);  // data only: the SYN-ACK leaves from the request socket
        if (p.retransmit) {
            c.resent.push_back({p.tcp_seq, p.tcp_seq + len});
            continue;
        }
        c.data.push_back({p.tcp_seq, p.tcp_seq + len});
        c.bytes += len;
        if (p.comm == "httpd" && p.send_id) c.httpd_bytes += len;
    }
    if (conns.empty()) {
        fail("tcp", "no segments from port 8080");
        return;
    }
    int good = 0;
    std::string why, detail;
    std::uint64_t total = 0, by_write = 0;
    std::size_t resent = 0;
    for (auto& [port, c] : conns) {
        // First transmissions never overlap; with the resends they leave no gap.
        // (Relative to the ISN: no wrap-around within a connection.)
        bool exact = c.have_syn && c.have_fin;
        std::sort(c.data.begin(), c.data.end(), [&](auto x, auto y) { return x.first - c.isn < y.first - c.isn; });
        std::uint32_t next = c.isn + 1;
        for (const auto& [a, b] : c.data) {
            if (a - c.isn < next - c.isn) exact = false;  // a byte first-sent twice
            next = b;
        }
        auto all = c.data;
        all.insert(all.end(), c.resent.begin(), c.resent.end());
        std::sort(all.begin(), all.end(), [&](auto x, auto y) { return x.first - c.isn < y.first - c.isn; });
        next = c.isn + 1;
        for (const auto& [a, b] : all) {
            if (a - c.isn > next - c.isn) exact = false;  // a gap
            if (b - c.isn > next - c.isn) next = b;
        }
        exact = exact && next == c.fin_seq;
        resent += c.resent.size();
        bool on_httpd = c.socks.size() == 1 && httpd_socks.count(*c.socks.begin());
        if (exact && on_httpd) ++good;
        else why += " port " + std::to_string(port) + (exact ? "" : ": sequence space not covered (a gap, or first sent twice)") +
                    (on_httpd ? "" : ": not on a socket httpd wrote to");
        total += c.bytes;
        by_write += c.httpd_bytes;
    }
    // The 1 MiB download: its connection carried the file plus a header.
    const std::string blob = info_keys.count("blob") ? info_keys.at("blob") : "";
    std::istringstream bs(blob);
    long long size = -1, got = -1;
    std::string md5, word, got_md5;
    bs >> size >> md5 >> word >> got >> got_md5;
    bool blob_ok = size == 1048576 && got == size && md5 == got_md5;
    bool blob_conn = false;
    for (const auto& [port, c] : conns)
        blob_conn |= static_cast<long long>(c.bytes) > size && static_cast<long long>(c.bytes) < size + 1024;
    detail = std::to_string(good) + "/" + std::to_string(conns.size()) +
             " connections covered from SYN-ACK to FIN on httpd's socket (pid " + std::to_string(httpd) + "), " +
             std::to_string(total) + " data bytes first sent, " + std::to_string(resent) + " segments resent, " +
             std::to_string(by_write) +
             " of them sent in httpd's own write calls";
    if (good == static_cast<int>(conns.size()) && blob_ok && blob_conn) pass("tcp", detail);
    else fail("tcp", detail + why + (blob_ok ? "" : ", wget got " + blob) + (blob_conn ? "" : ", no connection carried 1 MiB + header"));
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<Trace> trace = open_trace(argc, argv, "txray-niccheck");
    if (!trace) return argc == 4 ? 1 : 2;
    const Trace& t = *trace;
    const std::string dir = argv[3];
    const auto counters = read_keys(dir + "/counters");
    const auto keys = read_keys(dir + "/info");
    const std::string driver = keys.count("driver") ? keys.at("driver") : "?";
    const long long before = counters.count("tx_packets_before") ? number(counters.at("tx_packets_before")) : -1;
    const long long after = counters.count("tx_packets_after") ? number(counters.at("tx_packets_after")) : -1;
    // tx_packets counts skbs on both: virtio_net's own counter (per skb
    // freed), and e1000e's, which is the device's GPTC register
    // (e1000e_get_stats64), which qemu's e1000e adds 1 to per transmitted
    // packet, a TSO one included (real hardware counts its segments).
    check_exact(t, before >= 0 && after >= 0 ? after - before : -1);
    check_free_order(t);
    check_ping(t, dir);
    check_tcp(t, dir, keys);
    check_smp(t, dir, keys);

    const Phases phases = read_phases(dir + "/phases");
    std::map<std::string, Samples> ring;
    Samples all_ring, bql_inflight, bql_limit;
    std::map<std::string, int> stops;  // phase -> packets stopping the queue or requeued
    int by_driver = 0, by_bql = 0, requeued = 0;
    for (const Packet& p : t.packets) {
        const std::string ph = phases.at(ts_of(p, Stage::driver_xmit));
        if (const std::uint64_t r = p.ring_ns()) {
            ring[ph].add(r);
            all_ring.add(r);
        }
        if (p.has_bql) bql_inflight.add(p.bql_inflight), bql_limit.add(p.bql_limit);
        by_driver += p.stopped_by_driver;
        by_bql += p.stopped_by_bql;
        requeued += p.requeues > 0;
        if (p.stopped_by_driver || p.stopped_by_bql || p.requeues) ++stops[ph];
    }
    info("driver " + driver + ": ring (xmit_done -> free) " + percentiles(all_ring) + " over " +
         std::to_string(all_ring.count()) + " packets");
    for (const auto& [ph, s] : ring) info("phase " + ph + ": ring " + percentiles(s) + " (" + std::to_string(s.count()) + ")");
    if (bql_inflight.empty())
        info("bql: not used by " + driver + " on this kernel (dql.num_queued 0)");
    else
        info("bql: " + std::to_string(bql_inflight.count()) + " packets, in flight p50 " +
             std::to_string(bql_inflight.percentile(0.5)) + " B p99 " + std::to_string(bql_inflight.percentile(0.99)) +
             " B max " + std::to_string(bql_inflight.max()) + " B, limit p50 " + std::to_string(bql_limit.percentile(0.5)) +
             " B max " + std::to_string(bql_limit.max()) + " B");
    info("queue: stopped by the driver after " + std::to_string(by_driver) + " packets, by BQL after " +
         std::to_string(by_bql) + ", " + std::to_string(requeued) + " packets requeued");

    if (keys.count("coalesce_rc") && keys.at("coalesce_rc") == "0") {
        const Samples& c = ring["coalesce"];
        const int echoes = static_cast<int>(c.count());
        if (echoes) pass("coalesce", "ethtool -C: " + std::to_string(echoes) + " packets completed, ring " + percentiles(c) +
                                         " (ping phase " + percentiles(ring["ping"]) + ")");
        else fail("coalesce", "no packet completed after ethtool -C");
    } else {
        skip("coalesce", driver + ": ethtool -C not taken (" + (keys.count("coalesce_rc") ? keys.at("coalesce_rc") : "?") + ")");
    }
    const std::string shrink = keys.count("shrink_rc") ? keys.at("shrink_rc") : "?";
    if (shrink.rfind("0 ", 0) == 0) {
        // Whether the queue stays stopped past an ndo_start_xmit depends on
        // the load one TCG vCPU manages (BQL usually stops it, not always):
        // without a stop there is nothing to check, said as info, with the
        // driver's own count (e1000e's tx_restart_queue also counts a stop
        // __e1000_maybe_stop_tx undoes at once, which no packet sees).
        auto count = [&](const char* k) { return keys.count(k) ? std::atol(keys.at(k).c_str()) : 0L; };
        const std::string restarts = std::to_string(count("restarts_after") - count("restarts_before"));
        if (stops["shrunk"])
            pass("shrunk", "ring shrunk (ethtool -G): " + std::to_string(stops["shrunk"]) +
                               " packets stopped the queue or were requeued (driver: " + restarts + " queue restarts)");
        else
            info("shrunk: ring shrunk (ethtool -G), no packet stopped the queue under this load (driver: " + restarts +
                 " queue restarts): not checked");
    } else {
        skip("shrunk", driver + ": ethtool -G not taken (" + shrink + ")");
    }
    return g_failed ? 1 : 0;
}
