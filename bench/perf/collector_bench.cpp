// Collector throughput offline: synthetic kernel records (struct txr_packet /
// txr_send, as the ring buffer delivers them) through the real conversion,
// Assembler and TraceWriter. Target (issue 3): >= 1,000,000 packets/s for the
// full path (BM_Collector_Full), so that the collector never limits `txray
// record` at one sender's max rate (~130k packets/s on the reference VM).
//
// Run: build-perf/bench/perf/txray_bench_collector [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "collector/assembler.h"
#include "collector/record_convert.h"
#include "core/trace_writer.h"
#include "syscalls.h"
#include "txray.h"

namespace {

using namespace txray;

constexpr std::uint64_t kBase = 1'000'000'000'000ull;

// A UDP/IPv4 datagram over veth as this kernel sees it: syscall, route,
// cgroup egress (ip_output), net_dev_queue, start_xmit, netif_rx, xmit done.
txr_packet make_packet(std::uint64_t i, std::uint64_t send_id, std::uint32_t msg) {
    txr_packet r{};
    r.kind = TXR_REC_PACKET;
    r.end = TXR_END_HANDOFF;
    r.family = 4;
    r.proto = 17;
    r.id = (i << 8) | 1;
    r.skb = 0xffff888012340000ull + (i % 4096) * 256;
    r.send_id = send_id;
    r.msg_index = msg;
    r.cgroup_id = 4242;
    const std::uint64_t t = kBase + i * 7'000;
    r.ts[TXR_ST_SENDMSG] = t;
    r.ts[TXR_ST_UDP_SENDMSG] = 0;
    r.ts[TXR_ST_ROUTE] = t + 400;
    r.ts[TXR_ST_IP_OUTPUT] = t + 1'100;
    r.ts[TXR_ST_DEV_QUEUE_XMIT] = t + 1'600;
    r.ts[TXR_ST_DRIVER_XMIT] = t + 1'900;
    r.ts[TXR_ST_NETIF_RX] = t + 2'300;
    r.ts[TXR_ST_XMIT_DONE] = t + 2'500;
    r.pid = r.tid = 4321;
    r.netns = 4026531840u;
    r.ifindex = 7;
    r.len = 128;
    r.sport = static_cast<std::uint16_t>(40000 + i % 1000);
    r.dport = 9000;
    r.gso_segs = 1;
    const std::uint8_t s[4] = {10, 213, 0, 1}, d[4] = {10, 213, 0, 2};
    std::memcpy(r.saddr, s, 4);
    std::memcpy(r.daddr, d, 4);
    std::strcpy(r.comm, "txray-testsend");
    std::strcpy(r.ifname, "txrp0h");
    return r;
}

txr_send make_send(std::uint64_t i, std::uint64_t send_id, std::uint32_t packets) {
    txr_send s{};
    s.kind = TXR_REC_SEND;
    s.syscall_nr = packets > 1 ? TXR_NR_sendmmsg : TXR_NR_sendto;  // bpf/syscalls.h: this architecture's
    s.send_id = send_id;
    s.enter_ts = kBase + i * 7'000;
    s.exit_ts = s.enter_ts + 3'000;
    s.ret = packets > 1 ? packets : 100;
    s.pid = s.tid = 4321;
    s.packets = packets;
    s.msgs = packets;
    s.fd = 3;
    std::strcpy(s.comm, "txray-testsend");
    return s;
}

std::string reason_name(std::uint32_t r) { return r ? "NOT_SPECIFIED" : ""; }

// Pre-made records: the benchmark loop measures the collector, not the maker.
struct Records {
    std::vector<txr_packet> packets;
    std::vector<txr_send> sends;
    Records(std::size_t n_sends, std::uint32_t per_send) {
        for (std::size_t k = 0; k < n_sends; ++k) {
            const std::uint64_t send_id = ((k + 1) << 8) | 0;
            for (std::uint32_t m = 0; m < per_send; ++m)
                packets.push_back(make_packet(k * per_send + m, send_id, m));
            sends.push_back(make_send(k * per_send, send_id, per_send));
        }
    }
};

constexpr std::size_t kBatchSends = 4096;

void BM_RecordConvert(benchmark::State& state) {
    Records recs(kBatchSends, 1);
    std::uint64_t n = 0;
    for (auto _ : state) {
        for (const auto& r : recs.packets) {
            Packet p = packet_from_record(r, reason_name);
            benchmark::DoNotOptimize(p);
        }
        n += recs.packets.size();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_RecordConvert);

// Records in ring-buffer order: arg 0 = packets per send (1: sendto,
// 8: sendmmsg), arg 1 = 1 when the send record comes first (a qdisc held the
// packets past the syscall's return), 0 when the packets come first (veth).
// kWrite: false = assemble only, true = and the real TraceWriter.
template <bool kWrite>
void run_collector(benchmark::State& state) {
    const auto per_send = static_cast<std::uint32_t>(state.range(0));
    const bool send_first = state.range(1) != 0;
    Records recs(kBatchSends, per_send);
    std::FILE* null = std::fopen("/dev/null", "w");
    TraceWriter writer(null);
    std::uint64_t emitted = 0;
    Assembler asmb(
        [&](Packet&& p) {
            ++emitted;
            if constexpr (kWrite) writer.packet(p);
            else benchmark::DoNotOptimize(p);
        },
        reason_name);
    std::uint64_t now = kBase;
    for (auto _ : state) {
        for (std::size_t k = 0; k < recs.sends.size(); ++k) {
            if (send_first) asmb.on_send(recs.sends[k], now);
            for (std::uint32_t m = 0; m < per_send; ++m) asmb.on_packet(recs.packets[k * per_send + m], now);
            if (!send_first) asmb.on_send(recs.sends[k], now);
        }
        now += 1'000'000;
    }
    writer.flush();
    std::fclose(null);
    if (asmb.held_packets()) state.SkipWithError("packets left held");
    state.SetItemsProcessed(static_cast<std::int64_t>(emitted));
}

void BM_Collector_Assemble(benchmark::State& state) { run_collector<false>(state); }
void BM_Collector_Full(benchmark::State& state) { run_collector<true>(state); }
BENCHMARK(BM_Collector_Assemble)->Args({1, 0})->Args({1, 1})->Args({8, 0});
BENCHMARK(BM_Collector_Full)->Args({1, 0})->Args({1, 1})->Args({8, 0});

// The JSON line alone, for one converted packet with its send return.
void BM_PacketJson(benchmark::State& state) {
    Packet p = packet_from_record(make_packet(1, 256, 0), reason_name);
    p.stages.push_back({Stage::sendmsg_return, kBase + 3'000});
    p.send_ret = 100;
    std::string out;
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        out.clear();
        append_packet_json(out, p);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_PacketJson);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
