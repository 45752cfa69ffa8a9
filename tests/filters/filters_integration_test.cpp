// Issue 7 end to end: txray record with tcpdump expressions and scope filters
// (--comm, --cgroup, --netns, and combinations) while a known mix of traffic
// crosses a veth pair into a test namespace. Every recorder runs at the same
// time on the same traffic; each trace must hold exactly the expected packets
// of the mix. Needs root, iproute2, python3 (a TCP listener) and cgroup v2.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "harness.h"

using namespace txray;
using namespace txray::test;

namespace {

// Traffic classes of the mix, and how many packets each sends.
enum Cls { A_udp4_9201, B_udp4_9202_big, C_udp6_9203, D_other_9204, E_tcp_out, E_tcp_in, F_from_ns, G_frag_9206, kNone };
const char* cls_name(int c) {
    static const char* n[] = {"A udp4 9201",    "B udp4 9202 1200B", "C udp6 9203",      "D othersend 9204",
                              "E tcp host->ns", "E tcp ns->host",    "F udp4 from netns", "G 2x4000B fragmented", "other"};
    return n[c];
}
const std::map<int, std::size_t> kSent = {
    {A_udp4_9201, 10}, {B_udp4_9202_big, 5}, {C_udp6_9203, 6}, {D_other_9204, 7}, {F_from_ns, 4}, {G_frag_9206, 6}};

int classify(const Packet& p) {
    const auto& f = p.flow;
    if (f.proto == 17 && f.dport == 9201) return A_udp4_9201;
    if (f.proto == 17 && f.dport == 9202) return B_udp4_9202_big;
    if (f.proto == 17 && f.dport == 9203) return C_udp6_9203;
    if (f.proto == 17 && f.dport == 9204) return D_other_9204;
    if (f.proto == 17 && f.dport == 9205) return F_from_ns;
    if (f.proto == 17 && f.dport == 9206) return G_frag_9206;
    if (f.proto == 6 && f.dport == 9300) return E_tcp_out;
    if (f.proto == 6 && f.sport == 9300) return E_tcp_in;
    return kNone;
}

struct Case {
    std::string name;
    std::vector<std::string> args;  // filter arguments for txray record
    std::set<int> expect;           // classes that must be there, whole; all others absent
};

std::uint32_t inode_of(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

class Filters : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        net = std::make_unique<VethNetns>("flt");
    }
    std::unique_ptr<VethNetns> net;
};

