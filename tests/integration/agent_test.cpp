// `txray agent`: a real Prometheus (Debian's package) scrapes it every second
// while UDP crosses a veth pair, then a tbf that queues and drops; what
// Prometheus stores must equal the device's and tc's own counters. Then
// hostile HTTP, and nothing left loaded after SIGTERM.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "harness.h"
#include "http_client.h"

using namespace txray::test;
using namespace std::chrono_literals;

namespace {

// The one number a Prometheus instant query returns (NaN: no series).
double query_value(int prom_port, const std::string& promql) {
    try {
        auto j = nlohmann::json::parse(prometheus_query(prom_port, promql));
        const auto& res = j.at("data").at("result");
        if (res.empty()) return std::nan("");
        return std::stod(res.at(0).at("value").at(1).get<std::string>());
    } catch (const std::exception&) {
        return std::nan("");
    }
}

// Polls until the query returns `want` (Prometheus scrapes every second);
// returns the last value seen.
double wait_for_value(int prom_port, const std::string& promql, double want, double timeout_s = 15) {
    double v = std::nan("");
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
        v = query_value(prom_port, promql);
        if (v == want) break;
        std::this_thread::sleep_for(500ms);
    }
    return v;
}

bool have(const char* tool) { return run(std::string("command -v ") + tool + " >/dev/null").status == 0; }

class Agent : public NetnsTest {
protected:
    Agent() : NetnsTest("ag") {}
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        start({});
    }
    void start(const std::vector<std::string>& extra) {
        // No IPv6 on the host side: nothing (ND, MLD) leaves the device
        // unless the test sends it, so its counter is the test's alone.
        ASSERT_EQ(run("sysctl -qw net.ipv6.conf." + net->host_if + ".disable_ipv6=1").status, 0);
        progs_before_ = loaded_txray_program_ids();
        tx0_ = net->tx_packets();
        port_ = free_port();
        log_ = scratch_dir() + "/agent-" + std::to_string(port_) + ".log";
        std::vector<std::string> argv{txray_bin(), "agent", "--listen", "127.0.0.1:" + std::to_string(port_), "--iface",
                                      net->host_if};
        argv.insert(argv.end(), extra.begin(), extra.end());
        agent_ = std::make_unique<Child>(argv, log_);
        for (int i = 0; i < 300 && read_file(log_).find("serving http://") == std::string::npos; ++i)
            std::this_thread::sleep_for(50ms);
        ASSERT_NE(read_file(log_).find("serving http://127.0.0.1:" + std::to_string(port_)), std::string::npos)
            << read_file(log_);
    }
    // SIGTERM: exit code 0, and no txr_ program of ours left loaded.
    void stop_agent() {
        ASSERT_EQ(kill(agent_->pid(), SIGTERM), 0);
        EXPECT_EQ(agent_->wait(20), 0) << read_file(log_);
        bool gone = false;
        for (int i = 0; i < 30 && !(gone = left_behind(progs_before_, loaded_txray_program_ids()).empty()); ++i)
            std::this_thread::sleep_for(100ms);
        EXPECT_TRUE(gone) << "BPF programs left after SIGTERM";
    }
    void send_udp(int count, int size) {
        RunResult s = run(testsend_bin() + " send --to " + net->v4_peer + " --port 9400 --way sendto --count " +
                          std::to_string(count) + " --size " + std::to_string(size));
        ASSERT_EQ(s.status, 0) << s.out;
    }
    std::set<int> progs_before_;
    std::uint64_t tx0_ = 0;  // the device's TX counter before the agent started
    int port_ = 0;
    std::string log_;
    std::unique_ptr<Child> agent_;
};

