// txray-vmcheck: judges `txray record` traces inside the test VMs and prints
// one "TXRAY-VM-TEST: PASS|FAIL <name> ..." line per check (tests/vm/README.md).
// Static, built against txray_core (load_trace).
//
//   txray-vmcheck trace NAME FILE --ports P:N[,P:N...] --stages S[,S...]
//                 [--stages-for P:S+S+...] [--iface IF] [--messages-for P]
//       every UDP packet to port P is in FILE exactly N times, each has the
//       stages S (plus the per-port extras), stages in kernel order, outcome
//       "sent", footer present, nothing lost.
//   txray-vmcheck compare NAME --ports P[,P...] FILE1 FILE2 [FILE3...]
//       the traces agree: same flows (family, proto, daddr, dport) with the
//       same packet counts; every stage seen by two traces for a flow is on
//       every packet of that flow in both (except conditional stages such as
//       neigh_resolve); prints the shared stage set.
//   txray-vmcheck hops NAME FILE --port P --count N --devices D0,D1[,...]
//                 --stages-on K:S[,S...]
//       exactly N UDP packets to port P, each "sent" through the devices D0,
//       D1, ... (its hops, by name), with the stages S on hop K: the receive
//       that led to it first, the others after it in kernel order.
//   txray-vmcheck delivered NAME FILE --port P --bytes B --device D
//       every TCP packet to port P is "sent" on the one device D (a hand-off
//       whose receive side delivered it to a local socket), none is left
//       unfinished, and their data (retransmissions aside) is B bytes.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/packet.h"
#include "core/stage.h"
#include "core/trace_reader.h"

using namespace txray;

