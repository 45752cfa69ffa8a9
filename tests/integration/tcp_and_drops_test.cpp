// TCP and the rest of the path, with the real BPF programs (root): TCP bulk
// transfer tied to its writes, a forced retransmission, neighbour waits and
// drops, a netfilter OUTPUT drop and a syscall error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace txray;
using namespace txray::test;

namespace {

// Tcp InSegs of a namespace (it holds only the test's connection).
long tcp_in_segs(const std::string& ns) {
    RunResult r = run("ip netns exec " + ns + " cat /proc/net/snmp");
    std::istringstream in(r.out);
    std::string names, values;
    while (std::getline(in, names))
        if (names.rfind("Tcp:", 0) == 0 && std::getline(in, values)) break;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
        if (name == "InSegs") return std::stol(value);
    return -1;
}

class Path : public NetnsTest {
protected:
    Path() : NetnsTest("tcp") {}
    // Runs `txray record` with `args` around `traffic`, returns the trace.
    Trace record(const std::string& name, std::vector<std::string> args, const std::function<void()>& traffic) {
        const std::string trace = scratch_dir() + "/" + name + ".json";
        std::vector<std::string> argv = {txray_bin(), "record", "-o", trace};
        argv.insert(argv.end(), args.begin(), args.end());
        Child rec(argv, scratch_dir() + "/" + name + ".log");
        EXPECT_TRUE(wait_for_header(trace)) << read_file(scratch_dir() + "/" + name + ".log");
        traffic();
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        EXPECT_EQ(rec.interrupt_and_wait(), 0) << read_file(scratch_dir() + "/" + name + ".log");
        Trace t = load_trace(trace);
        EXPECT_TRUE(t.status.error.empty()) << t.status.summary();
        return t;
    }
};

// "function+0xoffset", as the collector names kfree_skb's caller.
static bool looks_like_kernel_site(const std::string& s) {
    return std::regex_match(s, std::regex(R"([A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+)"));
}

TEST_F(Path, TcpBulkTransferIsTiedToItsWrites) {
    const long bytes = 256 * 1024, write_size = 64 * 1024;
    Child sink({"/usr/sbin/ip", "netns", "exec", net->ns, tcptest_bin(), "sink", "--port", "9400", "--seconds", "6"},
               scratch_dir() + "/sink.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long segs0 = tcp_in_segs(net->ns);
    Trace t = record("tcp_bulk", {"--iface", net->host_if, "--proto", "tcp"}, [&] {
        RunResult r = run(tcptest_bin() + " send --to " + net->v4_peer + " --port 9400 --bytes " +
                          std::to_string(bytes) + " --write " + std::to_string(write_size));
        ASSERT_EQ(r.status, 0) << r.out;
    });
    const long segs1 = tcp_in_segs(net->ns);
    ASSERT_EQ(sink.wait(15), 0);
    EXPECT_NE(read_file(scratch_dir() + "/sink.log").find("received " + std::to_string(bytes)), std::string::npos);

    TcpPayloadTally payload(t);
    long to_peer = 0;
    std::set<std::uint64_t> sends;
    for (const auto& p : t.packets) {
        if (p.flow.dport != 9400 || p.outcome != OutcomeKind::sent) continue;
        ++to_peer;
        ASSERT_TRUE(p.has_tcp);
        EXPECT_NE(p.sock, 0u);
        if (!payload.add(p)) continue;  // SYN, pure ACK, FIN, a retransmission
        EXPECT_NE(p.send_id, 0u) << "data segment " << p.id << " not tied to a write";
        EXPECT_EQ(p.comm, "txray-tcptest");
        if (p.send_id) sends.insert(p.send_id);
        EXPECT_NE(p.find(Stage::ip_output), nullptr);
        EXPECT_NE(p.find(Stage::driver_xmit), nullptr);
        if (p.gso_segs > 1) {
            EXPECT_GT(p.gso_size, 0);
        }
    }
    EXPECT_EQ(payload.bytes, bytes) << "the data segments carry exactly the bytes written ("
                                    << payload.retransmissions << " retransmissions apart)";
    EXPECT_EQ(to_peer, segs1 - segs0) << "segments traced vs the peer's Tcp InSegs";
    EXPECT_GE(sends.size(), 1u);
    EXPECT_LE(sends.size(), static_cast<std::size_t>(bytes / write_size));
}

TEST_F(Path, SoftwareGsoSegmentsArePacketsLinkedToTheirParent) {
    // Without TSO the device cannot take a 64 KiB skb: validate_xmit_skb()
    // segments it in software (GSO stays on, so TCP still builds big skbs).
    ASSERT_EQ(run("ethtool -K " + net->host_if + " tso off gso on").status, 0);
    Child sink({"/usr/sbin/ip", "netns", "exec", net->ns, tcptest_bin(), "sink", "--port", "9402", "--seconds", "6"},
               scratch_dir() + "/sink3.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long bytes = 128 * 1024;
    Trace t = record("tcp_gso", {"--iface", net->host_if, "--proto", "tcp"}, [&] {
        RunResult r = run(tcptest_bin() + " send --to " + net->v4_peer + " --port 9402 --bytes " +
                          std::to_string(bytes) + " --write 65536");
        ASSERT_EQ(r.status, 0) << r.out;
    });
    ASSERT_EQ(sink.wait(15), 0);
    TcpPayloadTally payload(t);  // the segments', then the plain skbs'
    const auto& by_id = payload.by_id;
    long segments = 0;
    std::set<std::uint64_t> parents;
    for (const auto& p : t.packets) {
        if (p.flow.dport != 9402 || !p.gso_segment) continue;
        ++segments;
        payload.add(p);
        EXPECT_EQ(p.outcome, OutcomeKind::sent);
        EXPECT_LE(p.len, 1500u + 14u) << "a wire-sized segment";
        ASSERT_TRUE(by_id.count(p.parent_id)) << "segment " << p.id << " without its parent";
        const Packet& parent = *by_id.at(p.parent_id);
        EXPECT_EQ(parent.outcome, OutcomeKind::consumed) << "the GSO skb is consumed by segmentation";
        EXPECT_GT(parent.len, p.len);
        EXPECT_NE(p.find(Stage::dev_queue_xmit), nullptr) << "inherits the parent's earlier stages";
        parents.insert(p.parent_id);
    }
    EXPECT_GT(segments, 10);
    EXPECT_GE(parents.size(), 1u);
    // Data that left in skbs small enough to need no segmentation.
    for (const auto& p : t.packets)
        if (p.flow.dport == 9402 && !p.gso_segment && p.outcome == OutcomeKind::sent) payload.add(p);
    EXPECT_EQ(payload.bytes, bytes) << "segments + plain skbs carry every byte once (" << payload.retransmissions
                                    << " retransmissions apart)";
}

TEST_F(Path, ForcedRetransmissionIsMarkedAndLinked) {
    // The receiver drops every 4th segment addressed to it: TCP must resend.
    const std::string nft_ns = "ip netns exec " + net->ns + " nft ";
    RunResult nft = run(nft_ns + "add table inet txraydrop && " + nft_ns +
                        "'add chain inet txraydrop in { type filter hook input priority 0; }' && " + nft_ns +
                        "add rule inet txraydrop in tcp dport 9401 numgen inc mod 4 == 2 drop");
    ASSERT_EQ(nft.status, 0) << nft.out;
    Child sink({"/usr/sbin/ip", "netns", "exec", net->ns, tcptest_bin(), "sink", "--port", "9401", "--seconds", "8"},
               scratch_dir() + "/sink2.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long bytes = 128 * 1024;
    Trace t = record("tcp_retrans", {"--iface", net->host_if, "--proto", "tcp"}, [&] {
        RunResult r = run(tcptest_bin() + " send --to " + net->v4_peer + " --port 9401 --bytes " +
                          std::to_string(bytes) + " --write 16384");
        ASSERT_EQ(r.status, 0) << r.out;
    });
    ASSERT_EQ(sink.wait(15), 0);
    EXPECT_NE(read_file(scratch_dir() + "/sink2.log").find("received " + std::to_string(bytes)), std::string::npos);
    TcpPayloadTally payload(t);  // checks each retransmission's link
    for (const auto& p : t.packets) {
        if (p.flow.dport != 9401 || p.outcome != OutcomeKind::sent) continue;
        payload.add(p);
        if (!p.retransmit || !payload.by_id.count(p.retransmit_of)) continue;
        // The first transmission left the host before it.
        const Packet& orig = *payload.by_id.at(p.retransmit_of);
        ASSERT_NE(orig.find(Stage::driver_xmit), nullptr);
        ASSERT_NE(p.find(Stage::driver_xmit), nullptr);
        EXPECT_LT(orig.find(Stage::driver_xmit)->ts_ns, p.find(Stage::driver_xmit)->ts_ns);
    }
    EXPECT_GT(payload.retransmissions, 0) << "the dropped segments must be resent";
    EXPECT_EQ(payload.bytes, bytes) << "first transmissions carry every byte once, resends none";
}

TEST_F(Path, UnansweredNeighbourWaitsThenDrops) {
    // No one owns .3: ARP fails after two 100 ms probes; the queue holds the
    // packets meanwhile. Then a burst that overflows the queue.
    const std::string sys = "net.ipv4.neigh." + net->host_if + ".";
    ASSERT_EQ(run("sysctl -qw " + sys + "retrans_time_ms=100 " + sys + "mcast_solicit=2 " + sys +
                  "unres_qlen_bytes=20000").status, 0);
    const std::string dead = net->v4_peer.substr(0, net->v4_peer.size() - 1) + "3";
    Trace t = record("neigh", {"--iface", net->host_if, "--proto", "udp"}, [&] {
        run(testsend_bin() + " send --to " + dead + " --port 9500 --way sendto --count 5 --size 100");
        run(testsend_bin() + " send --to " + dead + " --port 9501 --way sendto --count 40 --size 1200");
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
    });
    int failed = 0, queue_full = 0;
    for (const auto& p : t.packets) {
        if (p.flow.dport != 9500 && p.flow.dport != 9501) continue;
        ASSERT_EQ(p.outcome, OutcomeKind::dropped) << p.outcome_string();
        EXPECT_TRUE(looks_like_kernel_site(p.drop_site)) << "where it was freed: '" << p.drop_site << "'";
        if (p.drop_reason == "NEIGH_FAILED") {
            ++failed;
            const StageMark* wait = p.find(Stage::neigh_resolve);
            ASSERT_NE(wait, nullptr) << "the wait for ARP must show";
            EXPECT_GE(p.find(Stage::drop)->ts_ns - wait->ts_ns, 100'000'000u) << "waited for the probes";
        } else if (p.drop_reason == "NEIGH_QUEUEFULL") {
            ++queue_full;
        }
        EXPECT_EQ(p.find(Stage::driver_xmit), nullptr);
    }
    EXPECT_GE(failed, 5);
    EXPECT_GT(queue_full, 0) << "a 20 kB queue cannot hold 40 x 1200 B";
}

TEST_F(Path, NetfilterOutputDropIsEpermWithItsReason) {
    const std::string table = "txray_out_" + std::to_string(getpid());
    RunResult nft = run("nft add table inet " + table + " && nft 'add chain inet " + table +
                        " out { type filter hook output priority 0; }' && nft add rule inet " + table +
                        " out udp dport 9600 drop");
    ASSERT_EQ(nft.status, 0) << nft.out;
    Trace t = record("nfdrop", {"--iface", net->host_if}, [&] {
        run(testsend_bin() + " send --to " + net->v4_peer + " --port 9600 --way sendto --count 3 --size 100");
        run(testsend_bin() + " send --to " + net->v4_peer + " --port 9601 --way sendto --count 1 --size 70000");
    });
    run("nft delete table inet " + table);
    int dropped = 0, emsgsize = 0;
    for (const auto& p : t.packets) {
        if (p.comm != "txray-testsend") continue;
        if (p.outcome == OutcomeKind::dropped) {
            ++dropped;
            EXPECT_EQ(p.drop_reason, "NETFILTER_DROP");
            // kfree_skb's caller, from /proc/kallsyms: in netfilter (nf_hook_slow,
            // or nftables' own nft_do_chain on newer kernels).
            EXPECT_TRUE(std::regex_match(p.drop_site, std::regex(R"(nft?_[a-z0-9_]+\+0x[0-9a-f]+)"))) << p.drop_site;
            EXPECT_EQ(p.send_errno, "EPERM") << "the application saw EPERM";
            EXPECT_EQ(p.flow.dport, 9600);
        }
        if (p.outcome_string() == "error:EMSGSIZE") ++emsgsize;
    }
    EXPECT_EQ(dropped, 3);
    EXPECT_EQ(emsgsize, 1) << "a 70000-byte datagram fails before any packet exists";
}

// A send that fails before the socket layer (its address a bad pointer:
// move_addr_to_kernel's EFAULT, before sock_sendmsg, so sock_send_length never
// fires) still has its record, with its errno, from the syscall's exit.
TEST_F(Path, ASendThatFailsBeforeTheSocketLayerKeepsItsErrno) {
    Trace t = record("efault", {"--iface", net->host_if}, [&] {
        run(testsend_bin() + " send --to " + net->v4_peer + " --port 9602 --way sendto-efault --count 3 --size 100");
        run(testsend_bin() + " send --to " + net->v4_peer + " --port 9602 --way sendmsg-efault --count 2 --size 100");
        run(testsend_bin() + " send --to " + net->v4_peer + " --port 9603 --way sendto --count 1 --size 100");
    });
    int efault = 0, sent = 0;
    for (const auto& p : t.packets) {
        if (p.comm != "txray-testsend") continue;
        if (p.outcome_string() == "error:EFAULT") {
            ++efault;
            EXPECT_EQ(p.send_errno, "EFAULT");
        }
        if (p.flow.dport == 9603 && p.outcome == OutcomeKind::sent) {
            ++sent;
            ASSERT_TRUE(p.send_ret.has_value());
            EXPECT_EQ(*p.send_ret, 100) << "a send that reaches the socket ends with its return";
        }
    }
    EXPECT_EQ(efault, 5) << "3 sendto + 2 sendmsg, each with its record";
    EXPECT_EQ(sent, 1);
}

}  // namespace
