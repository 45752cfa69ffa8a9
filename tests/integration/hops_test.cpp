// One packet across devices (issue 19), on this host's real kernel: a pod
// namespace behind a bridge in a router namespace that forwards and
// masquerades to an uplink veth into a remote namespace (and a VXLAN overlay
// over that uplink). Every datagram the pod sends is one record, with the
// pod's process and syscall, through all its devices; no second record for
// the forwarded copy; the records that left through the uplink are as many as
// the uplink's own tx_packets counter says.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "hops_fixture.h"

using namespace txray;
using namespace txray::test;

using Hops = HopsTest;

TEST_F(Hops, PodDatagramIsOneRecordThroughBridgeForwardingAndMasquerade) {
    ForwardTopology topo(false);
    const int port = 9340, count = 40;
    Recorded r = record_pod_datagrams(topo, topo.net + ".2.2", port, count);
    const Tally n = tally(r.trace, port, topo.uplink);
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_NE(p->send_id, 0u) << "the pod's syscall stays attached";
        EXPECT_NE(p->find(Stage::sendmsg), nullptr);
        EXPECT_EQ(p->ifname, topo.pod_if) << "top level: the first device";
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 2) << "queued on the pod's veth, then on the uplink";
        EXPECT_EQ(count_stage(*p, Stage::netif_receive), 1) << "received once after the pod's hand-off";
        EXPECT_EQ(count_stage(*p, Stage::xmit_done), 2);
    }
    EXPECT_EQ(n.ours.size(), static_cast<std::size_t>(count)) << "every datagram once";
    EXPECT_EQ(n.orphans, 0) << "no second record for the forwarded copy";
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.counted) << "records through the uplink = its tx_packets";

    ASSERT_TRUE(hops_readable(r.trace)) << "the recorder writes format 1.3 (hops)";
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 3u);
        EXPECT_EQ(p->hops[0].ifname, topo.pod_if);
        EXPECT_EQ(p->hops[1].ifname, topo.bridge) << "passed up to the bridge";
        EXPECT_EQ(p->hops[2].ifname, topo.uplink);
        ASSERT_TRUE(p->hops[2].flow.has_value()) << "masqueraded on the uplink";
        EXPECT_EQ(addr_to_string(4, p->hops[2].flow->saddr), topo.net + ".2.1");
        EXPECT_EQ(addr_to_string(4, p->flow.saddr), topo.net + ".1.2") << "top level: the pod's own source";
        for (const StageMark& m : p->stages) {
            EXPECT_TRUE(m.stage != Stage::netif_receive || m.hop == 1);
        }
        EXPECT_NE(p->hops[0].netns, p->hops[2].netns);
    }
}

TEST_F(Hops, VxlanOverlayIsOneRecordWithTheOuterFlowOnTheUnderlay) {
    ForwardTopology topo(true);
    const int port = 9341, count = 30;
    Recorded r = record_pod_datagrams(topo, topo.net + ".3.2", port, count);
    const Tally n = tally(r.trace, port, topo.uplink);
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_NE(p->send_id, 0u);
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 3) << "pod veth, the VXLAN device, the underlay";
    }
    EXPECT_EQ(n.ours.size(), static_cast<std::size_t>(count));
    EXPECT_EQ(n.orphans, 0) << "no separate record for the encapsulated packet";
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.counted);

    ASSERT_TRUE(hops_readable(r.trace)) << "the recorder writes format 1.3 (hops)";
    for (const Packet* p : n.ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id));
        ASSERT_EQ(p->hops.size(), 4u);
        EXPECT_EQ(p->hops[2].ifname, topo.vxlan);
        EXPECT_EQ(p->hops[3].ifname, topo.uplink);
        ASSERT_TRUE(p->hops[3].flow.has_value());
        EXPECT_EQ(p->hops[3].flow->proto, 17);
        EXPECT_EQ(p->hops[3].flow->dport, 4789) << "the outer UDP flow";
    }
}