namespace {

int g_failed = 0;

void pass(const std::string& name, const std::string& detail) {
    std::printf("TXRAY-VM-TEST: PASS %s %s\n", name.c_str(), detail.c_str());
}
void fail(const std::string& name, const std::string& why) {
    std::printf("TXRAY-VM-TEST: FAIL %s %s\n", name.c_str(), why.c_str());
    ++g_failed;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string tok;
    while (std::getline(in, tok, sep))
        if (!tok.empty()) out.push_back(tok);
    return out;
}

std::set<Stage> parse_stages(const std::string& list, char sep) {
    std::set<Stage> out;
    for (const auto& n : split(list, sep)) {
        auto s = stage_from_name(n);
        if (!s) {
            std::fprintf(stderr, "txray-vmcheck: unknown stage %s\n", n.c_str());
            std::exit(2);
        }
        out.insert(*s);
    }
    return out;
}

std::string names(const std::set<Stage>& s) {
    std::string out;
    for (Stage st : all_stages())
        if (s.count(st)) out += (out.empty() ? "" : ",") + std::string(stage_name(st));
    return out.empty() ? "-" : out;
}

std::set<Stage> stages_of(const Packet& p) {
    std::set<Stage> s;
    for (const auto& m : p.stages) s.insert(m.stage);
    return s;
}

// Stages in time order must be in kernel order; the syscall may return before
// or after the wire, so sendmsg_return is left out.
bool in_kernel_order(const Packet& p, std::string& why) {
    int last = -1;
    std::string seq;
    for (const auto& m : p.stages) {
        if (m.stage == Stage::sendmsg_return) continue;
        seq += std::string(seq.empty() ? "" : ">") + std::string(stage_name(m.stage));
        if (static_cast<int>(m.stage) <= last) {
            why = "out of order: " + seq;
            return false;
        }
        last = static_cast<int>(m.stage);
    }
    return true;
}

bool load(const std::string& name, const std::string& file, Trace& t) {
    t = load_trace(file);
    if (t.status.fatal || !t.status.error.empty()) {
        fail(name, "cannot read " + file + ": " + t.status.summary());
        return false;
    }
    return true;
}

bool is_udp_to(const Packet& p, const std::set<int>& ports) {
    return p.flow.proto == 17 && ports.count(p.flow.dport);
}

int cmd_trace(int argc, char** argv) {
    if (argc < 4) return 2;
    std::string name = argv[2], file = argv[3], iface;
    std::map<int, int> want;  // port -> count
    std::set<Stage> stages;
    std::map<int, std::set<Stage>> extra;
    std::set<int> message_ports;
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--ports")
            for (const auto& pc : split(v, ','))
                want[std::atoi(pc.c_str())] = std::atoi(pc.substr(pc.find(':') + 1).c_str());
        else if (k == "--stages")
            stages = parse_stages(v, ',');
        else if (k == "--stages-for")
            for (const auto& ps : split(v, ','))
                extra[std::atoi(ps.c_str())] = parse_stages(ps.substr(ps.find(':') + 1), '+');
        else if (k == "--iface")
            iface = v;
        else if (k == "--messages-for")  // sendmmsg port: each syscall's packets have distinct msg indices
            message_ports.insert(std::atoi(v.c_str()));
        else
            return 2;
    }
    Trace t;
    if (!load(name, file, t)) return 1;
    std::vector<std::string> problems;
    if (!t.footer) problems.push_back("no footer (recorder did not finish cleanly)");
    std::map<std::uint64_t, std::set<std::uint32_t>> msgs;  // send -> message indices
    std::map<std::uint64_t, int> per_send;
    for (const auto& p : t.packets)
        if (p.flow.proto == 17 && message_ports.count(p.flow.dport)) {
            msgs[p.send_id].insert(p.msg_index);
            ++per_send[p.send_id];
        }
    for (const auto& [send, n] : per_send)
        if (static_cast<int>(msgs[send].size()) != n) {
            problems.push_back("sendmmsg " + std::to_string(send) + ": " + std::to_string(n) + " packets but " +
                               std::to_string(msgs[send].size()) + " distinct message indices");
            break;
        }
    else if (t.footer->lost || t.footer->lost_sends || t.footer->untracked)
        problems.push_back("lost " + std::to_string(t.footer->lost) + " packets, " +
                           std::to_string(t.footer->lost_sends) + " sends, untracked " +
                           std::to_string(t.footer->untracked));
    std::set<int> ports;
    for (auto& [p, n] : want) ports.insert(p);
    std::map<int, int> got;
    std::set<Stage> seen_union;
    int bad_stage = 0, bad_order = 0, bad_outcome = 0, bad_iface = 0;
    std::string first_bad;
    for (const Packet& p : t.packets) {
        if (!is_udp_to(p, ports)) continue;
        ++got[p.flow.dport];
        std::set<Stage> have = stages_of(p);
        seen_union.insert(have.begin(), have.end());
        std::set<Stage> need = stages;
        if (extra.count(p.flow.dport)) need.insert(extra[p.flow.dport].begin(), extra[p.flow.dport].end());
        std::set<Stage> missing;
        for (Stage s : need)
            if (!have.count(s)) missing.insert(s);
        std::string why;
        if (!missing.empty()) {
            ++bad_stage;
            if (first_bad.empty())
                first_bad = "port " + std::to_string(p.flow.dport) + " missing " + names(missing) + " (has " +
                            names(have) + ")";
        } else if (!in_kernel_order(p, why)) {
            ++bad_order;
            if (first_bad.empty()) first_bad = why;
        }
        if (p.outcome != OutcomeKind::sent) {
            ++bad_outcome;
            if (first_bad.empty()) first_bad = "outcome " + p.outcome_string();
        }
        if (!iface.empty() && p.ifname != iface) {
            ++bad_iface;
            if (first_bad.empty()) first_bad = "ifname " + p.ifname;
        }
    }
    int total = 0, expected = 0;
    for (auto& [port, n] : want) {
        expected += n;
        total += got[port];
        if (got[port] != n)
            problems.push_back("port " + std::to_string(port) + ": " + std::to_string(got[port]) + "/" +
                               std::to_string(n) + " packets");
    }
    if (bad_stage) problems.push_back(std::to_string(bad_stage) + " packets missing stages");
    if (bad_order) problems.push_back(std::to_string(bad_order) + " packets out of kernel order");
    if (bad_outcome) problems.push_back(std::to_string(bad_outcome) + " packets not 'sent'");
    if (bad_iface) problems.push_back(std::to_string(bad_iface) + " packets on another device");
    if (!first_bad.empty()) problems.push_back("first: " + first_bad);
    if (problems.empty()) {
        pass(name, "packets=" + std::to_string(total) + "/" + std::to_string(expected) + " stages=" + names(seen_union));
        return 0;
    }
    std::string why;
    for (const auto& s : problems) why += (why.empty() ? "" : "; ") + s;
    fail(name, why);
    return 1;
}

// Stages only some packets of a flow pass: neighbour resolution (first packet
// to a new neighbour), queueing, the end events.
bool conditional(Stage s) {
    return s == Stage::neigh_resolve || s == Stage::qdisc_enqueue || s == Stage::qdisc_dequeue ||
           s == Stage::free || s == Stage::drop;
}

