// io_uring's send operations (bpf/hooks/uring.bpf.h), from the host into a
// test namespace over a veth pair: UDP datagrams sent with IORING_OP_SEND and
// IORING_OP_SENDMSG (several SQEs per io_uring_enter) issued inline, by io-wq
// workers (IOSQE_ASYNC) and on a registered file (IOSQE_FIXED_FILE), and TCP
// streams sent with IORING_OP_SEND, inline and waiting for the peer's reads
// (MSG_WAITALL on a small send buffer: issued again after poll wake-ups),
// judged against the receiver's own counts and the device's TX counter. The
// sender and receivers are txray-uringsend.
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
        const std::string doctor = run(txray_bin() + " doctor 2>&1").out;
        if (doctor.find("\nio_uring sends tied") == std::string::npos)
            GTEST_SKIP() << "txray doctor: io_uring sends are not tied on this kernel";
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
    void udp_requests(const std::string& mode, const std::string& port);
    void tcp_stream(const std::string& mode, const std::string& port, long size, long requests,
                    const std::vector<std::string>& sink_extra);
    // The number a txray-uringsend sink printed last.
    static long sink_count(const std::string& log) {
        const std::string out = read_file(log);
        const auto end = out.find_last_not_of("\n");
        const auto start = out.find_last_of('\n', end);
        return std::stol(out.substr(start == std::string::npos ? 0 : start + 1));
    }
};