// TCP from the pod (connect, writes, close) through the same devices: every
// segment the pod sends (SYN, data, ACKs, FIN) is one record through both
// hops, masqueraded on the uplink, as many as the uplink's tx_packets; the
// data tied to the client's writes (bpf/tcp_calls.bpf.h); the receiver's
// ACKs coming back through the router are its own records, not the pod's.
namespace {
// `bytes` of TCP from the pod to the remote namespace's sink on `port`, in
// writes of `write_size`, recorded around the send (trace `name`), counted
// on the uplink's tx_packets; checks the sink received them all.
Recorded record_pod_tcp(const ForwardTopology& topo, const std::string& name, int port, long bytes,
                        long write_size) {
    Child sink({"/usr/sbin/ip", "netns", "exec", topo.remote, tcptest_bin(), "sink", "--port", std::to_string(port),
                "--seconds", "8"},
               name + "-sink.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Recorded r = record_counted(name, [&] { return topo.uplink_tx(); }, [&] {
        RunResult s = run("ip netns exec " + topo.pod + " " + tcptest_bin() + " send --to " + topo.net +
                          ".2.2 --port " + std::to_string(port) + " --bytes " + std::to_string(bytes) +
                          " --write " + std::to_string(write_size));
        EXPECT_EQ(s.status, 0) << s.out;
    });
    EXPECT_EQ(sink.wait(15), 0);
    EXPECT_NE(read_file(name + "-sink.log").find("received " + std::to_string(bytes)), std::string::npos);
    return r;
}
}  // namespace

TEST_F(Hops, PodTcpSegmentsAreOneRecordEachThroughForwardingAndMasquerade) {
    ForwardTopology topo(false);
    const int port = 9342;
    const long bytes = 256 * 1024, write_size = 64 * 1024;
    Recorded r = record_pod_tcp(topo, scratch_dir() + "/hops-tcp", port, bytes, write_size);

    const std::string pod_addr = topo.net + ".1.2";
    std::vector<const Packet*> ours;
    int orphans = 0, via_uplink = 0, acks_back = 0;
    TcpPayloadTally payload(r.trace);
    std::set<std::uint32_t> pod_pids;
    for (const Packet& p : r.trace.packets) {
        via_uplink += left_through(p, topo.uplink);
        if (p.flow.proto != 6) continue;
        if (p.flow.dport == port) {
            if (p.ifname == topo.pod_if && addr_to_string(4, p.flow.saddr) == pod_addr) ours.push_back(&p);
            else ++orphans;  // a forwarded copy recorded apart
        }
    }
    std::set<std::uint64_t> pod_sends;
    for (const Packet* p : ours) {
        SCOPED_TRACE("packet " + std::to_string(p->id) + " flags " + std::to_string(p->tcp_flags));
        EXPECT_EQ(p->outcome_string(), "sent");
        EXPECT_EQ(count_stage(*p, Stage::dev_queue_xmit), 2) << "queued on the pod's veth, then on the uplink";
        EXPECT_EQ(count_stage(*p, Stage::netif_receive), 1) << "received once after the pod's hand-off";
        ASSERT_EQ(p->hops.size(), 3u);
        EXPECT_EQ(p->hops[1].ifname, topo.bridge);
        EXPECT_EQ(p->hops[2].ifname, topo.uplink);
        ASSERT_TRUE(p->hops[2].flow.has_value()) << "masqueraded on the uplink";
        EXPECT_EQ(addr_to_string(4, p->hops[2].flow->saddr), topo.net + ".2.1");
        if (!payload.add(*p)) continue;  // SYN, ACK, FIN, a retransmission
        EXPECT_NE(p->send_id, 0u) << "a data segment tied to the write of its first byte";
        EXPECT_EQ(p->comm, "txray-tcptest");
        pod_sends.insert(p->send_id);
        pod_pids.insert(p->pid);
    }
    EXPECT_EQ(payload.bytes, bytes) << "the data segments carry exactly the bytes written ("
                                    << payload.retransmissions << " retransmissions apart)";
    EXPECT_GE(pod_sends.size(), 1u);
    EXPECT_LE(pod_sends.size(), static_cast<std::size_t>(bytes / write_size));
    EXPECT_EQ(orphans, 0) << "no second record for a forwarded segment";
    EXPECT_EQ(static_cast<std::uint64_t>(via_uplink), r.counted) << "records through the uplink = its tx_packets";
    EXPECT_EQ(ours.size(), r.counted) << "every segment the pod sent left through the uplink once";

    for (const Packet& p : r.trace.packets) {
        if (p.flow.proto != 6 || p.flow.sport != port) continue;
        ++acks_back;
        SCOPED_TRACE("receiver's packet " + std::to_string(p.id));
        EXPECT_NE(p.comm, "txray-tcptest") << "the receiver's ACK is not the pod's";
        EXPECT_EQ(pod_sends.count(p.send_id), 0u);
        EXPECT_EQ(pod_pids.count(p.pid), 0u);
        EXPECT_FALSE(left_through(p, topo.uplink));
    }
    EXPECT_GT(acks_back, 0) << "the receiver's ACKs are recorded too";
}