// Debian's prometheus on 127.0.0.1, its own storage, scraping the agent every second.
class PrometheusServer {
public:
    PrometheusServer(int agent_port, const std::string& dir) : dir_(dir) {
        std::filesystem::create_directories(dir_ + "/data");
        port = free_port();
        std::ofstream(dir_ + "/prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                                   "scrape_configs:\n  - job_name: txray\n    static_configs:\n"
                                                   "      - targets: ['127.0.0.1:"
                                                << agent_port << "']\n";
        child_ = std::make_unique<Child>(
            std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                     "--storage.tsdb.path=" + dir_ + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port)},
            dir_ + "/prometheus.log");
        for (int i = 0; i < 200 && http_request(port, "GET", "/-/ready", 2).status != 200; ++i)
            std::this_thread::sleep_for(100ms);
    }
    ~PrometheusServer() {
        kill(child_->pid(), SIGTERM);
        child_->wait(20);
        std::filesystem::remove_all(dir_);
    }
    bool ready() const { return http_request(port, "GET", "/-/ready", 2).status == 200; }
    int port = 0;

private:
    std::string dir_;
    std::unique_ptr<Child> child_;
};

TEST_F(Agent, PrometheusSeesWhatTheDeviceAndTcCount) {
    if (!have("prometheus") || !have("promtool")) GTEST_SKIP() << "needs Debian's prometheus (scripts/setup-debian.sh --tests)";
    PrometheusServer prom(port_, scratch_dir() + "/prom-" + std::to_string(port_));
    ASSERT_TRUE(prom.ready()) << read_file(scratch_dir() + "/prom-" + std::to_string(port_) + "/prometheus.log");
    const std::string sent_q = "sum(txray_packets_total{ifname=\"" + net->host_if + "\",outcome=\"sent\"})";
    ASSERT_EQ(wait_for_value(prom.port, "count(up{job=\"txray\"} == 1)", 1), 1);

    // 1. Plain veth: every packet the device counts, Prometheus counts as sent.
    send_udp(400, 300);
    const double plain_delta = static_cast<double>(net->tx_packets() - tx0_);
    EXPECT_EQ(wait_for_value(prom.port, sent_q, plain_delta), plain_delta) << read_file(log_);

    // 2. A tbf that queues (20 ms of 4 Mbit/s) and drops past 10 kB.
    ASSERT_EQ(run("tc qdisc add dev " + net->host_if + " root tbf rate 4mbit burst 4kb limit 10kb").status, 0);
    send_udp(300, 1000);
    // The queue drains within ~30 ms; then both sides stop moving.
    std::this_thread::sleep_for(1s);
    const long dropped = qdisc_stats(net->host_if).dropped;
    ASSERT_GT(dropped, 0);
    const double tx_delta = static_cast<double>(net->tx_packets() - tx0_);
    // The agent's counters start at 0 when it attaches, before Prometheus's
    // first scrape. A queued packet whose later stages' programs the kernel
    // skipped (README, Known limits) stays in flight: counted unfinished.
    EXPECT_EQ(wait_for_value(prom.port, sent_q + " + sum(txray_unfinished_packets)", tx_delta), tx_delta)
        << read_file(log_);
    EXPECT_LE(query_value(prom.port, "txray_unfinished_packets"), 2);
    EXPECT_EQ(wait_for_value(prom.port, "sum(txray_drops_total{reason=\"QDISC_DROP\"})", dropped), dropped);
    const double p99 = query_value(
        prom.port,
        "histogram_quantile(0.99, sum by (le) (rate(txray_stage_latency_seconds_bucket{stage=\"qdisc_dequeue\"}[30s])))");
    EXPECT_GT(p99, 0.001) << "p99 of qdisc_dequeue: " << p99;

    // promtool's own linter on what the agent serves.
    HttpReply m = http_request(port_, "GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    const std::string file = scratch_dir() + "/metrics-" + std::to_string(port_) + ".txt";
    std::ofstream(file) << m.body;
    RunResult lint = run("promtool check metrics < " + file);
    EXPECT_EQ(lint.status, 0) << lint.out;
    std::filesystem::remove(file);
    stop_agent();
}

TEST_F(Agent, HostileHttpIsRefusedAndScrapesGoOn) {
    EXPECT_EQ(http_request(port_, "POST", "/metrics").status, 405);
    EXPECT_EQ(http_request(port_, "DELETE", "/metrics").status, 405);
    EXPECT_EQ(http_request(port_, "GET", "/").status, 404);
    const int traversal = http_request(port_, "GET", "/../../../etc/passwd").status;
    EXPECT_TRUE(traversal == 404 || traversal == 400) << traversal;
    EXPECT_EQ(http_request(port_, "GET", "/metrics/../../etc/passwd").body.find("root:"), std::string::npos);
    HttpReply head = http_request(port_, "HEAD", "/metrics");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());

    // Clients that connect and say nothing, or half a request, then vanish
    // from the agent's point of view: they hold a worker until the timeout.
    std::vector<std::thread> idle;
    for (int i = 0; i < 3; ++i)
        idle.emplace_back([this, i] { http_raw(port_, i ? "GET /metr" : "", 8); });
    // 2 MB of random bytes: refused, nothing else harmed.
    std::string junk(2 << 20, '\0');
    std::mt19937 rng(20);
    for (auto& c : junk) c = static_cast<char>(rng());
    HttpReply j = http_raw(port_, junk, 10);
    EXPECT_NE(j.status, 200);

    // 100 parallel scrapes: every one answered in full.
    std::atomic<int> ok{0};
    std::vector<std::thread> scrapers;
    for (int i = 0; i < 100; ++i)
        scrapers.emplace_back([&] {
            HttpReply r = http_request(port_, "GET", "/metrics", 30);
            if (r.status == 200 && r.body.find("txray_build_info{") != std::string::npos) ++ok;
        });
    for (auto& t : scrapers) t.join();
    EXPECT_EQ(ok.load(), 100);
    for (auto& t : idle) t.join();
    // Still answering, still counting.
    send_udp(50, 200);
    std::this_thread::sleep_for(1500ms);
    HttpReply m = http_request(port_, "GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("txray_packets_total{ifname=\"" + net->host_if + "\",outcome=\"sent\"}"), std::string::npos)
        << m.body;
    stop_agent();
}

