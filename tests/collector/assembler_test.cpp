#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "collector/assembler.h"
#include "syscalls.h"

using namespace txray;

namespace {

txr_packet rec(std::uint64_t id, std::uint64_t skb, std::uint64_t send, std::uint64_t t0, std::uint8_t end = TXR_END_HANDOFF) {
    txr_packet r{};
    r.kind = TXR_REC_PACKET;
    r.end = end;
    r.family = 4;
    r.proto = 17;
    r.id = id;
    r.skb = skb;
    r.send_id = send;
    r.pid = r.tid = 42;
    std::strcpy(r.comm, "app");
    std::strcpy(r.ifname, "veth0");
    r.saddr[0] = 10, r.daddr[0] = 10, r.daddr[3] = 2;
    r.sport = 5000, r.dport = 9;
    r.len = 128;
    r.ts[TXR_ST_SENDMSG] = t0;
    r.ts[TXR_ST_IP_OUTPUT] = t0 + 100;
    r.ts[TXR_ST_DEV_QUEUE_XMIT] = t0 + 200;
    r.ts[TXR_ST_DRIVER_XMIT] = t0 + 300;
    r.ts[TXR_ST_XMIT_DONE] = t0 + 400;
    return r;
}

txr_send send_rec(std::uint64_t send, std::uint32_t packets, std::int64_t ret, std::uint64_t enter, std::uint64_t exit) {
    txr_send s{};
    s.kind = TXR_REC_SEND;
    s.send_id = send;
    s.packets = packets;
    s.ret = ret;
    s.enter_ts = enter;
    s.exit_ts = exit;
    s.pid = s.tid = 42;
    std::strcpy(s.comm, "app");
    return s;
}

struct Fixture : ::testing::Test {
    std::vector<Packet> out;
    Assembler a{[this](Packet&& p) { out.push_back(std::move(p)); },
                [](std::uint32_t r) {
                    return r == 2 ? std::string("QDISC_DROP") : fmt::format("R{}", r);
                }};
};

}  // namespace

TEST_F(Fixture, PacketWaitsForItsSendRecordThenGetsTheReturn) {
    a.on_packet(rec(1, 0xa0, 7, 1000), 0);
    EXPECT_TRUE(out.empty()) << "held until the syscall's record arrives";
    a.on_send(send_rec(7, 1, 128, 990, 2000), 0);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].send_ret.has_value());
    EXPECT_EQ(*out[0].send_ret, 128);
    EXPECT_EQ(out[0].stages.back().stage, Stage::sendmsg_return);
    EXPECT_EQ(out[0].outcome_string(), "sent");
}

// The CPU that made a record is its id's low byte (next_id); the CPU and
// context its end ran in come with it: a TX completion on the interrupt's CPU.
TEST_F(Fixture, EndCpuAndContextSayWhereTheEndRanAgainstTheMakingCpu) {
    txr_packet on_other = rec((5u << 8) | 0, 0xa0, 0, 1000, TXR_END_FREE);
    on_other.end_cpu = 1, on_other.end_ctx = TXR_END_CTX_SOFTIRQ;
    txr_packet on_same = rec((6u << 8) | 1, 0xb0, 0, 2000, TXR_END_FREE);
    on_same.end_cpu = 1, on_same.end_ctx = TXR_END_CTX_HARDIRQ;
    txr_packet unended = rec((7u << 8) | 0, 0xc0, 0, 3000, TXR_END_FREE);
    unended.end_cpu = 1, unended.end_ctx = TXR_END_CTX_NONE;
    for (const txr_packet& r : {on_other, on_same, unended}) a.on_packet(r, 0);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].made_cpu(), 0u);
    EXPECT_EQ(out[0].end_cpu, 1);
    EXPECT_EQ(out[0].end_context, "softirq");
    EXPECT_TRUE(out[0].ended_on_other_cpu());
    EXPECT_EQ(out[1].made_cpu(), 1u);
    EXPECT_EQ(out[1].end_context, "hardirq");
    EXPECT_FALSE(out[1].ended_on_other_cpu());
    EXPECT_EQ(out[2].end_cpu, -1) << "no end in the kernel: no CPU";
    EXPECT_FALSE(out[2].ended_on_other_cpu());
}

