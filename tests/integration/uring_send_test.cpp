// io_uring's send operations (bpf/hooks/uring.bpf.h), from the host into a
// test namespace over a veth pair: UDP datagrams sent with IORING_OP_SEND and
// IORING_OP_SENDMSG (several SQEs per io_uring_enter) and a TCP stream sent
// with IORING_OP_SEND, judged against the receiver's own counts and the
// device's TX counter. The sender and receivers are txray-uringsend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "real_clients.h"

using namespace txray;
using namespace txray::test;

namespace {

std::string uringsend_bin() { return URINGSEND_BIN; }

class UringSend : public RealClientsFixture {
protected:
    void SetUp() override {
        RealClientsFixture::SetUp();
        if (IsSkipped()) return;
        if (uringsend_bin().empty()) GTEST_SKIP() << "built without liburing-dev (scripts/setup-debian.sh --tests)";
        if (!std::filesystem::exists("/sys/kernel/tracing/events/io_uring/io_uring_submit_req") &&
            !std::filesystem::exists("/sys/kernel/debug/tracing/events/io_uring/io_uring_submit_req"))
            GTEST_SKIP() << "no io_uring:io_uring_submit_req tracepoint (before 6.0): io_uring sends are not tied";
    }
    // A receiver in the namespace (txray-uringsend sink-...), ready when it says so.
    std::unique_ptr<Child> sink(const std::vector<std::string>& args, const std::string& log) {
        std::vector<std::string> argv = {"/usr/sbin/ip", "netns", "exec", net->ns, uringsend_bin()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto c = std::make_unique<Child>(argv, log);
        for (int i = 0; i < 100 && read_file(log).find("ready") == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return c;
    }
    // The number a txray-uringsend sink printed last.
    static long sink_count(const std::string& log) {
        const std::string out = read_file(log);
        const auto end = out.find_last_not_of("\n");
        const auto start = out.find_last_of('\n', end);
        return std::stol(out.substr(start == std::string::npos ? 0 : start + 1));
    }
};

TEST_F(UringSend, UdpSendAndSendmsgEachOnItsSubmission) {
    const long n = 200;  // per opcode
    const std::string sink_log = scratch_dir() + "/uring-udp-sink.log";
    auto receiver = sink({"sink-udp", net->v4_peer, "5311", std::to_string(2 * n), "10"}, sink_log);
    ASSERT_EQ(run("ping -c 1 -W 2 " + net->v4_peer).status, 0);  // ARP resolved before
    std::uint64_t tx = 0;
    pid_t sender = 0;
    Trace t = record("uring_udp", {"--iface", net->host_if}, [&] {
        const std::string log = scratch_dir() + "/uring-udp.log";
        Child c({uringsend_bin(), "udp", net->v4_peer, "5311", std::to_string(n)}, log);
        sender = c.pid();
        ASSERT_EQ(c.wait(30), 0) << read_file(log);
    }, tx);
    ASSERT_EQ(receiver->wait(20), 0) << read_file(sink_log);
    const long received = sink_count(sink_log);
    EXPECT_EQ(received, 2 * n) << "the receiver's count";
    expect_counts_match(on_device(t, net->host_if), unfinished_on(t, net->host_if), tx);
    long datagrams = 0;
    std::set<std::uint64_t> sends;
    for (const auto& p : t.packets) {
        if (p.flow.proto != 17 || p.flow.dport != 5311) continue;
        ++datagrams;
        EXPECT_EQ(p.outcome, OutcomeKind::sent) << "datagram " << p.id;
        EXPECT_NE(p.send_id, 0u) << "datagram " << p.id << " on no send";
        EXPECT_EQ(p.pid, static_cast<std::uint32_t>(sender)) << "datagram " << p.id;
        EXPECT_EQ(p.send_syscall, "io_uring_enter") << "datagram " << p.id;
        EXPECT_EQ(p.send_ret.value_or(-1), 200) << "datagram " << p.id << ": its request's CQE result";
        EXPECT_TRUE(sends.insert(p.send_id).second) << "two datagrams on one request: " << p.send_id;
    }
    EXPECT_EQ(datagrams, received) << "every datagram the receiver got, once";
}

TEST_F(UringSend, TcpStreamSegmentsTiedToTheirRequests) {
    const long size = 4 << 20;
    const std::string sink_log = scratch_dir() + "/uring-tcp-sink.log";
    auto receiver = sink({"sink-tcp", net->v4_peer, "5312"}, sink_log);
    std::uint64_t tx = 0;
    pid_t sender = 0;
    Trace t = record("uring_tcp", {"--iface", net->host_if}, [&] {
        const std::string log = scratch_dir() + "/uring-tcp.log";
        Child c({uringsend_bin(), "tcp", net->v4_peer, "5312", std::to_string(size)}, log);
        sender = c.pid();
        ASSERT_EQ(c.wait(60), 0) << read_file(log);
    }, tx);
    ASSERT_EQ(receiver->wait(20), 0) << read_file(sink_log);
    ASSERT_EQ(sink_count(sink_log), size) << "the receiver's count";
    expect_counts_match(on_device(t, net->host_if), unfinished_on(t, net->host_if), tx);
    long on_uring = 0;
    const auto [segments, tied, bytes, tied_bytes] = tcp_data_tie(
        t, [](const Packet& p) { return p.flow.dport == 5312; },
        [&](const Packet& p) {
            EXPECT_EQ(p.pid, static_cast<std::uint32_t>(sender)) << "segment " << p.id << " on another process";
            EXPECT_EQ(p.comm, "txray-uringsend");
            if (!p.send_syscall.empty()) {
                EXPECT_EQ(p.send_syscall, "io_uring_enter") << "segment " << p.id;
            }
            on_uring += p.send_syscall == "io_uring_enter";
        });
    ASSERT_GT(segments, 50);
    EXPECT_GE(bytes, size) << "the trace carries the bytes the receiver read";
    EXPECT_GE(tied * 1000, segments * 999) << tied << " of " << segments << " data segments tied to a request";
    EXPECT_GE(tied_bytes * 1000, size * 999L) << tied_bytes << " bytes tied of " << size;
    EXPECT_GE(on_uring * 1000, segments * 999) << on_uring << " of " << segments << " with their request's record";
}

}  // namespace
