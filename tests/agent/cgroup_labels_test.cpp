// --by cgroup's labelling: the first K cgroups named keep their label, the
// rest are "other"; a cgroup not yet named is left out until it is; a gone
// one is evicted, its counts kept in "other" unless it had its own label. No
// root, no BPF.
#include "cgroup_labels.h"

#include <gtest/gtest.h>

#include <map>

namespace txray {
namespace {

std::pair<txr_cgroup_key, txr_cgroup_row> entry(std::uint64_t id, std::uint32_t slot, std::uint64_t sent) {
    txr_cgroup_row r{};
    r.packets[0] = sent;
    return {txr_cgroup_key{id, slot, 0}, r};
}

std::map<std::string, std::uint64_t> sent_by_label(const CgroupLabels::Update& u) {
    std::map<std::string, std::uint64_t> m;
    for (const auto& s : u.series) m[s.cgroup] += s.row.packets[0];
    return m;
}

TEST(CgroupLabels, FirstKKeepTheirLabelTheRestAreOtherAndGoneOnesAreEvicted) {
    std::map<std::uint64_t, std::string> tree{{10, "/a"}, {11, "/b"}};
    int rescans = 0;
    CgroupLabels labels(
        1,
        [&](std::uint64_t id) -> std::optional<std::string> {
            auto it = tree.find(id);
            if (it == tree.end()) return std::nullopt;
            return it->second;
        },
        [&] { ++rescans; });
    SummaryMaps m;
    m.cgroup_other.resize(TXR_IF_SLOTS);
    m.cgroup_other[2].packets[0] = 4;  // a full table, or no cgroup
    m.cgroups = {entry(10, 2, 5)};
    auto u = labels.update(m);
    EXPECT_EQ(rescans, 1);
    EXPECT_EQ(sent_by_label(u), (std::map<std::string, std::uint64_t>{{"/a", 5}, {"other", 4}}));

    // b comes second: other. Then a third not in the tree yet is gone (evicted into other).
    m.cgroups = {entry(10, 2, 6), entry(11, 2, 7), entry(12, 3, 1)};
    u = labels.update(m);
    EXPECT_EQ(sent_by_label(u), (std::map<std::string, std::uint64_t>{{"/a", 6}, {"other", 12}}));
    ASSERT_EQ(u.evict.size(), 1u);
    EXPECT_EQ(u.evict[0].cgroup_id, 12u);
    EXPECT_EQ(labels.evictions(), 1u);

    // a goes: its series ends, its label is free, other keeps 12's count.
    tree.erase(10);
    m.cgroups = {entry(10, 2, 6), entry(11, 2, 9)};
    for (unsigned i = 0; i < CgroupLabels::kRescanEvery; ++i) u = labels.update(m);
    EXPECT_EQ(labels.evictions(), 2u);
    m.cgroups = {entry(11, 2, 9)};
    tree[13] = "/c";
    m.cgroups.push_back(entry(13, 1, 2));
    u = labels.update(m);
    EXPECT_EQ(sent_by_label(u), (std::map<std::string, std::uint64_t>{{"/c", 2}, {"other", 4 + 1 + 9}}));
}

}  // namespace
}  // namespace txray