// The same with an uplink that has no TSO: the pod's GSO skbs cross the
// bridge and the forward whole, and validate_xmit_skb() segments them in
// software at the uplink (skb_gso_segment, new skbs). Each segment goes on
// from the uplink's hop of its parent: the pod's process, write and earlier
// hops, the masqueraded flow there, its own TCP range; the GSO skb ends
// consumed on the uplink. The records that left through the uplink's driver
// are as many as its tx_packets, and their first transmissions carry every
// byte once.
TEST_F(Hops, ForwardedGsoSegmentedOnTheUplinkGoesOnFromItsHop) {
    ForwardTopology topo(false);
    ASSERT_EQ(run("ip netns exec " + topo.router + " ethtool -K " + topo.uplink + " tso off gso on").status, 0);
    const int port = 9343;
    const long bytes = 256 * 1024, write_size = 64 * 1024;
    Recorded r = record_pod_tcp(topo, scratch_dir() + "/hops-tcp-gso", port, bytes, write_size);
    ASSERT_TRUE(hops_readable(r.trace));

    TcpPayloadTally payload(r.trace);
    const auto& by_id = payload.by_id;
    const std::string pod_addr = topo.net + ".1.2";
    int segments = 0, orphans = 0;
    std::uint64_t left_uplink = 0;
    std::set<std::uint64_t> parents;
    for (const Packet& p : r.trace.packets) {
        if (p.outcome == OutcomeKind::sent && left_through(p, topo.uplink)) ++left_uplink;
        if (p.flow.proto != 6 || p.flow.dport != port) continue;
        SCOPED_TRACE("packet " + std::to_string(p.id));
        if (p.ifname != topo.pod_if || addr_to_string(4, p.flow.saddr) != pod_addr) {
            ++orphans;  // a segment recorded apart, starting on the uplink
            continue;
        }
        if (p.outcome == OutcomeKind::sent) payload.add(p);  // not the GSO skbs (consumed)
        if (!p.gso_segment) continue;
        ++segments;
        EXPECT_EQ(p.outcome_string(), "sent");
        EXPECT_LE(p.len, 1500u + 14u) << "a segment, not its GSO skb";
        EXPECT_EQ(p.comm, "txray-tcptest");
        EXPECT_NE(p.send_id, 0u) << "tied to the pod's write";
        ASSERT_EQ(p.hops.size(), 3u);
        EXPECT_EQ(p.hops[1].ifname, topo.bridge);
        EXPECT_EQ(p.hops[2].ifname, topo.uplink);
        ASSERT_TRUE(p.hops[2].flow.has_value()) << "masqueraded on the uplink";
        EXPECT_EQ(addr_to_string(4, p.hops[2].flow->saddr), topo.net + ".2.1");
        EXPECT_EQ(count_stage(p, Stage::dev_queue_xmit), 2) << "the parent's queueing on both devices";
        EXPECT_EQ(count_stage(p, Stage::driver_xmit), 2) << "the pod's veth's and its own on the uplink";
        ASSERT_TRUE(by_id.count(p.parent_id)) << "without its parent";
        const Packet& parent = *by_id.at(p.parent_id);
        EXPECT_EQ(parent.outcome, OutcomeKind::consumed) << "the GSO skb ends in its segmentation";
        EXPECT_EQ(parent.hops.size(), 3u) << "segmented on the uplink, not before";
        EXPECT_GT(parent.len, p.len);
        parents.insert(p.parent_id);
    }
    EXPECT_GT(segments, 10) << "the pod's GSO skbs were segmented on the uplink";
    EXPECT_GE(parents.size(), 1u);
    EXPECT_EQ(orphans, 0) << "no segment restarts as a record of its own";
    EXPECT_EQ(payload.bytes, bytes) << "segments and unsegmented skbs carry every byte once ("
                                    << payload.retransmissions << " retransmissions apart)";
    EXPECT_EQ(left_uplink, r.counted) << "records sent through the uplink = its tx_packets";
}