// The agent with --capture-drops: the lean programs fill the same metrics
// and judge the selection (bpf/lean_select.bpf.h); the dropped packets'
// records go to rotating files.
class AgentCapture : public Agent {
protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        dir_ = scratch_dir() + "/capture-" + std::to_string(getpid());
        start({"--capture-drops", "--capture-dir", dir_, "--capture-files", "4"});
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

TEST_F(AgentCapture, DroppedPacketsAreKeptInRotatingFilesAndCounted) {
    ASSERT_EQ(run("tc qdisc add dev " + net->host_if + " root tbf rate 4mbit burst 4kb limit 10kb").status, 0);
    send_udp(200, 1000);
    ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);  // a new file, as logrotate would ask
    for (int i = 0; i < 100 && read_file(log_).find("SIGHUP") == std::string::npos; ++i) std::this_thread::sleep_for(50ms);
    send_udp(200, 1000);
    std::this_thread::sleep_for(2500ms);  // the queue drains; the agent's tick publishes
    const long dropped = qdisc_stats(net->host_if).dropped;
    ASSERT_GT(dropped, 0);
    HttpReply m = http_request(port_, "GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    const std::uint64_t tx = net->tx_packets() - tx0_;
    // Sent, or still in flight (README, Known limits: a skipped later stage).
    const double sent = metric(m.body, "txray_packets_total{ifname=\"" + net->host_if + "\",outcome=\"sent\"}");
    const double inflight = metric(m.body, "txray_unfinished_packets");
    EXPECT_EQ(sent + inflight, static_cast<double>(tx)) << m.body;
    EXPECT_LE(inflight, 2);
    EXPECT_NE(m.body.find("txray_captured_packets_total " + std::to_string(dropped) + "\n"), std::string::npos) << m.body;
    stop_agent();

    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), 2u) << "one file, then one more after SIGHUP";
    long kept = 0, unselected = 0, unfinished = 0;
    for (const auto& f : files) {
        const txray::Trace t = txray::load_trace(f);
        ASSERT_TRUE(t.footer) << f << " is a whole trace";
        for (const auto& p : t.packets) {
            if (p.outcome == txray::OutcomeKind::unfinished) {  // written at exit, never silent
                ++unfinished;
                continue;
            }
            EXPECT_EQ(p.outcome, txray::OutcomeKind::dropped) << f;
            EXPECT_EQ(p.drop_reason, "QDISC_DROP") << f;
            ++kept;
        }
        EXPECT_EQ(t.footer->packets, t.packets.size());
        ASSERT_TRUE(t.footer->unselected);
        unselected = static_cast<long>(*t.footer->unselected);  // the run's total so far
    }
    EXPECT_EQ(kept, dropped);
    EXPECT_EQ(unfinished, static_cast<long>(inflight));
    EXPECT_EQ(kept + unselected + unfinished, static_cast<long>(tx) + dropped)
        << "every packet: kept, counted unselected, or still in flight";
}