using FlowKey = std::tuple<int, int, std::string, int>;  // family, proto, daddr, dport

int cmd_compare(int argc, char** argv) {
    if (argc < 7 || std::string(argv[3]) != "--ports") return 2;
    std::string name = argv[2];
    std::set<int> ports;
    for (const auto& p : split(argv[4], ',')) ports.insert(std::atoi(p.c_str()));
    struct Stages {
        std::set<Stage> all, every;  // on any packet / on every packet of the flow
        bool first = true;
    };
    struct Summary {
        std::string file;
        std::map<FlowKey, int> flows;
        std::map<FlowKey, Stages> stages;
        std::set<Stage> all;
        int packets = 0;
    };
    std::vector<Summary> sums;
    for (int i = 5; i < argc; ++i) {
        Trace t;
        if (!load(name, argv[i], t)) return 1;
        Summary s;
        s.file = argv[i];
        for (const Packet& p : t.packets) {
            if (!is_udp_to(p, ports)) continue;
            ++s.packets;
            FlowKey key{p.flow.family, p.flow.proto, addr_to_string(p.flow.family, p.flow.daddr), p.flow.dport};
            ++s.flows[key];
            std::set<Stage> have = stages_of(p);
            s.all.insert(have.begin(), have.end());
            Stages& fs = s.stages[key];
            fs.all.insert(have.begin(), have.end());
            if (fs.first) fs.every = have, fs.first = false;
            else {
                std::set<Stage> keep;
                for (Stage st : fs.every)
                    if (have.count(st)) keep.insert(st);
                fs.every = keep;
            }
        }
        sums.push_back(std::move(s));
    }
    std::vector<std::string> problems;
    std::set<Stage> shared = sums[0].all;
    for (std::size_t i = 1; i < sums.size(); ++i) {
        if (sums[i].flows != sums[0].flows)
            problems.push_back(sums[i].file + ": flows/counts differ from " + sums[0].file + " (" +
                               std::to_string(sums[i].packets) + " vs " + std::to_string(sums[0].packets) +
                               " packets)");
        std::set<Stage> keep;
        for (Stage st : shared)
            if (sums[i].all.count(st)) keep.insert(st);
        shared = keep;
    }
    // Pairwise, per flow: a stage both traces saw must be on every packet of
    // that flow in both (a connected socket's flow has no route stage at all).
    for (std::size_t i = 0; i < sums.size(); ++i)
        for (std::size_t j = i + 1; j < sums.size(); ++j)
            for (auto& [key, a] : sums[i].stages) {
                auto it = sums[j].stages.find(key);
                if (it == sums[j].stages.end()) continue;
                const Stages& b = it->second;
                for (Stage st : a.all)
                    if (!conditional(st) && b.all.count(st) && (!a.every.count(st) || !b.every.count(st)))
                        problems.push_back(std::string(stage_name(st)) + " to port " + std::to_string(std::get<3>(key)) +
                                           " seen by " + sums[i].file + " and " + sums[j].file +
                                           " but not on every packet");
            }
    if (sums[0].packets == 0) problems.push_back("no packets");
    if (problems.empty()) {
        std::string detail = "packets=" + std::to_string(sums[0].packets) + " flows=" +
                             std::to_string(sums[0].flows.size()) + " shared=" + names(shared);
        pass(name, detail);
        return 0;
    }
    std::string why;
    for (const auto& s : problems) why += (why.empty() ? "" : "; ") + s;
    fail(name, why);
    return 1;
}

