// The floor must cover every hook txray falls back to on a kernel without
// fentry/kprobes: each tracepoint or program hook of the stage table
// (bpf/stage_table.h, through the hook plan) needs a floor program attached to
// the same point. Opens the floor object without loading it (no root).
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "floor.skel.h"
#include "bpfload/hook_plan.h"

using namespace txray;

TEST(Floor, CoversEveryTracepointAndProgramHook) {
    floor_bpf* skel = floor_bpf::open();
    ASSERT_NE(skel, nullptr);
    std::set<std::string> sections;
    bpf_program* p;
    bpf_object__for_each_program(p, skel->obj) sections.insert(bpf_program__section_name(p));
    floor_bpf::destroy(skel);

    for (const StageHooks& sh : stage_hook_table())
        for (const HookCandidate& c : sh.candidates) {
            if (c.kind == HookKind::fentry || c.kind == HookKind::kprobe) continue;
            for (const HookProgram& hp : c.progs) {
                if (hp.instead_as) continue;  // a fentry/kprobe stand-in: not on such a kernel
                std::string sec = c.kind == HookKind::cgroup                    ? "cgroup_skb/egress"
                                  : hp.target.starts_with("cgroup_skb/")        ? hp.target
                                  : hp.target.find('/') != std::string::npos ? "tp/" + hp.target
                                                                             : "tp_btf/" + hp.target;
                EXPECT_TRUE(sections.count(sec)) << stage_name(sh.stage) << ": no floor program on " << sec;
            }
        }
}
