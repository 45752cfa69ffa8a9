// The in-flight hash's count (bpf/lib/counted_hash.bpf.h): the programs skip
// their hash lookup while it is 0, so a count below the hash's entries would
// lose packets and one above them would only cost lookups. Read from the
// running recorder's maps with bpftool, against tc's own queue length.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "harness.h"

using namespace txray;
using namespace txray::test;

namespace {

// A loaded map of this name (bpftool truncates names to 15 characters).
long map_id_named(const std::string& name) {
    RunResult r = run("bpftool map show -j");
    if (r.status != 0) return -1;
    for (const auto& m : nlohmann::json::parse(r.out, nullptr, false))
        if (m.value("name", "") == name) return m.value("id", -1L);
    return -1;
}

// Entries of map `id` (a dump of the hash), -1 when unreadable.
long map_entries(long id) {
    RunResult r = run("bpftool map dump id " + std::to_string(id) + " -j");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return r.status == 0 && j.is_array() ? static_cast<long>(j.size()) : -1;
}

// The global `var` of the .bss map `id`, -1 when not found.
long bss_value(long id, const std::string& var) {
    RunResult r = run("bpftool map dump id " + std::to_string(id) + " -j");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array() || j.empty() || !j[0].contains("formatted")) return -1;
    for (const auto& section : j[0]["formatted"]["value"][".bss"])
        if (section.contains(var)) return section[var].get<long>();
    return -1;
}

class CountedHash : public NetnsTest {
protected:
    CountedHash() : NetnsTest("ch") {}
};

}  // namespace

// Datagrams held by a slow tbf are in txr_inflight (spilled at enqueue),
// counted; a qdisc deleted with them inside drops them (qdisc_reset ->
// kfree_skb), and the count comes back down with the entries.
TEST_F(CountedHash, CountIsTheEntriesWhileQueuedAndAfterTheirDrop) {
    // Only the test's datagrams in tbf's queue, whose length is compared with
    // their drops below: a freshly up veth sends IPv6 router solicitations and
    // MLD reports for several seconds (addrconf_rs_timer, mld_ifc_work), and
    // at 8 kbit they wait in the queue too (a CI run counted 11 queued, 9 of
    // them the test's). This test's traffic is IPv4.
    ASSERT_EQ(run("sysctl -qw net.ipv6.conf." + net->host_if + ".disable_ipv6=1").status, 0);
    ASSERT_EQ(run("tc qdisc add dev " + net->host_if + " root tbf rate 8kbit burst 1600 limit 100kb").status, 0);
    const std::string dir = scratch_dir(), trace = dir + "/counted.json";
    Child rec({txray_bin(), "record", "-o", trace, "--iface", net->host_if, "--proto", "udp"}, dir + "/counted.log");
    ASSERT_TRUE(wait_for_header(trace)) << read_file(dir + "/counted.log");
    const long bss = map_id_named("txray_bp.bss"), inflight = map_id_named("txr_inflight");
    ASSERT_GT(bss, 0);
    ASSERT_GT(inflight, 0);
    ASSERT_EQ(run(testsend_bin() + " send --to " + net->v4_peer + " --port 9300 --way sendto --count 10 --size 1000")
                  .status,
              0);

    // Read while nothing moves (the next dequeue is a second away): the
    // count, the hash, the count again; equal twice in a row.
    long count = -1, entries = -2, queued = -1;
    for (int i = 0; i < 5 && count != entries; ++i) {
        count = bss_value(bss, "txr_inflight_entries");
        entries = map_entries(inflight);
        queued = qdisc_stats(net->host_if).backlog_packets;
        if (bss_value(bss, "txr_inflight_entries") != count) count = -1;
    }
    EXPECT_EQ(count, entries) << "the count is the hash's entries";
    EXPECT_GE(queued, 5) << "tbf at 8 kbit holds most of the 10 datagrams";
    EXPECT_GE(entries, queued) << "every datagram tbf holds is in the hash";

    ASSERT_EQ(run("tc qdisc del dev " + net->host_if + " root").status, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const long entries_before = entries;
    count = bss_value(bss, "txr_inflight_entries");
    entries = map_entries(inflight);
    EXPECT_EQ(count, entries) << "dropped from the qdisc: deleted and uncounted alike";
    EXPECT_EQ(entries, entries_before - queued) << "the queued datagrams left the hash";
    ASSERT_EQ(rec.interrupt_and_wait(), 0) << read_file(dir + "/counted.log");

    Trace t = load_trace(trace);
    long dropped = 0;
    for (const auto& p : t.packets) dropped += p.flow.dport == 9300 && p.outcome == OutcomeKind::dropped;
    EXPECT_EQ(dropped, queued) << "the datagrams the deleted qdisc held end as drops";
}