int cmd_hops(int argc, char** argv) {
    if (argc < 12) return 2;
    std::string name = argv[2], file = argv[3], devices, stages_on;
    int port = 0;
    std::size_t count = 0;
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--port") port = std::atoi(v.c_str());
        else if (k == "--count") count = std::strtoul(v.c_str(), nullptr, 10);
        else if (k == "--devices") devices = v;
        else if (k == "--stages-on") stages_on = v;
        else return 2;
    }
    const auto colon = stages_on.find(':');
    if (!port || devices.empty() || colon == std::string::npos) return 2;
    const auto hop = static_cast<std::uint8_t>(std::atoi(stages_on.substr(0, colon).c_str()));
    const std::set<Stage> want = parse_stages(stages_on.substr(colon + 1), ',');
    const std::vector<std::string> want_devices = split(devices, ',');
    Trace t;
    if (!load(name, file, t)) return 1;
    std::size_t n = 0;
    std::string why;  // the first packet that is wrong, and how
    for (const Packet& p : t.packets) {
        if (!is_udp_to(p, {port})) continue;
        ++n;
        if (!why.empty()) continue;
        const std::string id = "packet " + std::to_string(p.id) + ": ";
        std::string path;
        std::vector<std::string> have_devices;
        for (const Hop& h : p.hops) {
            have_devices.push_back(h.ifname);
            path += (path.empty() ? "" : ">") + h.ifname;
        }
        if (have_devices != want_devices) {
            why = id + "hops " + path;
            continue;
        }
        if (p.outcome_string() != "sent") {
            why = id + "outcome " + p.outcome_string();
            continue;
        }
        std::set<Stage> on;
        std::string seq;
        int last = -1;
        for (const StageMark& m : p.stages) {
            if (m.hop != hop) continue;
            seq += std::string(seq.empty() ? "" : ">") + std::string(stage_name(m.stage));
            const bool receive_first = m.stage == Stage::netif_receive && on.empty();
            if (!receive_first && static_cast<int>(m.stage) <= last) why = id + "out of order on hop " + std::to_string(hop) + ": ";
            if (!receive_first) last = static_cast<int>(m.stage);
            on.insert(m.stage);
        }
        if (!why.empty()) {
            why += seq;
            continue;
        }
        for (Stage s : want)
            if (!on.count(s)) {
                why = id + "no " + std::string(stage_name(s)) + " on hop " + std::to_string(hop) + " (" + seq + ")";
                break;
            }
    }
    if (why.empty() && n != count) why = std::to_string(n) + "/" + std::to_string(count) + " packets to port " + std::to_string(port);
    if (!why.empty()) {
        fail(name, why);
        return 1;
    }
    pass(name, std::to_string(n) + "/" + std::to_string(count) + " packets through " + devices + ", " + names(want) +
                   " on hop " + std::to_string(hop));
    return 0;
}

// TCP to a socket in the namespace a hand-off led into: each segment ends
// where the socket takes it (cgroup ingress, or sk_filter_trim_cap's fentry/
// kprobe before 6.2), not left waiting for a free that has no tracepoint.
int cmd_delivered(int argc, char** argv) {
    if (argc < 10) return 2;
    std::string name = argv[2], file = argv[3], device;
    int port = 0;
    long bytes = -1;
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--port") port = std::atoi(v.c_str());
        else if (k == "--bytes") bytes = std::atol(v.c_str());
        else if (k == "--device") device = v;
        else return 2;
    }
    if (!port || bytes < 0 || device.empty()) return 2;
    Trace t;
    if (!load(name, file, t)) return 1;
    std::size_t n = 0, wrong = 0;
    long data = 0;
    std::string why;
    for (const Packet& p : t.packets) {
        if (p.flow.proto != 6 || p.flow.dport != port) continue;
        ++n;
        std::string path;
        for (const Hop& h : p.hops) path += (path.empty() ? "" : ">") + h.ifname;
        if (p.outcome_string() != "sent" || path != device) {
            if (!wrong++) why = "packet " + std::to_string(p.id) + ": " + p.outcome_string() + " through " + path;
            continue;
        }
        long len = static_cast<std::uint32_t>(p.tcp_end_seq - p.tcp_seq);
        len -= (p.tcp_flags & 0x02 ? 1 : 0) + (p.tcp_flags & 0x01 ? 1 : 0);  // SYN, FIN
        if (!p.retransmit && len > 0) data += len;
    }
    if (wrong) why = std::to_string(wrong) + "/" + std::to_string(n) + " packets wrong, first " + why;
    else if (!n || data != bytes)
        why = std::to_string(n) + " packets with " + std::to_string(data) + "/" + std::to_string(bytes) + " bytes";
    if (!why.empty()) {
        fail(name, why);
        return 1;
    }
    pass(name, std::to_string(n) + " packets sent on " + device + ", " + std::to_string(data) + "/" +
                   std::to_string(bytes) + " bytes (the sink's count)");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    int rc = 2;
    if (cmd == "trace") rc = cmd_trace(argc, argv);
    else if (cmd == "compare") rc = cmd_compare(argc, argv);
    else if (cmd == "hops") rc = cmd_hops(argc, argv);
    else if (cmd == "delivered") rc = cmd_delivered(argc, argv);
    if (rc == 2) std::fprintf(stderr, "usage: txray-vmcheck trace|compare|hops|delivered NAME ... (see the source)\n");
    return rc;
}