TEST_F(Fixture, SendRecordFirstThenLatePacketsOutOfOrder) {
    // A qdisc held the packets: the syscall returned before they ended, and
    // they end in another order than they were sent.
    a.on_send(send_rec(7, 2, 256, 990, 1500), 0);
    a.on_packet(rec(2, 0xb0, 7, 1100), 0);
    a.on_packet(rec(1, 0xa0, 7, 1000), 0);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 2u);
    EXPECT_EQ(out[1].id, 1u);
    for (const auto& p : out) {
        // Stages sorted by time even though sendmsg_return comes mid-way.
        for (std::size_t i = 1; i < p.stages.size(); ++i) EXPECT_LE(p.stages[i - 1].ts_ns, p.stages[i].ts_ns);
        EXPECT_NE(p.find(Stage::sendmsg_return), nullptr);
    }
    EXPECT_EQ(a.held_packets(), 0u);
}

TEST_F(Fixture, AddressReuseKeepsTwoPackets) {
    // The same sk_buff address, freed and reused: two ids, two packets.
    a.on_packet(rec(1, 0xa0, 0, 1000, TXR_END_FREE), 0);
    a.on_packet(rec(2, 0xa0, 0, 5000, TXR_END_FREE), 0);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].skb, out[1].skb);
    EXPECT_NE(out[0].id, out[1].id);
    EXPECT_LT(out[0].last_ts(), out[1].first_ts());
}

TEST_F(Fixture, FragmentsShareTheSendAndLinkToTheFirst) {
    txr_packet f0 = rec(10, 0xa0, 7, 1000), f1 = rec(11, 0xb0, 7, 1000), f2 = rec(12, 0xc0, 7, 1000);
    f0.flags = TXR_PF_FRAGMENT | TXR_PF_FRAG_MORE;
    f1.flags = TXR_PF_FRAGMENT | TXR_PF_FRAG_MORE, f1.frag_off = 1480, f1.parent_id = 10;
    f2.flags = TXR_PF_FRAGMENT, f2.frag_off = 2960, f2.parent_id = 10;
    a.on_packet(f0, 0);
    a.on_packet(f1, 0);
    a.on_packet(f2, 0);
    a.on_send(send_rec(7, 3, 4000, 990, 3000), 0);
    ASSERT_EQ(out.size(), 3u);
    for (const auto& p : out) {
        EXPECT_EQ(p.send_id, 7u);
        EXPECT_TRUE(p.fragment);
        EXPECT_EQ(*p.send_ret, 4000);
    }
    EXPECT_EQ(out[1].parent_id, 10u);
    EXPECT_EQ(out[2].frag_offset, 2960);
    EXPECT_FALSE(out[2].frag_more);
}

TEST_F(Fixture, SendmmsgPacketsCarryTheirMessageIndex) {
    for (std::uint32_t m = 0; m < 4; ++m) {
        txr_packet r = rec(100 + m, 0xa0 + m, 9, 1000 + m * 10);
        r.msg_index = m;
        a.on_packet(r, 0);
    }
    a.on_send(send_rec(9, 4, 4, 990, 2000), 0);
    ASSERT_EQ(out.size(), 4u);
    for (std::uint32_t m = 0; m < 4; ++m) {
        EXPECT_EQ(out[m].msg_index, m);
        EXPECT_EQ(*out[m].send_ret, 4) << "sendmmsg returns the message count";
    }
}

TEST_F(Fixture, DropsCarryTheKernelReasonAndTheSyscallErrno) {
    txr_packet r = rec(1, 0xa0, 7, 1000, TXR_END_DROP);
    r.ts[TXR_ST_DRIVER_XMIT] = r.ts[TXR_ST_XMIT_DONE] = 0;
    r.ts[TXR_ST_DROP] = 1250;
    r.drop_reason = 2;
    a.on_packet(r, 0);
    a.on_send(send_rec(7, 1, -1 /* EPERM */, 990, 2000), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].outcome_string(), "dropped:QDISC_DROP");
    EXPECT_EQ(out[0].send_errno, "EPERM");
}

