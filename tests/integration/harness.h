// Helpers for tests that run the real txray as root: processes, a veth pair
// into a throw-away network namespace, and reading the trace back.
#pragma once
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/trace_reader.h"

namespace txray::test {

struct RunResult {
    int status = -1;  // exit code, or 128+signal
    std::string out;  // stdout and stderr together
};
RunResult run(const std::string& shell_cmd);

// `tc -s qdisc show dev DEV`'s first qdisc (the root): what it dropped
// ("dropped N") and holds ("backlog 3000b 3p"); -1 where tc did not say.
struct QdiscStats {
    long dropped = -1;
    long backlog_packets = -1;
    std::string text;  // tc's output, for a failure message
};
QdiscStats qdisc_stats(const std::string& dev);

// A child process with stdout+stderr to `log_path`.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::string& log_path);
    ~Child();  // kills it if still running
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    int interrupt_and_wait(double timeout_s = 20);  // SIGINT, then exit code
    int wait(double timeout_s = 30);
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

std::uint64_t monotonic_now_ns();
std::string read_file(const std::string& path);
// Waits until `path` has a first complete line (the recorder attached).
bool wait_for_header(const std::string& path, double timeout_s = 30);
// From a --verbose run's output: "txray: N packets moved from their thread's
// slot ..." (N), or -1 when the line is missing.
long moved_from_slots(const std::string& output);
// txray's own lines ("txray: ...") of a run's output, for failure messages.
std::string summary_lines(const std::string& output);
// --verbose: sends the kernel folded into their only packet's record.
long folded_sends(const std::string& output);

// veth pair: host side `host_if` (10.77.N.1/24, fd77:N::1/64) <-> `peer_if`
// (10.77.N.2, fd77:N::2) inside namespace `ns`. Removed on destruction.
class VethNetns {
public:
    explicit VethNetns(const std::string& tag);
    ~VethNetns();
    std::string ns, host_if, peer_if, v4_peer, v6_peer;
    std::uint64_t tx_packets() const;  // host_if's TX counter

private:
    bool ok_ = false;
};

// A fixture with its own veth pair into a fresh namespace (`tag` names it);
// skipped without root.
class NetnsTest : public ::testing::Test {
protected:
    explicit NetnsTest(std::string tag) : tag_(std::move(tag)) {}
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        net = std::make_unique<VethNetns>(tag_);
    }
    std::unique_ptr<VethNetns> net;

private:
    std::string tag_;
};

std::string txray_bin();
std::string testsend_bin();
std::string tcptest_bin();

// tx_packets of device `dev` in namespace `ns` (empty: this one).
std::uint64_t tx_packets_in(const std::string& ns, const std::string& dev);
// A TCP record's payload bytes (its sequence range less SYN and FIN).
long tcp_payload(const Packet& p);

// TCP data as its receiver counts it: each byte once. A retransmission (a
// busy host makes TCP resend when an ACK comes late) carries bytes counted
// already: it adds none, and must be linked (retransmit_of) to the first
// transmission that carried its first byte (Assembler::finish_tcp), which
// add() checks.
struct TcpPayloadTally {
    explicit TcpPayloadTally(const Trace& t);
    // What p adds: its payload, or 0 (SYN, pure ACK, FIN, a retransmission).
    long add(const Packet& p);
    long bytes = 0;
    int retransmissions = 0;
    std::map<std::uint64_t, const Packet*> by_id;  // the trace's records
};
std::string scratch_dir();  // per-run directory for traces and logs

// Ids of loaded BPF programs whose name starts with "txr_" (txray's). Tests
// compare a snapshot from before their recorder started with one after it
// exited, so another txray running on the machine does not count.
std::set<int> loaded_txray_program_ids();
// Those of `after` not in `before`.
std::vector<int> left_behind(const std::set<int>& before, const std::set<int>& after);

}  // namespace txray::test
