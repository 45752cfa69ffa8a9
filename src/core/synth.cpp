#include "synth.h"

#include <random>

namespace txray {

TraceHeader synth_header(const SynthOptions& opt) {
    TraceHeader h;
    h.host = "synthetic";
    h.kernel = "synthetic";
    h.start_ns = opt.start_ns;
    h.tool = "txray synth";
    for (Stage s : all_stages()) h.stages.push_back({s, true, "synthetic", {}});
    h.filters.emplace_back("synthetic", "seed=" + std::to_string(opt.seed));
    return h;
}

std::vector<Packet> synth_packets(const SynthOptions& opt) {
    std::mt19937_64 rng(opt.seed);
    std::exponential_distribution<double> gap(1.0 / 8000.0);  // mean 8 µs between sends
    std::lognormal_distribution<double> step(6.0, 0.6);       // ~400 ns per stage
    std::uniform_real_distribution<double> u(0.0, 1.0);

    std::vector<Packet> out;
    out.reserve(opt.packets);
    std::uint64_t t = opt.start_ns, send_id = 0;
    const std::size_t flows = opt.flows ? opt.flows : 1;
    for (std::size_t i = 0; i < opt.packets; ++i) {
        t += static_cast<std::uint64_t>(gap(rng)) + 1;
        const std::size_t f = i % flows;
        Packet p;
        p.id = i + 1;
        p.skb = 0xffff888100000000ull + (rng() & 0xffffff00ull);
        p.send_id = ++send_id;
        p.pid = 1000 + static_cast<std::uint32_t>(f % 3);
        p.tid = p.pid;
        p.comm = f % 3 == 0 ? "iperf" : f % 3 == 1 ? "dns-client" : "app";
        p.ifname = f % 2 ? "veth0" : "eth0";
        p.ifindex = f % 2 ? 5 : 2;
        p.len = 100 + static_cast<std::uint32_t>(f * 200);
        p.flow.family = f % 4 == 3 ? 6 : 4;
        p.flow.proto = f % 3 == 0 ? 6 : 17;
        if (p.flow.family == 4) {
            p.flow.saddr = {10, 0, 0, 1};
            p.flow.daddr = {10, 0, 0, static_cast<std::uint8_t>(2 + f)};
        } else {
            p.flow.saddr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            p.flow.daddr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(2 + f)};
        }
        p.flow.sport = static_cast<std::uint16_t>(40000 + f);
        p.flow.dport = static_cast<std::uint16_t>(f % 3 == 1 ? 53 : 5201);

        const bool queued = (f % 2 == 0) && u(rng) < 0.3;
        const bool dropped = u(rng) < opt.drop_ratio;
        std::uint64_t ts = t;
        auto mark = [&](Stage s, double scale = 1.0) {
            ts += static_cast<std::uint64_t>(step(rng) * scale) + 1;
            p.stages.push_back({s, ts});
        };
        p.stages.push_back({Stage::sendmsg, ts});
        mark(Stage::route);
        mark(Stage::ip_output, 2.0);
        mark(Stage::dev_queue_xmit);
        if (queued) {
            mark(Stage::qdisc_enqueue, 0.5);
            if (dropped) {
                p.outcome = OutcomeKind::dropped;
                p.drop_reason = "QDISC_DROP";
                mark(Stage::drop, 0.5);
                mark(Stage::sendmsg_return, 0.5);
                p.send_ret = p.len;
                out.push_back(std::move(p));
                continue;
            }
            mark(Stage::qdisc_dequeue, 40.0);
        }
        mark(Stage::driver_xmit);
        mark(Stage::xmit_done, 3.0);
        p.xmit_rc = 0;
        mark(Stage::sendmsg_return, 0.5);
        p.send_ret = p.len;
        mark(Stage::free, 20.0);
        p.outcome = OutcomeKind::sent;
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace txray