TEST_F(Filters, ExpressionsAndScopesSelectExactlyTheExpectedPackets) {
    const std::string dir = scratch_dir();
    // A second sender with another comm, in its own cgroup two levels deep.
    const std::string other = dir + "/othersend";
    ASSERT_EQ(run("cp " + testsend_bin() + " " + other).status, 0);
    RunResult cgm = run("awk '$3 == \"cgroup2\" {print $2; exit}' /proc/mounts");
    std::string cg2 = cgm.out.substr(0, cgm.out.find('\n'));
    if (cg2.empty()) GTEST_SKIP() << "no cgroup v2 mount";
    const std::string cg_top = cg2 + "/txray-flt-" + std::to_string(getpid());
    const std::string cg_sub = cg_top + "/sender";
    ASSERT_EQ(run("mkdir -p " + cg_sub).status, 0);
    struct CgCleanup {
        std::string top, sub;
        ~CgCleanup() { run("rmdir " + sub + " " + top + " 2>/dev/null"); }
    } cleanup{cg_top, cg_sub};

    const std::string ns_path = "/var/run/netns/" + net->ns;
    const std::string host_v4 = net->v4_peer.substr(0, net->v4_peer.rfind('.')) + ".1";
    std::vector<Case> cases = {
        {"udp-dst-port", {"udp", "and", "dst", "port", "9201"}, {A_udp4_9201}},
        {"host-not-tcp", {"host " + net->v4_peer + " and not tcp"}, {A_udp4_9201, B_udp4_9202_big, D_other_9204, F_from_ns, G_frag_9206}},
        {"ip6-udp", {"ip6 and udp"}, {C_udp6_9203}},
        {"len", {"len > 1000 and udp"}, {B_udp4_9202_big, G_frag_9206}},
        // Later fragments have no ports: they follow their datagram's first packet.
        {"fragments", {"udp dst port 9206"}, {G_frag_9206}},
        {"tcp", {"tcp port 9300"}, {E_tcp_out, E_tcp_in}},
        {"tcp-syn", {"tcp[tcpflags] & tcp-syn != 0 and port 9300"}, {E_tcp_out, E_tcp_in}},  // SYN, SYN-ACK only
        {"or", {"udp port 9202 or udp port 9203"}, {B_udp4_9202_big, C_udp6_9203}},
        {"comm", {"--comm", "othersend"}, {D_other_9204}},
        {"comm-and-expr", {"--comm", "othersend", "udp port 9201"}, {}},
        {"cgroup", {"--cgroup", cg_top}, {D_other_9204}},  // the sender is in a child cgroup
        {"netns", {"--netns", ns_path, "udp"}, {F_from_ns}},
        {"netns-inode", {"--netns", std::to_string(inode_of(ns_path)), "tcp"}, {E_tcp_in}},
        {"netns-name-and-expr", {"--netns", net->ns, "dst host " + host_v4 + " and udp port 9205"}, {F_from_ns}},
    };

    const auto progs_before = loaded_txray_program_ids();
    std::vector<std::unique_ptr<Child>> recorders;
    for (const auto& c : cases) {
        std::vector<std::string> argv = {txray_bin(), "record", "-o", dir + "/" + c.name + ".json"};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        recorders.push_back(std::make_unique<Child>(argv, dir + "/" + c.name + ".log"));
    }
    for (const auto& c : cases)
        ASSERT_TRUE(wait_for_header(dir + "/" + c.name + ".json", 240)) << c.name << ": "
                                                                        << read_file(dir + "/" + c.name + ".log");
    // Started once every recorder is attached (16 loads take a while on a
    // busy machine), so that they outlive the traffic.
    // TCP listener in the namespace (the kernel completes handshakes and ACKs).
    auto listener = std::make_unique<Child>(
        std::vector<std::string>{"/usr/sbin/ip", "netns", "exec", net->ns, "python3", "-c",
                                 "import socket,time\ns=socket.socket()\n"
                                 "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                 "s.bind(('0.0.0.0',9300))\ns.listen(16)\ntime.sleep(12)"},
        dir + "/listener.log");
    auto recv = std::make_unique<Child>(
        std::vector<std::string>{"/usr/sbin/ip", "netns", "exec", net->ns, testsend_bin(), "recv", "--port",
                                 "9201,9202,9203,9204,9206", "--seconds", "12"},
        dir + "/recv.log");
    // Both bound (the TCP port and the five UDP ports, IPv4) before any traffic.
    bool bound = false;
    for (int i = 0; i < 300 && !bound; ++i) {
        RunResult ss = run("ip netns exec " + net->ns + " ss -4Htuln | grep -cE ':(9300|9201|9202|9203|9204|9206) '");
        bound = ss.out.rfind("6", 0) == 0;
        if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(bound) << "the listener and the receiver did not bind their ports";

    auto send = [&](const std::string& prefix, const std::string& to, int port, int count, int size) {
        RunResult r = run(prefix + " send --to " + to + " --port " + std::to_string(port) +
                          " --way sendto --count " + std::to_string(count) + " --size " + std::to_string(size));
        ASSERT_EQ(r.status, 0) << r.out;
    };
    send(testsend_bin(), net->v4_peer, 9201, 10, 100);
    send(testsend_bin(), net->v4_peer, 9202, 5, 1200);
    send(testsend_bin(), net->v6_peer, 9203, 6, 100);
    send(testsend_bin(), net->v4_peer, 9206, 2, 4000);
    send("bash -c 'echo $$ > " + cg_sub + "/cgroup.procs && exec " + other + " \"$@\"' othersend", net->v4_peer, 9204,
         7, 200);
    send("ip netns exec " + net->ns + " " + testsend_bin(), host_v4, 9205, 4, 100);
    RunResult tcp = run("bash -c 'exec 3<>/dev/tcp/" + net->v4_peer + "/9300; echo hello >&3; sleep 0.2; exec 3>&-'");
    ASSERT_EQ(tcp.status, 0) << tcp.out;
    std::this_thread::sleep_for(std::chrono::milliseconds(800));

    for (auto& r : recorders) EXPECT_EQ(r->interrupt_and_wait(), 0);
    const std::set<std::string> ours = {net->host_if, net->peer_if};
    for (const auto& c : cases) {
        SCOPED_TRACE("case " + c.name);
        Trace t = load_trace(dir + "/" + c.name + ".json");
        ASSERT_TRUE(t.status.error.empty()) << t.status.summary();
        ASSERT_TRUE(t.footer.has_value());
        EXPECT_EQ(t.footer->lost, 0u);
        std::map<int, std::size_t> got;
        for (const auto& p : t.packets) {
            if (!ours.count(p.ifname)) continue;  // the rest of the host's traffic
            ++got[classify(p)];
        }
        for (int cls = 0; cls < kNone; ++cls) {
            const bool want = c.expect.count(cls) > 0;
            const std::size_t n = got.count(cls) ? got[cls] : 0;
            if (!want) {
                EXPECT_EQ(n, 0u) << cls_name(cls) << " must be filtered out";
            } else if (kSent.count(cls)) {
                EXPECT_EQ(n, kSent.at(cls)) << cls_name(cls) << ": every packet of it";
            } else {
                EXPECT_GT(n, 0u) << cls_name(cls);
            }
        }
        if (c.name == "tcp-syn") {
            EXPECT_EQ(got[E_tcp_out], 1u) << "only the SYN";
            EXPECT_EQ(got[E_tcp_in], 1u) << "only the SYN-ACK";
        }
        // Unclassified packets on the veth (ND, MLD, ARP) only where the
        // expression can match them: never with a port or tcp/udp term.
        if (c.name != "host-not-tcp" && c.name.rfind("netns", 0) != 0 && c.name != "cgroup" && c.name != "comm") {
            EXPECT_EQ(got[kNone], 0u) << "unrelated packets passed the expression";
        }
        // The header records the filters.
        std::map<std::string, std::string> h(t.header.filters.begin(), t.header.filters.end());
        std::string expr;
        for (const auto& a : c.args)
            if (a.rfind("--", 0) != 0 && (&a == &c.args.front() || (&a)[-1].rfind("--", 0) != 0))
                expr += (expr.empty() ? "" : " ") + a;
        if (!expr.empty()) {
            EXPECT_EQ(h["expression"], expr);
        }
        if (c.name == "comm") {
            EXPECT_EQ(h["comm"], "othersend");
        }
        if (c.name == "cgroup") {
            EXPECT_EQ(h["cgroup"], cg_top);
        }
        if (c.name == "netns") {
            EXPECT_EQ(h["netns"], ns_path);
        }
    }
    listener->wait(15);
    recv->wait(15);
    EXPECT_TRUE(left_behind(progs_before, loaded_txray_program_ids()).empty());
}

TEST_F(Filters, BadExpressionsAreUsageErrors) {
    RunResult r = run(txray_bin() + " record -o /dev/null 'udp and and' 2>&1");
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find("syntax error"), std::string::npos) << r.out;
    r = run(txray_bin() + " live ether host 02:00:00:00:00:01 2>&1");
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find("link-layer"), std::string::npos) << r.out;
    r = run(txray_bin() + " live arp 2>&1");
    EXPECT_EQ(r.status, 2) << r.out;
    r = run(txray_bin() + " record -o /dev/null --netns /nonexistent udp 2>&1");
    EXPECT_EQ(r.status, 2) << r.out;
    r = run(txray_bin() + " record -o /dev/null --cgroup /proc 2>&1");
    EXPECT_EQ(r.status, 2) << r.out;
}

TEST_F(Filters, LivePrintsTheFilters) {
    RunResult r = run(txray_bin() + " live --duration 1 -q --netns " + net->ns + " udp and port 9 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("filter expression = udp and port 9"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("filter netns = " + net->ns), std::string::npos) << r.out;
}

}  // namespace