// Every datagram the receiver got is in the trace once, on its own request
// (one datagram per request), on the submitting thread (never an io-wq
// worker's own name), with the request's CQE result.
void UringSend::udp_requests(const std::string& mode, const std::string& port) {
    const long n = 200;  // per opcode
    const std::string sink_log = scratch_dir() + "/uring-" + mode + "-sink.log";
    auto receiver = sink({"sink-udp", net->v4_peer, port, std::to_string(2 * n), "10"}, sink_log);
    ASSERT_EQ(run("ping -c 1 -W 2 " + net->v4_peer).status, 0);  // ARP resolved before
    std::uint64_t tx = 0;
    pid_t sender = 0;
    Trace t = record("uring_" + mode, {"--iface", net->host_if}, [&] {
        const std::string log = scratch_dir() + "/uring-" + mode + ".log";
        Child c({uringsend_bin(), mode, net->v4_peer, port, std::to_string(n)}, log);
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
        if (p.flow.proto != 17 || p.flow.dport != std::stoi(port)) continue;
        ++datagrams;
        EXPECT_EQ(p.outcome, OutcomeKind::sent) << "datagram " << p.id;
        EXPECT_NE(p.send_id, 0u) << "datagram " << p.id << " on no send";
        EXPECT_EQ(p.pid, static_cast<std::uint32_t>(sender)) << "datagram " << p.id;
        EXPECT_EQ(p.tid, static_cast<std::uint32_t>(sender)) << "datagram " << p.id << ": not the submitter";
        EXPECT_EQ(p.comm, "txray-uringsend") << "datagram " << p.id;
        EXPECT_EQ(p.send_syscall, "io_uring_enter") << "datagram " << p.id;
        EXPECT_EQ(p.send_ret.value_or(-1), 200) << "datagram " << p.id << ": its request's CQE result";
        EXPECT_TRUE(sends.insert(p.send_id).second) << "two datagrams on one request: " << p.send_id;
    }
    EXPECT_EQ(datagrams, received) << "every datagram the receiver got, once";
}

// Every data segment is tied to the request whose bytes it carries, on the
// sending process; the trace carries the bytes the receiver read. `requests`
// (0: unknown, short sends) bounds the calls the segments are tied to.
void UringSend::tcp_stream(const std::string& mode, const std::string& port, long size, long requests,
                           const std::vector<std::string>& sink_extra) {
    const std::string sink_log = scratch_dir() + "/uring-" + mode + "-sink.log";
    std::vector<std::string> sink_args = {"sink-tcp", net->v4_peer, port};
    sink_args.insert(sink_args.end(), sink_extra.begin(), sink_extra.end());
    auto receiver = sink(sink_args, sink_log);
    std::uint64_t tx = 0;
    pid_t sender = 0;
    Trace t = record("uring_" + mode, {"--iface", net->host_if}, [&] {
        const std::string log = scratch_dir() + "/uring-" + mode + ".log";
        Child c({uringsend_bin(), mode, net->v4_peer, port, std::to_string(size)}, log);
        sender = c.pid();
        ASSERT_EQ(c.wait(60), 0) << read_file(log);
    }, tx);
    ASSERT_EQ(receiver->wait(20), 0) << read_file(sink_log);
    ASSERT_EQ(sink_count(sink_log), size) << "the receiver's count";
    expect_counts_match(on_device(t, net->host_if), unfinished_on(t, net->host_if), tx);
    long on_uring = 0;
    std::set<std::uint64_t> calls;
    const int dport = std::stoi(port);
    const auto [segments, tied, bytes, tied_bytes] = tcp_data_tie(
        t, [&](const Packet& p) { return p.flow.dport == dport; },
        [&](const Packet& p) {
            EXPECT_EQ(p.pid, static_cast<std::uint32_t>(sender)) << "segment " << p.id << " on another process";
            EXPECT_EQ(p.comm, "txray-uringsend");
            if (!p.send_syscall.empty()) {
                EXPECT_EQ(p.send_syscall, "io_uring_enter") << "segment " << p.id;
            }
            on_uring += p.send_syscall == "io_uring_enter";
            if (p.send_id) calls.insert(p.send_id);
        });
    ASSERT_GT(segments, 50);
    EXPECT_GE(bytes, size) << "the trace carries the bytes the receiver read";
    EXPECT_GE(tied * 1000, segments * 999) << tied << " of " << segments << " data segments tied to a request";
    EXPECT_GE(tied_bytes * 1000, size * 999L) << tied_bytes << " bytes tied of " << size;
    if (requests == 0) {
        EXPECT_GE(on_uring * 1000, segments * 999) << on_uring << " of " << segments << " with their request's record";
        return;
    }
    // A request waiting for the peer completes after its segments' 200 ms
    // wait for its record (docs/trace-format.md, `syscall`): not all name it.
    EXPECT_GT(on_uring, 0) << "no segment with its request's record";
    EXPECT_LE(static_cast<long>(calls.size()), requests) << "segments tied to more calls than requests";
}

TEST_F(UringSend, UdpSendAndSendmsgEachOnItsSubmission) { udp_requests("udp", "5311"); }

// IOSQE_ASYNC: io-wq workers ("iou-wrk-<pid>") issue the requests.
TEST_F(UringSend, UdpAsyncEachOnItsRequestNotTheWorker) { udp_requests("udp-async", "5313"); }

// IOSQE_FIXED_FILE: the socket from the ring's registered-file table.
TEST_F(UringSend, UdpFixedFileEachOnItsRequest) { udp_requests("udp-fixed", "5314"); }

// Both: an io-wq worker looks the registered file up (io_file_get_fixed:
// no tracepoint); the request is the worker's current work.
TEST_F(UringSend, UdpFixedFileAsyncEachOnItsRequestNotTheWorker) { udp_requests("udp-fixed-async", "5317"); }

// IORING_OP_WRITE and WRITEV on the socket (io_write -> sock_write_iter).
TEST_F(UringSend, UdpWriteAndWritevEachOnItsRequest) { udp_requests("udp-write", "5316"); }

TEST_F(UringSend, TcpStreamSegmentsTiedToTheirRequests) { tcp_stream("tcp", "5312", 4 << 20, 0, {}); }

// MSG_WAITALL requests (256 KiB) on an 8 KiB send buffer to a receiver that
// starts reading after 500 ms: each request is issued again after poll
// wake-ups, its segments tied to it throughout.
TEST_F(UringSend, TcpBlockedRequestsTiedAcrossTheirRetries) {
    tcp_stream("tcp-wait", "5315", 2 << 20, (2 << 20) / (256 << 10), {"500"});
}

}  // namespace
