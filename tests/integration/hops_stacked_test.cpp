// One packet across stacked devices (issue 19), on this host's real kernel:
// a macvlan queues the pod's datagram on its lower veth (the stacked
// dev_queue_xmit is a hop of the same packet), and a tap hands it to a user
// space reader (its completion is when the reader takes the frame).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "harness.h"
#include "pod_topology.h"

using namespace txray;
using namespace txray::test;

namespace {

// Namespaces made for one test, removed on destruction; `setup` run after
// they exist (a failure throws).
struct Namespaces {
    std::vector<std::string> names;
    Namespaces(std::vector<std::string> ns, const std::string& setup) : names(std::move(ns)) {
        std::string s = "set -e; ";
        for (const std::string& n : names) s += quiet_netns_cmd(n);
        RunResult r = run(s + setup);
        if (r.status != 0) {
            remove();
            throw std::runtime_error("cannot set up the test namespaces: " + r.out);
        }
    }
    ~Namespaces() { remove(); }
    Namespaces(const Namespaces&) = delete;
    Namespaces& operator=(const Namespaces&) = delete;
    void remove() {
        for (const std::string& n : names) run("ip netns del " + n + " 2>/dev/null");
    }
};

const StageMark* last_mark(const Packet& p, Stage s) {
    const StageMark* m = nullptr;
    for (const StageMark& x : p.stages)
        if (x.stage == s) m = &x;
    return m;
}

class Stacked : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        id = std::to_string(getpid() % 150 + 100);
        tag = std::to_string(getpid());
    }
    std::string id, tag;
};

}  // namespace

// pod (P): macvlan txsm<n> on lower veth txsl<n> (in L) --> txsr<n> in the
// remote namespace X. macvlan_start_xmit -> macvlan_queue_xmit ->
// dev_queue_xmit on the lower device: hops [macvlan, lower veth].
TEST_F(Stacked, MacvlanDatagramIsOneRecordOnTheMacvlanAndItsLowerDevice) {
    const std::string pod = "txst-p-" + tag, lower = "txst-l-" + tag, remote = "txst-x-" + tag;
    const std::string mv = "txsm" + id, lv = "txsl" + id, rv = "txsr" + id, net = "10." + id + ".4";
    // The macvlan and its lower device get the same ifindex, each in its
    // namespace (index 9 is taken in the pod: the macvlan moved there takes
    // the pod's next free one, 2, as the lower veth has): one device is an
    // (ifindex, namespace) pair.
    Namespaces ns({pod, lower, remote},
                  "ip link add " + lv + " netns " + lower + " index 2 type veth peer name " + rv + " netns " +
                      remote + "; ip -n " + lower + " link add " + mv + " index 9 link " + lv +
                      " type macvlan mode bridge; ip -n " + pod + " link add txsz" + id +
                      " index 9 type bridge; ip -n " + lower + " link set " + mv + " netns " + pod + "; ip -n " +
                      lower + " link set " + lv +
                      " up; ip -n " + remote + " addr add " + net + ".1/24 dev " + rv + "; ip -n " + remote +
                      " link set " + rv + " up; ip -n " + pod + " addr add " + net + ".2/24 dev " + mv +
                      "; ip -n " + pod + " link set " + mv + " up");
    // Resolve the neighbour now (ARP is not what the test counts).
    run("ip netns exec " + pod + " ping -c1 -W2 " + net + ".1 >/dev/null 2>&1");
    for (const std::string& n : ns.names) pin_neighbours(n);
    const int port = 9343, count = 30;
    const std::string name = scratch_dir() + "/stacked-macvlan";
    Child recv({"/usr/sbin/ip", "netns", "exec", remote, testsend_bin(), "recv", "--port", std::to_string(port),
                "--seconds", "6"},
               name + "-recv.log");
    Recorded r = record_counted(name, [&] { return tx_packets_in(lower, lv); }, [&] {
        RunResult s = run("ip netns exec " + pod + " " + testsend_bin() + " send --to " + net + ".1 --port " +
                          std::to_string(port) + " --way sendto --count " + std::to_string(count) + " --size 100");
        EXPECT_EQ(s.status, 0) << s.out;
    });
    recv.wait(15);
    EXPECT_NE(read_file(name + "-recv.log").find(std::to_string(port) + " " + std::to_string(count) + " "),
              std::string::npos)
        << "the remote namespace received every datagram";

    int ours = 0, orphans = 0, via_lower = 0;
    for (const Packet& p : r.trace.packets) {
        via_lower += left_through(p, lv);
        if (p.flow.proto != 17 || p.flow.dport != port) continue;
        if (p.comm != "txray-testsend" || p.ifname != mv) {
            ++orphans;
            continue;
        }
        ++ours;
        SCOPED_TRACE("packet " + std::to_string(p.id));
        EXPECT_EQ(p.outcome_string(), "sent");
        EXPECT_NE(p.send_id, 0u) << "the sender's syscall stays attached";
        EXPECT_NE(p.find(Stage::sendmsg), nullptr);
        EXPECT_EQ(count_stage(p, Stage::dev_queue_xmit), 2) << "queued on the macvlan, then on its lower veth";
        EXPECT_EQ(count_stage(p, Stage::xmit_done), 2) << "both devices' ndo_start_xmit returned";
        ASSERT_EQ(p.hops.size(), 2u);
        EXPECT_EQ(p.hops[0].ifname, mv);
        EXPECT_EQ(p.hops[1].ifname, lv);
        EXPECT_NE(p.hops[0].netns, p.hops[1].netns) << "the macvlan in the pod, its lower device outside";
        EXPECT_EQ(p.hops[0].ifindex, p.hops[1].ifindex) << "the setup gives both devices the same index";
        EXPECT_FALSE(p.hops[1].flow.has_value()) << "the same headers on the lower device";
    }
    EXPECT_EQ(ours, count) << "every datagram once";
    EXPECT_EQ(orphans, 0) << "no second record for the lower device's transmit";
    EXPECT_EQ(static_cast<std::uint64_t>(via_lower), r.counted) << "records through the lower veth = its tx_packets";
}