// The pod's TCP to the router's own address: the router forwards, so the
// pod's hand-off waits for its receive side, and here a local socket takes
// each segment (sk_filter_trim_cap, where cgroup ingress runs, or its fentry/
// kprobe stand-in before 6.2), which later frees it with no tracepoint
// (__kfree_skb at recv() or after the ACK). Every segment ends there: one
// record, "sent", on the pod's veth only, none left unfinished; as many as
// the pod's veth counted; its data what the sink received.
TEST_F(Hops, PodTcpToTheRouterItselfEndsWhereItsSocketTakesIt) {
    ForwardTopology topo(false);
    const int port = 9344;
    const long bytes = 256 * 1024;
    const std::string name = scratch_dir() + "/hops-tcp-local";
    Child sink({"/usr/sbin/ip", "netns", "exec", topo.router, tcptest_bin(), "sink", "--port", std::to_string(port),
                "--seconds", "8", "--once"},
               name + "-sink.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Recorded r = record_counted(name, [&] { return tx_packets_in(topo.pod, topo.pod_if); }, [&] {
        RunResult s = run("ip netns exec " + topo.pod + " " + tcptest_bin() + " send --to " + topo.net +
                          ".1.1 --port " + std::to_string(port) + " --bytes " + std::to_string(bytes) + " --write 4096");
        EXPECT_EQ(s.status, 0) << s.out;
    }, {"--proto", "tcp", "--port", std::to_string(port)});
    EXPECT_EQ(sink.wait(15), 0);
    EXPECT_NE(read_file(name + "-sink.log").find("received " + std::to_string(bytes)), std::string::npos);

    std::uint64_t from_pod = 0;
    TcpPayloadTally payload(r.trace);
    for (const Packet& p : r.trace.packets) {
        if (p.flow.proto != 6 || p.flow.dport != port) continue;
        ++from_pod;
        SCOPED_TRACE("packet " + std::to_string(p.id) + " flags " + std::to_string(p.tcp_flags));
        EXPECT_EQ(p.outcome_string(), "sent") << "ended where the router's socket took it";
        ASSERT_EQ(p.hops.size(), 1u);
        EXPECT_EQ(p.hops[0].ifname, topo.pod_if);
        payload.add(p);
    }
    EXPECT_EQ(from_pod, r.counted) << "one record per skb the pod's veth sent";
    EXPECT_EQ(payload.bytes, bytes) << "the data segments carry exactly the bytes the sink received ("
                                    << payload.retransmissions << " retransmissions apart)";
}

// The receive hooks run for every skb any device receives, so they are
// attached only while hand-offs are followed (src/bpfload/receive_hooks.cpp):
// the kernel's own list of links says that they stay while the session has
// followed no packet (its traffic has not begun), so that its first
// datagram, 6 s in, is followed through the bridge with its receive; that
// they are gone 5 s after it, with no hand-off since; and that the pod's
// next datagram brought them back. A datagram handed off while they were
// away is still one record through the uplink, without its receive, and
// counted; the burst after that is followed as ever.
static bool receive_hook_linked() {
    return run("bpftool link list").out.find("tp 'netif_receive_skb'") != std::string::npos;
}