// --capture-slower-than 1ns keeps every packet: the lean programs make a
// record of each at its end (bpf/lean_select.bpf.h). Each datagram once,
// from its sender, with its flow, device, length and stages in kernel order;
// the ARP request the first send made, with no process (the kernel made it
// in the sender's thread); as many packets as the device counted.
class AgentCaptureEvery : public Agent {
protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        dir_ = scratch_dir() + "/capture-every-" + std::to_string(getpid());
        start({"--capture-slower-than", "1ns", "--capture-dir", dir_});
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

TEST_F(AgentCaptureEvery, EachPacketOnceFromItsSenderWithItsStagesAsTheDeviceCounted) {
    constexpr int kSent = 300, kSize = 200;
    send_udp(kSent, kSize);
    std::this_thread::sleep_for(1500ms);
    stop_agent();
    const std::uint64_t tx = net->tx_packets() - tx0_;

    std::vector<txray::Packet> all;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        txray::Trace t = txray::load_trace(e.path().string());
        ASSERT_TRUE(t.footer) << e.path() << " is a whole trace";
        ASSERT_TRUE(t.footer->unselected);
        EXPECT_EQ(*t.footer->unselected, 0u);
        EXPECT_EQ(t.footer->lost, 0u);
        for (const auto& h : t.header.stages) {  // the lean programs ran: no receive side
            if (h.stage != txray::Stage::netif_receive) continue;
            EXPECT_TRUE(!h.available && !h.rejected.empty() &&
                        h.rejected.back().find("off in the agent's capture") != std::string::npos);
        }
        std::move(t.packets.begin(), t.packets.end(), std::back_inserter(all));
    }
    EXPECT_EQ(all.size(), tx) << "every packet the device sent, once";
    std::set<std::uint64_t> ids;
    int datagrams = 0, kernel_made = 0;
    for (const auto& p : all) {
        EXPECT_TRUE(ids.insert(p.id).second) << "id " << p.id << " twice";
        EXPECT_EQ(p.outcome, txray::OutcomeKind::sent);
        EXPECT_EQ(p.ifname, net->host_if);
        const auto* queued = p.find(txray::Stage::dev_queue_xmit);
        const auto* driver = p.find(txray::Stage::driver_xmit);
        const auto* done = p.find(txray::Stage::xmit_done);
        ASSERT_TRUE(queued && driver && done) << p.id;
        EXPECT_LE(queued->ts_ns, driver->ts_ns);
        EXPECT_LE(driver->ts_ns, done->ts_ns);
        if (p.flow.proto != IPPROTO_UDP) {
            ++kernel_made;
            EXPECT_EQ(p.flow.ethertype, 0x0806) << "only the ARP request is not the test's";
            EXPECT_EQ(p.pid, 0u) << "made in the sender's thread by the kernel: no process";
            continue;
        }
        ++datagrams;
        EXPECT_EQ(p.comm, "txray-testsend");
        EXPECT_NE(p.pid, 0u);
        EXPECT_EQ(p.flow.dport, 9400);
        EXPECT_EQ(p.len, static_cast<std::uint32_t>(kSize + 28 + 14)) << "at the device: IP, UDP and Ethernet";
        const auto* out = p.find(txray::Stage::ip_output);
        ASSERT_TRUE(out) << p.id;
        EXPECT_LE(out->ts_ns, queued->ts_ns);
    }
    EXPECT_EQ(datagrams, kSent);
    EXPECT_LE(kernel_made, 1);
}

}  // namespace