// A tap read by a test process in namespace T: the frames wait on the tap's
// ring from tun_net_xmit until the reader's read() (tun_do_read ->
// tun_put_user, which counts the tap's tx_packets, then frees the skb): each
// packet ends at free after xmit_done, the time between being the ring's.
// Frames never read before the recording stops are unfinished.
TEST_F(Stacked, TapFramesEndWhenTheReaderTakesThem) {
    const std::string tns = "txst-t-" + tag, tap = "txst" + id, net = "10." + id + ".5";
    Namespaces ns({tns}, "");
    const int port = 9344, read_count = 20, unread = 5;
    const std::string name = scratch_dir() + "/stacked-tap";
    Child reader({"/usr/sbin/ip", "netns", "exec", tns, testsend_bin(), "tapread", "--dev", tap, "--count",
                  std::to_string(read_count), "--wait-ms", "300", "--seconds", "20"},
                 name + "-reader.log");
    ASSERT_TRUE(wait_for_header(name + "-reader.log", 10)) << "the reader created the tap";
    RunResult set = run("set -e; ip -n " + tns + " addr add " + net + ".1/24 dev " + tap + "; ip -n " + tns +
                        " link set " + tap + " up; ip -n " + tns + " neigh replace " + net +
                        ".2 lladdr 02:00:00:00:00:02 dev " + tap + " nud permanent");
    ASSERT_EQ(set.status, 0) << set.out;
    const auto send = [&](int n) {
        RunResult s = run("ip netns exec " + tns + " " + testsend_bin() + " send --to " + net + ".2 --port " +
                          std::to_string(port) + " --way sendto --count " + std::to_string(n) + " --size 100");
        EXPECT_EQ(s.status, 0) << s.out;
    };
    Recorded r = record_counted(name, [&] { return tx_packets_in(tns, tap); }, [&] {
        send(read_count);
        for (int i = 0; i < 100 && read_file(name + "-reader.log").find("read ") == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        send(unread);  // stays on the ring: nobody reads it
    });
    ASSERT_NE(read_file(name + "-reader.log").find("read " + std::to_string(read_count)), std::string::npos)
        << read_file(name + "-reader.log");
    EXPECT_EQ(r.counted, static_cast<std::uint64_t>(read_count)) << "the tap counts tx_packets when a frame is read";

    int taken = 0, sent = 0, unfinished = 0, waited_long = 0;
    for (const Packet& p : r.trace.packets) {
        if (p.flow.proto != 17 || p.flow.dport != port || p.comm != "txray-testsend") continue;
        SCOPED_TRACE("packet " + std::to_string(p.id));
        EXPECT_EQ(p.ifname, tap);
        EXPECT_NE(p.outcome_string(), "dropped");
        sent += p.outcome == OutcomeKind::sent;
        unfinished += p.outcome == OutcomeKind::unfinished;
        const StageMark* done = last_mark(p, Stage::xmit_done);
        const StageMark* freed = last_mark(p, Stage::free);
        if (p.outcome == OutcomeKind::sent && done && freed && freed->ts_ns >= done->ts_ns) {
            ++taken;
            // The reader slept 300 ms once a frame waited: a lower bound only.
            waited_long += freed->ts_ns - done->ts_ns >= 200'000'000ull;
        }
    }
    EXPECT_EQ(taken, read_count) << "each frame read ends at free after xmit_done";
    EXPECT_EQ(sent, read_count) << "an unread frame is not sent";
    EXPECT_EQ(unfinished, unread) << "frames left on the ring at the end are unfinished";
    EXPECT_GE(waited_long, 1) << "the first frames waited on the ring for the reader";
    ASSERT_TRUE(r.trace.footer.has_value());
    EXPECT_GE(r.trace.footer->unfinished, static_cast<std::uint64_t>(unread));
    EXPECT_EQ(r.trace.footer->lost, 0u);
}