TEST_F(Hops, ReceiveHooksLeaveWhileNothingIsHandedOffAndComeBackForTheNext) {
    ForwardTopology topo(false);
    const int port = 9346, burst = 20, sent = 1 + 2 * burst;
    const std::string name = scratch_dir() + "/hops-receive-on-demand";
    const auto send = [&](int count) {
        RunResult s = run("ip netns exec " + topo.pod + " " + testsend_bin() + " send --to " + topo.net +
                          ".2.2 --port " + std::to_string(port) + " --way sendto --count " + std::to_string(count) +
                          " --size 100");
        EXPECT_EQ(s.status, 0) << s.out;
    };
    std::unique_ptr<Child> recv;
    bool linked_at_start = false, linked_before_traffic = false, gone = false, back = false;
    Recorded r = record_counted(name, [&] { return topo.uplink_tx(); }, [&] {
        linked_at_start = receive_hook_linked();
        std::this_thread::sleep_for(std::chrono::milliseconds(6000));
        linked_before_traffic = receive_hook_linked();
        recv = start_remote_receiver(topo, port, 15, name + "-recv.log");
        send(1);  // the session's first packet: its park starts the idle clock
        for (int i = 0; i < 200 && !gone; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            gone = !receive_hook_linked();
        }
        send(burst);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        back = receive_hook_linked();
        send(burst);
    });
    recv->wait(20);
    EXPECT_TRUE(linked_at_start) << "attached with the other hooks";
    EXPECT_TRUE(linked_before_traffic) << "kept 6 s while no packet was followed (the idle clock starts at the first)";
    EXPECT_TRUE(gone) << "detached after seconds of traffic without a hand-off";
    EXPECT_TRUE(back) << "attached again after the first burst's hand-offs";
    EXPECT_NE(read_file(name + "-recv.log").find(std::to_string(port) + " " + std::to_string(sent) + " "),
              std::string::npos)
        << read_file(name + "-recv.log");

    Tally n = tally(r.trace, port, topo.uplink);
    ASSERT_EQ(n.ours.size(), static_cast<std::size_t>(sent)) << "every datagram once";
    EXPECT_EQ(n.orphans, 0) << "no second record for the forwarded copy";
    EXPECT_EQ(static_cast<std::uint64_t>(n.via_uplink), r.counted) << "records through the uplink = its tx_packets";
    std::sort(n.ours.begin(), n.ours.end(),
              [](const Packet* a, const Packet* b) { return a->stages.front().ts_ns < b->stages.front().ts_ns; });
    long without_receive = 0;
    for (std::size_t i = 0; i < n.ours.size(); ++i) {
        const Packet& p = *n.ours[i];
        SCOPED_TRACE("datagram " + std::to_string(i) + ", packet " + std::to_string(p.id));
        EXPECT_EQ(p.outcome_string(), "sent");
        ASSERT_GE(p.hops.size(), 2u);
        EXPECT_EQ(p.hops.back().ifname, topo.uplink);
        without_receive += count_stage(p, Stage::netif_receive) == 0;
        if (i == 0 || i > static_cast<std::size_t>(burst)) {
            EXPECT_EQ(count_stage(p, Stage::netif_receive), 1)
                << (i ? "the second burst: followed as ever" : "the first datagram, 6 s after the start");
            EXPECT_EQ(p.hops.size(), 3u) << "through the bridge";
        }
    }
    const std::string said = "handed-off packets were followed without their receive";
    const auto at = r.log.find(said);
    ASSERT_NE(at, std::string::npos) << "the first burst's hand-offs are counted: " << r.log;
    const long counted = std::stol(r.log.substr(r.log.rfind("txray: ", at) + 7));
    ASSERT_TRUE(r.trace.footer.has_value());
    EXPECT_EQ(r.trace.footer->receive_unseen, static_cast<std::uint64_t>(counted)) << "the footer says it too";
    std::cout << "receive hooks away: " << without_receive << " of " << sent
              << " datagrams without their receive, " << counted << " counted\n";
    EXPECT_GE(counted, 1);
    EXPECT_LE(counted, burst);
    EXPECT_GE(without_receive, 1) << "the first burst's first receive ran before the hooks were back";
    EXPECT_LE(without_receive, counted) << "a datagram without its receive is counted";
}
