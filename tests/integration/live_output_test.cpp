// What `txray live` prints, checked against real traffic on a veth pair into
// a test namespace (and loopback): lines in the order the packets began, ICMP
// type/code, and ARP frames by their ethertype.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace txray;
using namespace txray::test;

namespace {

class LiveOutput : public NetnsTest {
protected:
    LiveOutput() : NetnsTest("lo") {}

    // Starts `txray live ARGS`, waits until it traces, runs `traffic`, lets
    // the reorder window pass, stops it; returns its output.
    std::string live_during(const std::vector<std::string>& args, const std::string& traffic) {
        const std::string log =
            scratch_dir() + "/live-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".log";
        std::vector<std::string> argv{txray_bin(), "live"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto progs_before = loaded_txray_program_ids();
        {
            Child live(argv, log);
            const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (read_file(log).find("Ctrl-C to stop") == std::string::npos &&
                   std::chrono::steady_clock::now() < end)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            RunResult r = run(traffic);
            EXPECT_EQ(r.status, 0) << r.out;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            EXPECT_EQ(live.interrupt_and_wait(), 0) << read_file(log);
        }
        EXPECT_TRUE(left_behind(progs_before, loaded_txray_program_ids()).empty());
        return read_file(log);
    }

    std::string host_v4() const { return net->v4_peer.substr(0, net->v4_peer.size() - 1) + "1"; }
    std::string host_v6() const { return net->v6_peer.substr(0, net->v6_peer.size() - 1) + "1"; }
};

// Packet lines: "HH:MM:SS.uuuuuu comm[pid/tid] ...".
std::vector<std::string> packet_lines(const std::string& out) {
    static const std::regex line_re(R"(^\d\d:\d\d:\d\d\.\d{6} .*)");
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
        if (std::regex_match(l, line_re)) lines.push_back(l);
    return lines;
}

long count_containing(const std::vector<std::string>& lines, const std::string& what) {
    long n = 0;
    for (const auto& l : lines) n += l.find(what) != std::string::npos;
    return n;
}

}  // namespace

// A tbf at 80 kbit/s with room for one 1400-byte packet: of two sent back to
// back, the second waits ~140 ms in the qdisc, and so ends after the
// loopback packet sent just after it. live must still print it first.
TEST_F(LiveOutput, LinesAreInTheOrderPacketsBegan) {
    RunResult tc = run("tc qdisc add dev " + net->host_if + " root tbf rate 80kbit burst 1600 limit 20000");
    ASSERT_EQ(tc.status, 0) << tc.out;
    const std::string send = testsend_bin() + " send --way sendto";
    const int rounds = 4;
    const std::string traffic = "for i in $(seq " + std::to_string(rounds) + "); do " + send + " --count 2 --size 1400 --to " +
                                net->v4_peer + " --port 9300 && " + send +
                                " --count 1 --size 100 --to 127.0.0.1 --port 9302 || exit 1; sleep 0.4; done";
    const std::string out = live_during({"--proto", "udp"}, traffic);
    const auto lines = packet_lines(out);

    // Every line (ours and any other UDP on the host) in time order.
    for (std::size_t i = 1; i < lines.size(); ++i)
        EXPECT_LE(lines[i - 1].substr(0, 15), lines[i].substr(0, 15)) << "line " << i << " of\n" << out;
    EXPECT_EQ(count_containing(lines, "(late"), 0) << out;
    // Ours in the order they were sent: veth, veth, lo, ...
    std::string order, want;
    for (int i = 0; i < rounds; ++i) want += "vvl";
    for (const auto& l : lines) {
        if (l.find(":9300 ") != std::string::npos) order += 'v';
        if (l.find(":9302 ") != std::string::npos) order += 'l';
    }
    EXPECT_EQ(order, want) << out;
    // ... though the second veth packet of each round ended after the
    // loopback packet that followed it: tbf held it 100 ms or more.
    static const std::regex held(R"( qdisc_dequeue \+(\d+)\.\d)");
    int held_long = 0;
    for (const auto& l : lines) {
        std::smatch m;
        if (l.find(":9300 ") != std::string::npos && std::regex_search(l, m, held)) held_long += std::stol(m[1]) >= 100'000;
    }
    EXPECT_GE(held_long, rounds) << out;
}

// ping's echo requests, v4 and v6, are shown by type/code; ping's own count
// says how many were sent.
TEST_F(LiveOutput, IcmpShowsTypeAndCode) {
    const std::string out = live_during(
        {"--iface", net->host_if},
        "ping -q -c 3 -i 0.2 -W 2 " + net->v4_peer + " && ping -6 -q -c 3 -i 0.2 -W 2 " + net->v6_peer);
    const auto lines = packet_lines(out);
    EXPECT_EQ(count_containing(lines, "icmp " + host_v4() + " -> " + net->v4_peer + " echo-request 8/0 "), 3) << out;
    EXPECT_EQ(count_containing(lines, "icmpv6 " + host_v6() + " -> " + net->v6_peer + " echo-request 128/0 "), 3)
        << out;
    for (const auto& l : lines) {
        if (l.find(" icmp") == std::string::npos) continue;
        EXPECT_EQ(l.find(":0 "), std::string::npos) << l;
    }
}

// Sending to an address nobody has makes the kernel ARP for it: an nft
// counter in the peer's namespace counts the ARP frames that arrive there;
// live must show as many.
TEST_F(LiveOutput, ArpFramesShowTheirEthertype) {
    const std::string absent = net->v4_peer.substr(0, net->v4_peer.size() - 1) + "9";
    ASSERT_EQ(run("sysctl -qw net.ipv4.neigh." + net->host_if + ".retrans_time_ms=200").status, 0);
    const std::string in_ns = "ip netns exec " + net->ns + " ";
    RunResult nft = run(in_ns + "nft add table arp txray_test && " + in_ns +
                        "nft 'add chain arp txray_test in { type filter hook input priority 0; }' && " + in_ns +
                        "nft add rule arp txray_test in counter");
    ASSERT_EQ(nft.status, 0) << nft.out;
    const std::string out = live_during({"--iface", net->host_if},
                                        "ping -q -c 1 -W 2 " + absent + " >/dev/null; sleep 0.3; true");
    RunResult counter = run(in_ns + "nft list chain arp txray_test in");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(counter.out, m, std::regex(R"(counter packets (\d+))"))) << counter.out;
    const long arrived = std::stol(m[1]);
    EXPECT_GE(arrived, 1) << counter.out;
    const auto lines = packet_lines(out);
    EXPECT_EQ(count_containing(lines, "] arp " + net->host_if + " "), arrived) << counter.out << out;
    EXPECT_EQ(count_containing(lines, "non-IP"), 0) << out;
}
