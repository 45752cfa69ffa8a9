// The stage table (bpf/stage_table.h) is the one declaration of the stages;
// the docs' stage tables must say the same. On a mismatch the test prints the
// rows the docs need.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/stage.h"

using namespace txray;

namespace {

std::string read_doc(const std::string& rel) {
    std::ifstream f(std::string(TXRAY_SOURCE_DIR) + "/" + rel);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// docs/trace-format.md: | stage | layer | kernel point |
std::string trace_format_rows() {
    std::string out;
    for (const StageInfo& s : kStageTable)
        out += "| `" + std::string(s.name) + "` | " + std::string(layer_name(s.layer)) + " | " +
               std::string(s.description) + " |\n";
    return out;
}

}  // namespace

TEST(StageTable, IdsAreKernelOrderPositions) {
    for (std::size_t i = 0; i < kStageCount; ++i) EXPECT_EQ(index(kStageTable[i].stage), i);
    EXPECT_EQ(stage_from_name("qdisc_enqueue"), Stage::qdisc_enqueue);
    EXPECT_EQ(stage_name(Stage::sendmsg_return), "sendmsg_return");
    EXPECT_FALSE(stage_from_name("nope"));
}

TEST(StageTable, CreatingAndLeanStagesAsTheKernelUsesThem) {
    // The stages that see a packet first; the BPF side reads the same column
    // (TXR_CREATING_STAGES).
    std::vector<std::string_view> creates;
    for (const StageInfo& s : kStageTable)
        if (s.creates) creates.push_back(s.name);
    EXPECT_EQ(creates, (std::vector<std::string_view>{"ip_local_out", "ip_output", "neigh_output", "dev_queue_xmit"}));
    for (const StageInfo& s : kStageTable) {
        EXPECT_EQ((TXR_CREATING_STAGES >> index(s.stage)) & 1u, s.creates ? 1u : 0u) << s.name;
        EXPECT_EQ((TXR_LEAN_STAGES >> index(s.stage)) & 1u, s.lean ? 1u : 0u) << s.name;
        // The lean summary has no syscall context: a stage that needs it is off.
        if (s.layer == Layer::syscall || s.layer == Layer::socket || s.layer == Layer::route) {
            EXPECT_FALSE(s.lean) << s.name;
        }
        EXPECT_FALSE(s.description.empty()) << s.name;
    }
}

TEST(StageTable, TraceFormatDocListsEveryStage) {
    const std::string doc = read_doc("docs/trace-format.md");
    ASSERT_FALSE(doc.empty()) << "docs/trace-format.md";
    const std::string block = "| stage | layer | kernel point |\n| --- | --- | --- |\n" + trace_format_rows();
    EXPECT_NE(doc.find(block), std::string::npos) << "docs/trace-format.md's stage table should read:\n" << block;
}

// README's "Stages" table names the stages in kernel order in its first
// column (two per row where they share a line: `qdisc_enqueue` / `qdisc_dequeue`).
TEST(StageTable, ReadmeStageTableInKernelOrder) {
    const std::string doc = read_doc("README.md");
    const auto start = doc.find("| stage | kernel point |");
    ASSERT_NE(start, std::string::npos) << "README.md: no stage table";
    const auto end = doc.find("\n\n", start);
    std::istringstream rows(doc.substr(start, end - start));
    std::vector<std::string> names;
    std::string line;
    const std::regex name_re("`([a-z0-9_]+)`");
    while (std::getline(rows, line)) {
        if (line.rfind("| `", 0) != 0) continue;
        const std::string first = line.substr(1, line.find('|', 1) - 1);
        for (std::sregex_iterator it(first.begin(), first.end(), name_re), e; it != e; ++it)
            names.push_back((*it)[1]);
    }
    std::vector<std::string> expected;
    for (const StageInfo& s : kStageTable) expected.emplace_back(s.name);
    EXPECT_EQ(names, expected);
}