TEST_F(Fixture, FailedSendWithoutPacketBecomesAnErrorRecord) {
    a.on_send(send_rec(7, 0, -105 /* ENOBUFS */, 990, 2000), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].outcome_string(), "error:ENOBUFS");
    EXPECT_EQ(out[0].skb, 0u);
    ASSERT_EQ(out[0].stages.size(), 2u);
    EXPECT_EQ(a.stats().failed_sends, 1u);
}

TEST_F(Fixture, LostSendRecordReleasesPacketsAfterTheHoldTime) {
    // The send record was lost (ring buffer full): the packet is not lost
    // with it, only its syscall return is unknown.
    a.on_packet(rec(1, 0xa0, 7, 1000), 1'000);
    a.tick(1'000 + 1'000'000'000);
    EXPECT_TRUE(out.empty()) << "still within the hold time";
    a.tick(1'000 + 3'000'000'000ull);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(a.stats().no_send_record, 1u);
}

TEST_F(Fixture, ALaterSendRecordOfTheThreadReleasesPacketsAtOnce) {
    // Send 7's record was lost; the thread's next syscall (8) returned: its
    // record proves 7's will not come, so packet 1 goes out now, not after
    // hold_ns (under heavy loss that wait held ~a second of packets).
    a.on_packet(rec(1, 0xa0, 7, 1000), 1'000);
    a.on_packet(rec(2, 0xb0, 8, 3000), 1'001);
    EXPECT_TRUE(out.empty()) << "a packet record is no proof: both wait";
    a.on_send(send_rec(8, 1, 128, 2990, 4000), 1'002);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 1u);
    EXPECT_EQ(out[0].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(out[1].id, 2u);
    ASSERT_NE(out[1].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(a.stats().no_send_record, 1u);
    EXPECT_EQ(a.held_packets(), 0u);
    EXPECT_EQ(a.tracked_sends(), 0u);
}

TEST_F(Fixture, FoldedSendComesOutAtOnceAndCountsAsASend) {
    // The kernel folded send 8 into its only packet (it ended inside the
    // syscall): no send record follows. It is a send record all the same:
    // send 7 of the thread, whose record was lost, is released with it.
    a.on_packet(rec(1, 0xa0, 7, 1000), 1'000);
    txr_packet r = rec(2, 0xb0, 8, 3000);
    r.flags |= TXR_PF_SEND_FOLDED;
    r.ts[TXR_ST_SENDMSG_RETURN] = 3500;
    r.send_ret = -105;  // ENOBUFS
    a.on_packet(r, 1'001);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 1u);
    EXPECT_EQ(out[0].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(out[1].id, 2u);
    ASSERT_NE(out[1].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(out[1].stages.back().stage, Stage::sendmsg_return);
    EXPECT_EQ(out[1].stages.back().ts_ns, 3500u);
    ASSERT_TRUE(out[1].send_ret.has_value());
    EXPECT_EQ(*out[1].send_ret, -105);
    EXPECT_EQ(out[1].send_errno, "ENOBUFS");
    EXPECT_EQ(a.stats().sends, 1u);
    EXPECT_EQ(a.stats().no_send_record, 1u);
    EXPECT_EQ(a.held_packets(), 0u);
    EXPECT_EQ(a.tracked_sends(), 0u);
}

TEST_F(Fixture, AnotherThreadsSendRecordReleasesNothing) {
    a.on_packet(rec(1, 0xa0, 7, 1000), 1'000);
    txr_send other = send_rec(9, 0, 100, 900, 950);
    other.tid = 43;
    a.on_send(other, 1'001);
    EXPECT_TRUE(out.empty());
    a.on_send(send_rec(7, 1, 128, 990, 2000), 1'002);  // its own record still comes
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(a.stats().no_send_record, 0u);
}

TEST_F(Fixture, IoUringRecordsComeAtCompletionAndReleaseNothingElse) {
    // Two io_uring send requests of one thread: the second completes first
    // (the first waited for its socket). Its record is no proof that the
    // first's is lost, and each packet names io_uring_enter as its call.
    a.on_packet(rec(1, 0xa0, 7, 1000), 1'000);
    a.on_packet(rec(2, 0xb0, 8, 3000), 1'001);
    txr_send second = send_rec(8, 1, 128, 2990, 4000);
    second.syscall_nr = TXR_NR_io_uring_enter;
    a.on_send(second, 1'002);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, 2u);
    EXPECT_EQ(out[0].send_syscall, "io_uring_enter");
    txr_send first = send_rec(7, 1, 128, 990, 5000);
    first.syscall_nr = TXR_NR_io_uring_enter;
    a.on_send(first, 1'003);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].id, 1u);
    EXPECT_NE(out[1].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(a.stats().no_send_record, 0u);
}

TEST_F(Fixture, LostPacketRecordDoesNotBlockTheOthers) {
    a.on_send(send_rec(7, 3, 300, 990, 1500), 0);
    a.on_packet(rec(1, 0xa0, 7, 1000), 0);
    a.on_packet(rec(3, 0xc0, 7, 1000), 0);  // packet 2's record was lost
    EXPECT_EQ(out.size(), 2u);
    a.tick(120'000'000'000ull);  // the send state is forgotten eventually
    a.on_packet(rec(4, 0xd0, 7, 1000), 120'000'000'001ull);  // a late one waits again
    a.finish();
    EXPECT_EQ(out.size(), 3u);
}

// Under ring buffer loss, sends whose packet records were lost must not pile
// up in memory for send_keep_ns: the oldest go beyond max_waiting_sends.
TEST(AssemblerMemory, SendsWaitingForLostPacketsAreBounded) {
    std::vector<Packet> out;
    Assembler::Options opt;
    opt.max_waiting_sends = 100;
    Assembler a([&](Packet&& p) { out.push_back(std::move(p)); }, [](std::uint32_t) { return std::string(); }, opt);
    for (std::uint64_t s = 1; s <= 1000; ++s) a.on_send(send_rec(s, 1, 100, s * 10, s * 10 + 5), s);
    EXPECT_EQ(a.tracked_sends(), 1000u);
    a.tick(2'000);
    EXPECT_EQ(a.tracked_sends(), 100u);
    EXPECT_EQ(a.stats().sends_forgotten, 900u);
    // The newest were kept: a late packet of send 1000 still gets its return.
    a.on_packet(rec(1, 0xa0, 1000, 10'000), 2'001);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].find(Stage::sendmsg_return), nullptr);
    // One of the forgotten ones waits for a record that already went.
    a.on_packet(rec(2, 0xb0, 1, 10), 2'002);
    EXPECT_EQ(out.size(), 1u);
    a.finish();
    EXPECT_EQ(out.size(), 2u);
}

TEST_F(Fixture, ExpiredInFlightRecordIsUnfinished) {
    a.on_packet(rec(1, 0xa0, 0, 1000, TXR_END_EXPIRED), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].outcome_string(), "unfinished");
    EXPECT_EQ(a.stats().unfinished, 1u);
}

namespace {
txr_packet tcp_rec(std::uint64_t id, std::uint64_t send, std::uint32_t seq, std::uint32_t end, std::uint64_t wire) {
    txr_packet r = rec(id, 0x1000 + id, send, wire - 500, TXR_END_HANDOFF);
    r.proto = 6;
    r.sk = 0xabc0;
    r.tcp_seq = seq;
    r.tcp_end_seq = end;
    r.tcp_flags = 0x18;
    r.ts[TXR_ST_DRIVER_XMIT] = wire;
    r.ts[TXR_ST_XMIT_DONE] = wire + 100;
    if (!send) r.ts[TXR_ST_SENDMSG] = 0;
    return r;
}
txr_send tcp_send(std::uint64_t send, std::uint32_t start, std::uint32_t end) {
    txr_send s = send_rec(send, 1, end - start, 100, 200);
    s.proto = 6;
    s.sk = 0xabc0;
    s.tcp_seq_start = start;
    s.tcp_seq_end = end;
    return s;
}
}  // namespace

TEST_F(Fixture, TcpSegmentSentFromSoftirqIsTiedToItsWriteBySequence) {
    a.on_send(tcp_send(7, 1000, 9000), 0);                 // write() queued bytes [1000, 9000)
    a.on_packet(tcp_rec(1, 0, 5000, 6448, 10'000), 0);     // sent later on an ACK: no send id
    a.on_packet(tcp_rec(2, 0, 9000, 10448, 11'000), 0);    // bytes of another write we did not see
    a.finish();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].send_id, 7u);
    EXPECT_TRUE(out[0].send_by_seq);
    EXPECT_EQ(out[0].pid, 42u);
    EXPECT_EQ(out[1].send_id, 0u);
    EXPECT_EQ(a.stats().tcp_by_seq, 1u);
}

TEST_F(Fixture, TcpSegmentsAfterTheirCallReturnedStillGetItsReturn) {
    // The call made no packet itself (an io_uring request retried after a
    // poll wake-up; a write whose bytes an ACK sent): its record counts 0
    // packets, and its segments, tied by the kernel, come after it.
    txr_send s = tcp_send(7, 1000, 9000);
    s.packets = 0;
    s.syscall_nr = TXR_NR_io_uring_enter;
    a.on_send(s, 0);
    a.on_packet(tcp_rec(1, 7, 1000, 9000, 10'000), 100'000'000);
    a.tick(400'000'000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].find(Stage::sendmsg_return), nullptr);
    EXPECT_EQ(out[0].send_syscall, "io_uring_enter");
    a.tick(2'000'000'000);
    EXPECT_EQ(a.tracked_sends(), 0u) << "kept for tcp_send_keep_ns only";
}

TEST_F(Fixture, RetransmissionIsMarkedAndLinkedToTheSegmentThatCarriedItsFirstByte) {
    // The original is a TSO skb [1000, 8000); the resend starts inside it, and
    // its record arrives first (the original waited elsewhere).
    a.on_packet(tcp_rec(20, 0, 3000, 4448, 50'000), 0);
    txr_retrans r{};
    r.kind = TXR_REC_RETRANS;
    r.sk = 0xabc0;
    r.seq = 3000;
    r.end_seq = 4448;
    r.ts = 50'200;
    a.on_retransmit(r, 0);
    a.on_packet(tcp_rec(10, 7, 1000, 8000, 20'000), 0);
    a.finish();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 10u) << "released in wire order";
    EXPECT_FALSE(out[0].retransmit);
    EXPECT_TRUE(out[1].retransmit);
    EXPECT_EQ(out[1].retransmit_of, 10u);
    EXPECT_EQ(a.stats().retransmits, 1u);
}

// On a real NIC a packet's record comes at its TX completion: the resend's
// mark arrives before the resend's own record, while the original's record
// is already held. The mark belongs to the later transmission.
TEST_F(Fixture, RetransmitMarkBeforeTheResendsRecordMovesToTheResend) {
    a.on_packet(tcp_rec(10, 0, 1000, 2448, 20'000), 0);  // the original, completed
    txr_retrans r{};
    r.kind = TXR_REC_RETRANS;
    r.sk = 0xabc0;
    r.seq = 1000;
    r.end_seq = 2448;
    r.ts = 90'000;                                       // right after the resend went out
    a.on_retransmit(r, 0);
    a.on_packet(tcp_rec(20, 0, 1000, 2448, 89'900), 0);  // the resend, at its completion
    a.finish();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 10u);
    EXPECT_FALSE(out[0].retransmit);
    EXPECT_TRUE(out[1].retransmit);
    EXPECT_EQ(out[1].retransmit_of, 10u);
    EXPECT_EQ(a.stats().retransmits, 1u);
}

// A TSO skb segmented in software (validate_xmit_skb) ends consumed; its
// segments are the transmissions, not resends of it.
TEST_F(Fixture, SoftwareGsoSegmentsAreNotResendsOfTheirParent) {
    txr_packet parent = tcp_rec(1, 0, 1000, 5344, 10'000);
    parent.end = TXR_END_CONSUMED_EARLY;
    parent.ts[TXR_ST_DRIVER_XMIT] = parent.ts[TXR_ST_XMIT_DONE] = 0;
    a.on_packet(parent, 0);
    for (std::uint32_t i = 0; i < 3; ++i) {
        txr_packet seg = tcp_rec(2 + i, 0, 1000 + 1448 * i, 2448 + 1448 * i, 10'100 + i);
        seg.flags |= TXR_PF_GSO_SEGMENT;
        seg.parent_id = 1;
        a.on_packet(seg, 0);
    }
    a.finish();
    ASSERT_EQ(out.size(), 4u);
    for (const auto& p : out) EXPECT_FALSE(p.retransmit) << p.id;
    EXPECT_EQ(a.stats().retransmits, 0u);
}

TEST_F(Fixture, PureAckIsNeverARetransmission) {
    a.on_packet(tcp_rec(1, 0, 1000, 2448, 10'000), 0);
    a.on_packet(tcp_rec(2, 0, 2448, 2448, 11'000), 0);  // pure ACK: no bytes
    a.on_packet(tcp_rec(3, 0, 2448, 2448, 12'000), 0);
    a.finish();
    for (const auto& p : out) EXPECT_FALSE(p.retransmit) << p.id;
}

// The ring buffer's records reach the assembler untyped: it tells the kinds
// apart by the first byte and ignores a record shorter than its struct.
TEST_F(Fixture, RecordsAreDispatchedByKind) {
    const txr_packet p = rec(1, 0xa0, 7, 1000);
    const txr_send s = send_rec(7, 1, 128, 990, 2000);
    a.on_record(&p, sizeof p - 1, 0);  // cut short: ignored
    a.on_record(&s, sizeof s, 0);
    EXPECT_TRUE(out.empty());
    a.on_record(&p, sizeof p, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].send_ret, 128);
    const std::uint8_t unknown = 99;
    a.on_record(&unknown, 1, 0);
    a.on_record(&unknown, 0, 0);
    EXPECT_EQ(out.size(), 1u);
}

// A record whose tail is all 0 comes without it (bpf/txray.h,
// TXR_PACKET_SHORT): read as if the tail were there, 0.
TEST_F(Fixture, ARecordWithoutItsZeroTailReadsAsTheWholeRecord) {
    txr_packet p = rec(1, 0xa0, 0, 1000, TXR_END_FREE);
    p.sport = 5000;
    p.dport = 53;
    std::array<std::byte, sizeof(txr_packet)> ring{};
    std::memcpy(ring.data(), &p, sizeof p);
    std::memset(ring.data() + TXR_PACKET_SHORT, 0xff, sizeof p - TXR_PACKET_SHORT); // past the record
    a.on_record(ring.data(), TXR_PACKET_SHORT - 8, 0); // cut inside the head: ignored
    a.on_record(ring.data(), TXR_PACKET_SHORT + 8, 0); // neither short nor whole: ignored
    EXPECT_TRUE(out.empty());
    a.on_record(ring.data(), TXR_PACKET_SHORT, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, 1u);
    EXPECT_EQ(out[0].flow.sport, 5000);
    EXPECT_EQ(out[0].flow.dport, 53);
    // the tail: 0, not the bytes after the record
    EXPECT_EQ(out[0].parent_id, 0u);
    EXPECT_EQ(out[0].msg_index, 0u);
    EXPECT_EQ(out[0].frag_offset, 0);
    EXPECT_EQ(out[0].requeues, 0);
    EXPECT_FALSE(out[0].xmit_rc.value_or(0));
}
