#include "harness.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace txray::test {

RunResult run(const std::string& shell_cmd) {
    RunResult r;
    FILE* p = popen((shell_cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

QdiscStats qdisc_stats(const std::string& dev) {
    QdiscStats s;
    s.text = run("tc -s qdisc show dev " + dev).out;
    if (auto pos = s.text.find("dropped "); pos != std::string::npos) s.dropped = std::atol(s.text.c_str() + pos + 8);
    if (auto pos = s.text.find("backlog "); pos != std::string::npos) {
        pos = s.text.find(' ', pos + 8);
        if (pos != std::string::npos) s.backlog_packets = std::atol(s.text.c_str() + pos + 1);
    }
    return s;
}

Child::Child(const std::vector<std::string>& argv, const std::string& log_path) {
    pid_ = fork();
    if (pid_ == 0) {
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
}

Child::~Child() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

int Child::wait(double timeout_s) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    int st = 0;
    while (std::chrono::steady_clock::now() < end) {
        pid_t r = waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
}

int Child::interrupt_and_wait(double timeout_s) {
    if (pid_ > 0) kill(pid_, SIGINT);
    return wait(timeout_s);
}

std::uint64_t monotonic_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1'000'000'000ull + ts.tv_nsec;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

namespace {
// The number txray's --verbose line "txray: N<tail>" gives, -1 without one.
long verbose_count(const std::string& output, const std::string& tail) {
    const auto at = output.find(tail);
    if (at == std::string::npos) return -1;
    const auto start = output.rfind("txray: ", at);
    if (start == std::string::npos) return -1;
    return std::stol(output.substr(start + 7, at - start - 7));
}
}  // namespace

std::string summary_lines(const std::string& output) {
    std::string out;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("txray: ", 0) == 0) out += line + "\n";
    return out;
}

long moved_from_slots(const std::string& output) {
    return verbose_count(output, " packets moved from their thread's slot");
}

long folded_sends(const std::string& output) {
    return verbose_count(output, " sends folded into their only packet's record");
}

bool wait_for_header(const std::string& path, double timeout_s) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
        if (read_file(path).find('\n') != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

VethNetns::VethNetns(const std::string& tag) {
    const std::string id = std::to_string(getpid() % 200 + 20);
    ns = "txray-" + tag + "-" + std::to_string(getpid());
    host_if = "txr" + tag.substr(0, 4) + id;
    peer_if = "txp" + tag.substr(0, 4) + id;
    v4_peer = "10.77." + id + ".2";
    v6_peer = "fd77:" + id + "::2";
    const std::string script =
        "set -e; ip netns add " + ns + "; ip link add " + host_if + " type veth peer name " + peer_if +
        "; ip link set " + peer_if + " netns " + ns + "; ip addr add 10.77." + id + ".1/24 dev " + host_if +
        "; ip -6 addr add fd77:" + id + "::1/64 dev " + host_if + " nodad; ip link set " + host_if +
        " up; ip netns exec " + ns + " ip addr add " + v4_peer + "/24 dev " + peer_if + "; ip netns exec " + ns +
        " ip -6 addr add " + v6_peer + "/64 dev " + peer_if + " nodad; ip netns exec " + ns + " ip link set " +
        peer_if + " up; ip netns exec " + ns + " ip link set lo up";
    RunResult r = run(script);
    if (r.status != 0) {
        run("ip netns del " + ns + " 2>/dev/null; ip link del " + host_if + " 2>/dev/null");
        throw std::runtime_error("cannot set up veth/netns: " + r.out);
    }
    ok_ = true;
    // Let IPv6 settle (MLD reports, link-local address) before counting.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
}

VethNetns::~VethNetns() {
    if (ok_) run("ip link del " + host_if + " 2>/dev/null; ip netns del " + ns);
}

std::uint64_t VethNetns::tx_packets() const {
    return std::stoull(read_file("/sys/class/net/" + host_if + "/statistics/tx_packets"));
}

std::string txray_bin() { return TXRAY_BIN; }
std::string testsend_bin() { return TESTSEND_BIN; }
std::string tcptest_bin() { return TCPTEST_BIN; }

std::uint64_t tx_packets_in(const std::string& ns, const std::string& dev) {
    const std::string cmd = (ns.empty() ? "" : "ip netns exec " + ns + " ") + "cat /sys/class/net/" + dev +
                            "/statistics/tx_packets";
    return std::stoull(run(cmd).out);
}

long tcp_payload(const Packet& p) {
    long len = static_cast<std::uint32_t>(p.tcp_end_seq - p.tcp_seq);
    if (p.tcp_flags & 0x02) --len;  // SYN
    if (p.tcp_flags & 0x01) --len;  // FIN
    return len;
}

namespace {
// gtest checks that retransmission `resent` is linked to a record of `by_id`
// that was a first transmission and carried its first byte.
void expect_linked_to_first_transmission(const Packet& resent, const std::map<std::uint64_t, const Packet*>& by_id) {
    auto it = by_id.find(resent.retransmit_of);
    if (resent.retransmit_of == 0 || it == by_id.end()) {
        ADD_FAILURE() << "retransmission " << resent.id << " not linked to a record of the trace (retransmit_of "
                      << resent.retransmit_of << ")";
        return;
    }
    const Packet& first = *it->second;
    EXPECT_FALSE(first.retransmit) << "retransmission " << resent.id << " linked to another retransmission";
    // The first carried the resent segment's first byte (a resend may start
    // inside an earlier TSO skb): sequence numbers compared mod 2^32.
    EXPECT_LE(static_cast<std::int32_t>(first.tcp_seq - resent.tcp_seq), 0) << "retransmission " << resent.id;
    EXPECT_GT(static_cast<std::int32_t>(first.tcp_end_seq - resent.tcp_seq), 0) << "retransmission " << resent.id;
}
}  // namespace

TcpPayloadTally::TcpPayloadTally(const Trace& t) {
    for (const Packet& p : t.packets) by_id[p.id] = &p;
}

long TcpPayloadTally::add(const Packet& p) {
    if (p.retransmit) {
        ++retransmissions;
        expect_linked_to_first_transmission(p, by_id);
        return 0;
    }
    const long n = std::max(0L, tcp_payload(p));
    bytes += n;
    return n;
}

namespace {
// Removed at exit when every test of the process passed (kept for a look
// otherwise, or with TXRAY_KEEP_SCRATCH=1).
struct ScratchDir {
    std::string path = std::filesystem::temp_directory_path() / ("txray-it-" + std::to_string(getpid()));
    ScratchDir() { std::filesystem::create_directories(path); }
    ~ScratchDir() {
        if (!::testing::UnitTest::GetInstance()->Passed() || std::getenv("TXRAY_KEEP_SCRATCH")) {
            std::fprintf(stderr, "(test files kept in %s)\n", path.c_str());
            return;
        }
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};
}  // namespace

std::string scratch_dir() {
    static ScratchDir dir;
    return dir.path;
}

std::set<int> loaded_txray_program_ids() {
    std::set<int> ids;
    RunResult r = run("bpftool prog show");
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line))
        if (line.find(" name txr_") != std::string::npos) ids.insert(std::atoi(line.c_str()));
    return ids;
}

std::vector<int> left_behind(const std::set<int>& before, const std::set<int>& after) {
    std::vector<int> out;
    for (int id : after)
        if (!before.count(id)) out.push_back(id);
    return out;
}

}  // namespace txray::test
