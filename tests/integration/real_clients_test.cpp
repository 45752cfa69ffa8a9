// Real clients from Debian packages, from the host into a test namespace
// over a veth pair (servers listen inside the namespace only): iperf3 TCP
// and UDP, dig to dnsmasq, curl against python3's http.server (sendfile).
// Judged against the device's TX counter and iperf3's own byte count.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "real_clients.h"

using namespace txray;
using namespace txray::test;

namespace {

class RealClients : public RealClientsFixture {
protected:
    void SetUp() override {
        RealClientsFixture::SetUp();
        if (IsSkipped()) return;
        for (const char* tool : {"iperf3", "dig", "dnsmasq", "curl", "python3"})
            if (!have(tool)) GTEST_SKIP() << tool << " missing: scripts/setup-debian.sh --tests installs it";
        // IPv4 only: the pair's own IPv6 chatter (MLD reports, router
        // solicitations) would race the counter reads around a recording.
        run("sysctl -qw net.ipv6.conf." + net->host_if + ".disable_ipv6=1; ip netns exec " + net->ns +
            " sysctl -qw net.ipv6.conf." + net->peer_if + ".disable_ipv6=1");
    }
    // iperf3 -s (one test) in the namespace on `port`, then `txray record
    // ARGS` around the client `iperf3 -c ... CLIENT_ARGS -J`; its pid and
    // its JSON report (a file) come back too.
    Trace record_iperf3(const std::string& name, int port, const std::vector<std::string>& args,
                        const std::vector<std::string>& client_args, std::uint64_t& tx, pid_t& client_pid,
                        std::string& report) {
        Child server({"/usr/sbin/ip", "netns", "exec", net->ns, "iperf3", "-s", "-1", "-B", net->v4_peer, "-p",
                      std::to_string(port)},
                     scratch_dir() + "/" + name + "-server.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        report = scratch_dir() + "/" + name + "-report.json";
        return record(name, args, [&] {
            std::vector<std::string> argv = {"/usr/bin/iperf3", "-c", net->v4_peer, "-p", std::to_string(port), "-J"};
            argv.insert(argv.end(), client_args.begin(), client_args.end());
            Child client(argv, report);
            client_pid = client.pid();
            ASSERT_EQ(client.wait(30), 0) << read_file(report);
        }, tx);
    }
    // iperf3's sent bytes from its -J report (end.sum_sent.bytes).
    static long iperf3_sent_bytes(const std::string& json) {
        std::smatch m;
        const auto at = json.find("\"sum_sent\"");
        if (at == std::string::npos) return -1;
        const std::string tail = json.substr(at);
        if (!std::regex_search(tail, m, std::regex(R"("bytes":\s*([0-9]+))"))) return -1;
        return std::stol(m[1]);
    }
};

TEST_F(RealClients, Iperf3TcpEverySegmentTiedToItsWrite) {
    std::uint64_t tx = 0;
    pid_t client_pid = 0;
    std::string report;
    Trace t = record_iperf3("iperf3_tcp", 5301, {"--iface", net->host_if}, {"-t", "3"}, tx, client_pid, report);
    expect_counts_match(on_device(t, net->host_if), unfinished_on(t, net->host_if), tx);
    const auto [segments, tied, bytes, tied_bytes] = tcp_data_tie(
        t, [](const Packet& p) { return p.flow.dport == 5301; },
        [&](const Packet& p) {
            EXPECT_EQ(p.pid, static_cast<std::uint32_t>(client_pid)) << "segment " << p.id << " on another process";
            EXPECT_EQ(p.comm, "iperf3");
        });
    const long sent = iperf3_sent_bytes(read_file(report));
    ASSERT_GT(sent, 0) << read_file(report);
    ASSERT_GT(segments, 1000);
    EXPECT_GE(tied * 1000, segments * 999) << tied << " of " << segments << " data segments tied to a write";
    EXPECT_GE(tied_bytes * 1000, sent * 999L) << tied_bytes << " bytes tied, iperf3 sent " << sent;
    EXPECT_GE(bytes * 1000, sent * 999L) << "the trace carries the bytes iperf3 wrote";
}

TEST_F(RealClients, ReceiverAcksDoNotInheritTheSendersContext) {
    // Unfiltered: the receiver's ACKs leave through the peer in the other
    // namespace, made in softirq on whatever CPU runs the veth's receive
    // (often the sender's, inside its write).
    std::uint64_t tx = 0;
    pid_t client_pid = 0;
    std::string report;
    Trace t = record_iperf3("iperf3_acks", 5302, {"--proto", "tcp", "--port", "5302"}, {"-t", "2"}, tx, client_pid,
                            report);
    long acks = 0;
    for (const auto& p : t.packets) {
        if (p.flow.sport != 5302) continue;  // the receiver's packets
        EXPECT_NE(p.pid, static_cast<std::uint32_t>(client_pid)) << "receiver packet " << p.id << " took the sender";
        EXPECT_EQ(p.ifname, net->peer_if);
        if (p.has_tcp && tcp_payload(p) == 0 && !(p.tcp_flags & 0x07)) {
            ++acks;  // a pure ACK: made by TCP, never by a send call
            EXPECT_EQ(p.send_id, 0u) << "ACK " << p.id << " on a send";
        }
    }
    EXPECT_GT(acks, 100);
}

TEST_F(RealClients, Iperf3UdpDatagramsAllOnTheirSends) {
    std::uint64_t tx = 0;
    pid_t client_pid = 0;
    std::string report;
    Trace t = record_iperf3("iperf3_udp", 5303, {"--iface", net->host_if}, {"-u", "-b", "100M", "-t", "2"}, tx,
                            client_pid, report);
    expect_counts_match(on_device(t, net->host_if), unfinished_on(t, net->host_if), tx);
    long datagrams = 0;
    for (const auto& p : t.packets)
        if (p.flow.proto == 17 && p.flow.dport == 5303) {
            ++datagrams;
            EXPECT_NE(p.send_id, 0u);
            EXPECT_EQ(p.comm, "iperf3");
        }
    EXPECT_GT(datagrams, 1000);
}

TEST_F(RealClients, DigQueriesToDnsmasq) {
    Child dns({"/usr/sbin/ip", "netns", "exec", net->ns, "dnsmasq", "-k", "--no-resolv", "--no-hosts",
               "--bind-interfaces", "--listen-address=" + net->v4_peer, "--except-interface=lo",
               "--address=/txray.test/10.9.9.9", "--pid-file=", "--user=root"},
               scratch_dir() + "/dnsmasq.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(run("ping -c 1 -W 2 " + net->v4_peer).status, 0);
    std::uint64_t tx = 0;
    std::vector<pid_t> digs;
    Trace t = record("dig", {"--iface", net->host_if}, [&] {
        for (int i = 0; i < 10; ++i) {
            Child d({"/usr/bin/dig", "@" + net->v4_peer, "txray.test", "+tries=1", "+time=2"},
                    scratch_dir() + "/dig.log");
            digs.push_back(d.pid());
            ASSERT_EQ(d.wait(10), 0) << read_file(scratch_dir() + "/dig.log");
        }
    }, tx);
    EXPECT_NE(read_file(scratch_dir() + "/dig.log").find("10.9.9.9"), std::string::npos);
    // Not the bound of the other tests: at this size the host's ARP/ND
    // answers (made in softirq) are most of what is not traced (a known gap).
    EXPECT_LE(on_device(t, net->host_if), tx);
    // Warm the neighbour entry first: a query that waits for ARP leaves from
    // the softirq that resolved it, a known gap (see the closing note).
    int queries = 0;
    for (const auto& p : t.packets)
        if (p.flow.dport == 53) {
            ++queries;
            EXPECT_NE(p.send_id, 0u);
            EXPECT_NE(std::find(digs.begin(), digs.end(), static_cast<pid_t>(p.pid)), digs.end())
                << "query " << p.id << " not on a dig process";
        }
    EXPECT_EQ(queries, 10);
}

TEST_F(RealClients, CurlFromHttpServerSendfileIsTied) {
    // python3's http.server answers with socket.sendfile (os.sendfile): the
    // data segments leave the namespace's end of the pair (--netns selects
    // that namespace's packets).
    const std::string dir = scratch_dir() + "/www";
    std::filesystem::create_directories(dir);
    const long size = 4 << 20;
    {
        std::ofstream f(dir + "/blob");
        for (long i = 0; i < size; ++i) f.put(static_cast<char>('a' + i % 26));
    }
    Child server({"/usr/sbin/ip", "netns", "exec", net->ns, "/usr/bin/python3", "-m", "http.server", "8304", "--bind",
                  net->v4_peer, "--directory", dir},
                 scratch_dir() + "/http.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    std::uint64_t tx = 0;
    Trace t = record("curl", {"--netns", net->ns}, [&] {
        RunResult r = run("curl -s -o /dev/null -w '%{size_download}' http://" + net->v4_peer + ":8304/blob");
        ASSERT_EQ(r.status, 0) << r.out;
        EXPECT_EQ(r.out, std::to_string(size));
    }, tx, net->ns, net->peer_if);
    std::uint64_t on_peer = 0;
    for (const auto& p : t.packets)
        on_peer += p.ifname == net->peer_if && p.find(Stage::driver_xmit) && p.outcome == OutcomeKind::sent;
    expect_counts_match(on_peer, unfinished_on(t, net->peer_if), tx);
    const auto [segments, tied, bytes, tied_bytes] = tcp_data_tie(
        t, [](const Packet& p) { return p.flow.sport == 8304; },
        [](const Packet& p) { EXPECT_EQ(p.comm, "python3"); });
    EXPECT_GE(bytes, size) << "headers + the file";
    EXPECT_GE(tied * 1000, segments * 999) << tied << " of " << segments << " data segments tied to a call";
}

}  // namespace

namespace {

// --iface names a device in txray's namespace; the same index may name
// another device in another namespace: here the pair's two ends share it.
TEST(IfaceNamespace, SameIndexInAnotherNamespaceIsNotTheInterface) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    const std::string id = std::to_string(getpid() % 200 + 20), ns = "txray-idx-" + std::to_string(getpid());
    const std::string a = "txria" + id, b = "txrib" + id, index = std::to_string(50000 + getpid() % 10000);
    RunResult set = run("set -e; ip netns add " + ns + "; ip link add " + a + " index " + index + " type veth peer name " +
                        b + " netns " + ns + " index " + index + "; ip addr add 10.78." + id + ".1/24 dev " + a +
                        "; ip link set " + a + " up; ip netns exec " + ns + " ip addr add 10.78." + id + ".2/24 dev " +
                        b + "; ip netns exec " + ns + " ip link set " + b + " up");
    struct Cleanup {
        std::string a, ns;
        ~Cleanup() { run("ip link del " + a + " 2>/dev/null; ip netns del " + ns + " 2>/dev/null"); }
    } cleanup{a, ns};
    ASSERT_EQ(set.status, 0) << set.out;
    ASSERT_EQ(read_file("/sys/class/net/" + a + "/ifindex"), run("ip netns exec " + ns + " cat /sys/class/net/" + b + "/ifindex").out);
    ASSERT_EQ(run("ping -c 1 -W 2 10.78." + id + ".2").status, 0);  // ARP resolved before
    const std::string trace = scratch_dir() + "/iface_ns.json", log = scratch_dir() + "/iface_ns.log";
    Child rec({txray_bin(), "record", "-o", trace, "--iface", a}, log);
    ASSERT_TRUE(wait_for_header(trace)) << read_file(log);
    const std::uint64_t tx0 = tx_packets_in("", a);  // attached: the pair's own IPv6 chatter before is not counted
    ASSERT_EQ(run("ping -c 20 -i 0.05 -W 2 10.78." + id + ".2").status, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(rec.interrupt_and_wait(), 0) << read_file(log);
    const std::uint64_t tx = tx_packets_in("", a) - tx0;
    Trace t = load_trace(trace);
    std::uint64_t mine = 0, requests = 0;
    for (const auto& p : t.packets) {
        EXPECT_EQ(p.ifname, a) << "packet " << p.id << " left through " << p.ifname;
        EXPECT_FALSE(p.flow.has_icmp && p.flow.icmp_type == 0) << "an echo reply left through the peer";
        mine += p.find(Stage::driver_xmit) && p.outcome == OutcomeKind::sent;
        requests += p.flow.has_icmp && p.flow.icmp_type == 8;
    }
    EXPECT_EQ(requests, 20u);
    EXPECT_LE(mine, tx);
    EXPECT_GE(mine + 2, tx) << "every packet the device sent (the known gap: see RealClients)";
}

}  // namespace
