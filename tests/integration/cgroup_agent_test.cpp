// `txray agent --by cgroup`: two test cgroups, each with a UDP sender over a
// veth pair into a test namespace; the agent's per-cgroup packet counts must
// equal what each sender says it sent (and together the device's count). With
// --cgroup-top 1 the second cgroup is counted as "other"; once it is removed
// its entry leaves the kernel's table (an eviction) and "other" keeps its count.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.h"
#include "http_client.h"

using namespace txray::test;
using namespace std::chrono_literals;

namespace {

std::string cgroup2_root() {
    std::ifstream mounts("/proc/mounts");
    std::string dev, dir, type, rest;
    while (mounts >> dev >> dir >> type && std::getline(mounts, rest))
        if (type == "cgroup2") return dir;
    return "";
}

class AgentByCgroup : public NetnsTest {
protected:
    AgentByCgroup() : NetnsTest("cg") {}
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        root_ = cgroup2_root();
        if (root_.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
        for (const char* name : {"a", "b"}) {
            const std::string rel = "/txray-test-" + std::to_string(getpid()) + "-" + name;
            ASSERT_TRUE(std::filesystem::create_directory(root_ + rel)) << root_ + rel;
            cgroups_.push_back(rel);
        }
        // Nothing but the senders' datagrams leaves the device: no IPv6
        // (ND, MLD), no ARP (a permanent neighbour entry).
        ASSERT_EQ(run("sysctl -qw net.ipv6.conf." + net->host_if + ".disable_ipv6=1").status, 0);
        const std::string mac = read_file_in_ns("/sys/class/net/" + net->peer_if + "/address");
        ASSERT_EQ(run("ip neigh replace " + net->v4_peer + " lladdr " + mac + " dev " + net->host_if + " nud permanent")
                      .status,
                  0);
    }
    void TearDown() override {
        agent_.reset();
        for (const auto& c : cgroups_) rmdir((root_ + c).c_str());
    }
    std::string read_file_in_ns(const std::string& path) {
        RunResult r = run("ip netns exec " + net->ns + " cat " + path);
        while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
        return r.out;
    }
    void start(int top) {
        port_ = free_port();
        log_ = scratch_dir() + "/agent-cg-" + std::to_string(port_) + ".log";
        agent_ = std::make_unique<Child>(
            std::vector<std::string>{txray_bin(), "agent", "--listen", "127.0.0.1:" + std::to_string(port_), "--iface",
                                     net->host_if, "--by", "cgroup", "--cgroup-top", std::to_string(top)},
            log_);
        for (int i = 0; i < 300 && read_file(log_).find("serving http://") == std::string::npos; ++i)
            std::this_thread::sleep_for(50ms);
        ASSERT_NE(read_file(log_).find("serving http://"), std::string::npos) << read_file(log_);
    }
    // Runs a sender inside cgroup `i` (its socket is made there); returns
    // the datagrams it says it sent.
    long send_from(std::size_t i, int count) {
        RunResult r = run("sh -c 'echo $$ > " + root_ + cgroups_[i] + "/cgroup.procs && exec " + testsend_bin() +
                          " send --to " + net->v4_peer + " --port 9400 --way sendto --size 200 --count " +
                          std::to_string(count) + "'");
        EXPECT_EQ(r.status, 0) << r.out;
        const auto pos = r.out.find("sent ");
        return pos == std::string::npos ? -1 : std::stol(r.out.substr(pos + 5));
    }
    // Sent packets of every cgroup series of the interface, added up.
    double all_sent(const std::string& body) const {
        double n = 0;
        const std::string head = "txray_packets_total{ifname=\"" + net->host_if + "\",cgroup=\"";
        for (auto pos = body.find(head); pos != std::string::npos; pos = body.find(head, pos + 1)) {
            const auto eol = body.find('\n', pos);
            const std::string l = body.substr(pos, eol - pos);
            if (l.find("outcome=\"sent\"} ") != std::string::npos) n += std::stod(l.substr(l.rfind(' ') + 1));
        }
        return n;
    }
    double other(const std::string& body) const {
        const double v = metric(body, series("other"));
        return std::isnan(v) ? 0 : v;
    }
    std::string series(const std::string& cgroup) const {
        return "txray_packets_total{ifname=\"" + net->host_if + "\",cgroup=\"" + cgroup + "\",outcome=\"sent\"}";
    }
    // Scrapes until `cgroup`'s sent count is `want` (the agent refreshes
    // once a second); returns the last scrape.
    std::string wait_for_sent(const std::string& cgroup, long want) {
        std::string body;
        for (int i = 0; i < 60; ++i) {
            body = http_request(port_, "GET", "/metrics").body;
            if (metric(body, series(cgroup)) == static_cast<double>(want)) break;
            std::this_thread::sleep_for(250ms);
        }
        return body;
    }
    void stop() {
        ASSERT_EQ(kill(agent_->pid(), SIGTERM), 0);
        EXPECT_EQ(agent_->wait(20), 0) << read_file(log_);
    }
    std::string root_;
    std::vector<std::string> cgroups_;
    int port_ = 0;
    std::string log_;
    std::unique_ptr<Child> agent_;
};

// Packets of no socket (IGMP reports of the new link, ...) count as "other":
// the test compares deltas of "other", and the sum of every series with the
// device's own counter.
TEST_F(AgentByCgroup, EachCgroupCountsWhatItsSenderSent) {
    start(2);
    const std::uint64_t tx0 = net->tx_packets();
    const long a = send_from(0, 300);
    ASSERT_EQ(a, 300);
    std::string m = wait_for_sent(cgroups_[0], a);
    EXPECT_EQ(metric(m, series(cgroups_[0])), a) << m;
    const double other0 = other(m);
    const long b = send_from(1, 170);
    ASSERT_EQ(b, 170);
    m = wait_for_sent(cgroups_[1], b);
    EXPECT_EQ(metric(m, series(cgroups_[0])), a) << m;
    EXPECT_EQ(metric(m, series(cgroups_[1])), b) << m;
    EXPECT_EQ(other(m), other0) << "nothing of the two cgroups in other\n" << m;
    EXPECT_EQ(all_sent(m), static_cast<double>(net->tx_packets() - tx0)) << "every packet the device sent\n" << m;
    // Their end-to-end histograms carry the label too, one count per packet.
    EXPECT_EQ(metric(m, "txray_e2e_latency_seconds_count{ifname=\"" + net->host_if + "\",cgroup=\"" + cgroups_[1] + "\"}"),
              b)
        << m;
    EXPECT_EQ(metric(m, "txray_cgroup_overflow_packets_total"), 0) << m;
    if (run("command -v promtool >/dev/null").status == 0) {  // the linter on the labelled exposition
        const std::string file = scratch_dir() + "/metrics-cg-" + std::to_string(port_) + ".txt";
        std::ofstream(file) << m;
        RunResult lint = run("promtool check metrics < " + file);
        EXPECT_EQ(lint.status, 0) << lint.out;
        std::filesystem::remove(file);
    }
    stop();
}

TEST_F(AgentByCgroup, BeyondTopKIsOtherAndAGoneCgroupIsEvicted) {
    start(1);
    const std::uint64_t tx0 = net->tx_packets();
    const long a = send_from(0, 120);
    ASSERT_EQ(a, 120);
    std::string m = wait_for_sent(cgroups_[0], a);  // the first cgroup seen takes the one label
    const double other0 = other(m);
    const long b = send_from(1, 80);
    ASSERT_EQ(b, 80);
    for (int i = 0; i < 60 && other(m) != other0 + b; ++i) {
        std::this_thread::sleep_for(250ms);
        m = http_request(port_, "GET", "/metrics").body;
    }
    EXPECT_EQ(metric(m, series(cgroups_[0])), a) << m;
    EXPECT_EQ(other(m), other0 + b) << m;
    EXPECT_TRUE(std::isnan(metric(m, series(cgroups_[1])))) << "beyond the top 1: no label of its own\n" << m;
    EXPECT_EQ(all_sent(m), static_cast<double>(net->tx_packets() - tx0)) << m;

    // The second cgroup goes: its kernel entry is removed within a rescan
    // (at most ~10 s), its packets stay in "other".
    ASSERT_EQ(rmdir((root_ + cgroups_[1]).c_str()), 0);
    for (int i = 0; i < 80 && metric(m, "txray_cgroup_evictions_total") < 1; ++i) {
        std::this_thread::sleep_for(250ms);
        m = http_request(port_, "GET", "/metrics").body;
    }
    EXPECT_EQ(metric(m, "txray_cgroup_evictions_total"), 1) << m;
    EXPECT_EQ(other(m), other0 + b) << m;
    EXPECT_EQ(metric(m, series(cgroups_[0])), a) << m;
    stop();
}

}  // namespace
