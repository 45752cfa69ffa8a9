// The fixture of the real-client tests (real_clients_test.cpp,
// uring_send_test.cpp): a veth pair into a test namespace, `txray record`
// around some traffic, judged against the device's TX counter.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace txray::test {

inline bool have(const std::string& tool) { return run("command -v " + tool).status == 0; }

// A TCP flow's first transmissions of data (retransmissions and bare
// ACK/SYN/FIN left out), and those tied to a call: counts and bytes.
struct TcpDataTie {
    long segments = 0, tied = 0, bytes = 0, tied_bytes = 0;
};
// `in_flow` picks the flow's packets; `on_tied` checks each tied segment.
inline TcpDataTie tcp_data_tie(const Trace& t, const std::function<bool(const Packet&)>& in_flow,
                               const std::function<void(const Packet&)>& on_tied) {
    TcpDataTie r;
    for (const auto& p : t.packets) {
        if (!p.has_tcp || !in_flow(p) || p.retransmit || tcp_payload(p) <= 0) continue;
        ++r.segments;
        r.bytes += tcp_payload(p);
        if (!p.send_id) continue;
        ++r.tied;
        r.tied_bytes += tcp_payload(p);
        on_tied(p);
    }
    return r;
}

class RealClientsFixture : public NetnsTest {
protected:
    RealClientsFixture() : NetnsTest("real") {}
    // `txray record ARGS` (run in namespace `in_ns` when given) around
    // `traffic`; the TX counter of `dev` (in `in_ns`) is read once the
    // recorder is attached (a fresh veth's IPv6 router solicitations and MLD
    // reports go out while it loads) and after it stopped.
    Trace record(const std::string& name, const std::vector<std::string>& args, const std::function<void()>& traffic,
                 std::uint64_t& tx_delta, const std::string& in_ns = "", const std::string& dev = "") {
        const std::string trace = scratch_dir() + "/" + name + ".json", log = scratch_dir() + "/" + name + ".log";
        std::vector<std::string> argv;
        if (!in_ns.empty()) argv = {"/usr/sbin/ip", "netns", "exec", in_ns};
        argv.insert(argv.end(), {txray_bin(), "record", "-o", trace});
        argv.insert(argv.end(), args.begin(), args.end());
        const std::string d = dev.empty() ? net->host_if : dev;
        Child rec(argv, log);
        EXPECT_TRUE(wait_for_header(trace)) << read_file(log);
        const std::uint64_t tx0 = tx_packets_in(in_ns, d);
        traffic();
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        EXPECT_EQ(rec.interrupt_and_wait(), 0) << read_file(log);
        tx_delta = tx_packets_in(in_ns, d) - tx0;
        Trace t = load_trace(trace);
        EXPECT_TRUE(t.status.error.empty()) << t.status.summary();
        return t;
    }
    // Packets that reached the driver of `ifname` (what its TX counter
    // counts); every other packet of the trace is a failed syscall's record
    // or one still waiting (a neighbour), never another device's.
    static std::uint64_t on_device(const Trace& t, const std::string& ifname) {
        std::uint64_t n = 0;
        for (const auto& p : t.packets) {
            if (p.outcome == OutcomeKind::error) continue;
            EXPECT_EQ(p.ifname, ifname) << "packet " << p.id << " left through another device";
            if (p.ifname == ifname && p.find(Stage::driver_xmit) && p.outcome == OutcomeKind::sent) ++n;
        }
        return n;
    }
    // Records on `ifname` that ended unfinished before its driver: packets
    // seen at ip_output whose later stages the kernel ran none of txray's
    // programs for (README, "Counts against the device"), ended when their
    // skb came back as another packet (superseded) or at the end.
    static std::uint64_t unfinished_on(const Trace& t, const std::string& ifname) {
        std::uint64_t n = 0;
        for (const auto& p : t.packets)
            n += p.ifname == ifname && p.outcome == OutcomeKind::unfinished && !p.find(Stage::driver_xmit);
        return n;
    }
    // Traced vs the device's counter: never more; every packet it sent is a
    // record, sent or (the known gap) unfinished before the driver; 2 for
    // the counter reads around the recording.
    static void expect_counts_match(std::uint64_t traced, std::uint64_t unfinished, std::uint64_t tx) {
        EXPECT_LE(traced, tx) << "never more packets than the device sent";
        EXPECT_GE(traced + unfinished + 2, tx) << traced << " traced and " << unfinished
                                               << " unfinished before the driver, the device sent " << tx;
    }
};

}  // namespace txray::test
