// The agent's exposition: cumulative buckets from the kernel's log2 rows,
// interface slots merged by name, label escaping. No root, no BPF.
#include "agent/metrics_text.h"

#include <gtest/gtest.h>

#include <cstring>

namespace txray {
namespace {

AgentSnapshot snapshot() {
    AgentSnapshot s;
    s.maps.hist.resize(TXR_IF_SLOTS * TXR_HIST_ROWS);
    s.maps.ifaces.resize(TXR_IF_SLOTS);
    s.maps.outcomes.resize(TXR_OUTCOME_SLOTS);
    s.maps.drops.resize(TXR_DROP_SLOTS);
    s.maps.errnos.resize(TXR_ERRNOS);
    s.version = "1.2";
    s.kernel = "6.18";
    s.hooks = {{"dev_queue_xmit", "tracepoint:net_dev_queue"}, {"qdisc_dequeue", "tracepoint:qdisc_dequeue"}};
    s.reason_name = [](std::uint32_t r) { return r == 5 ? std::string("QDISC_DROP") : std::string(); };
    for (int slot : {1, 2}) {  // two CPUs claimed a slot each for eth0
        s.maps.ifaces[slot].key = 100 + slot;
        std::strcpy(s.maps.ifaces[slot].name, "eth0");
    }
    return s;
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(MetricsText, BucketsAreCumulativeAndSlotsOfOneNameAddUp) {
    AgentSnapshot s = snapshot();
    const std::size_t row = static_cast<std::size_t>(Stage::qdisc_dequeue);
    s.maps.hist[1 * TXR_HIST_ROWS + row].buckets[9] = 3;   // [512, 1024) ns
    s.maps.hist[2 * TXR_HIST_ROWS + row].buckets[20] = 2;  // [~1.05, ~2.1) ms
    s.maps.hist[1 * TXR_HIST_ROWS + row].sum_ns = 2000;
    s.maps.hist[2 * TXR_HIST_ROWS + row].sum_ns = 3'000'000;
    s.maps.outcomes[1 * 2] = 4;
    s.maps.outcomes[2 * 2] = 1;
    s.maps.outcomes[2 * 2 + 1] = 2;
    const std::string t = render_metrics(s);
    const std::string l = "txray_stage_latency_seconds_bucket{stage=\"qdisc_dequeue\",ifname=\"eth0\",";
    EXPECT_TRUE(has(t, l + "le=\"5.12e-07\"} 0")) << t;
    EXPECT_TRUE(has(t, l + "le=\"1.024e-06\"} 3")) << t;
    EXPECT_TRUE(has(t, l + "le=\"0.001048576\"} 3")) << t;
    EXPECT_TRUE(has(t, l + "le=\"0.002097152\"} 5")) << t;
    EXPECT_TRUE(has(t, l + "le=\"+Inf\"} 5")) << t;
    EXPECT_TRUE(has(t, "txray_stage_latency_seconds_count{stage=\"qdisc_dequeue\",ifname=\"eth0\"} 5")) << t;
    EXPECT_TRUE(has(t, "txray_stage_latency_seconds_sum{stage=\"qdisc_dequeue\",ifname=\"eth0\"} 0.003002")) << t;
    EXPECT_TRUE(has(t, "txray_packets_total{ifname=\"eth0\",outcome=\"sent\"} 5")) << t;
    EXPECT_TRUE(has(t, "txray_packets_total{ifname=\"eth0\",outcome=\"dropped\"} 2")) << t;
    // An attached stage with no count yet is exported at 0 (rate() needs it).
    EXPECT_TRUE(has(t, "txray_stage_latency_seconds_count{stage=\"dev_queue_xmit\",ifname=\"eth0\"} 0")) << t;
    EXPECT_TRUE(has(t, "txray_build_info{version=\"1.2\",kernel=\"6.18\"} 1")) << t;
}

TEST(MetricsText, DropsErrnosAndUnnamedSlots) {
    AgentSnapshot s = snapshot();
    s.maps.ifaces[3].key = 7;  // claimed, not yet named: left out of this reading
    s.maps.outcomes[3 * 2] = 9;
    s.maps.drops[static_cast<std::size_t>(Stage::dev_queue_xmit) * TXR_DROP_REASONS + 5] = 11;
    s.maps.drops[static_cast<std::size_t>(Stage::drop) * TXR_DROP_REASONS + 77] = 1;
    s.maps.errnos[90] = 2;  // EMSGSIZE
    const std::string t = render_metrics(s);
    EXPECT_TRUE(has(t, "txray_drops_total{stage=\"dev_queue_xmit\",reason=\"QDISC_DROP\"} 11")) << t;
    EXPECT_TRUE(has(t, "txray_drops_total{stage=\"drop\",reason=\"77\"} 1")) << t;
    EXPECT_TRUE(has(t, "txray_send_errors_total{errno=\"EMSGSIZE\"} 2")) << t;
    EXPECT_EQ(t.find(" 9\n"), std::string::npos) << t;
    EXPECT_TRUE(has(t, "txray_packets_total{ifname=\"other\",outcome=\"sent\"} 0")) << t;
}

TEST(MetricsText, LabelValuesAreEscaped) {
    EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace txray
