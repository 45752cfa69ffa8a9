// Which hook each stage uses: fentry where it loads, else kprobe, else the
// nearest tracepoint or program hook. Decided at start-up, reported by
// `txray doctor` and in the trace header.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "hook_probe.h"
#include "core/stage.h"

namespace txray {

enum class HookKind { fentry, kprobe, tracepoint, cgroup };
std::string hook_kind_name(HookKind k);

// --hooks: automatic, or force one kind for the stages that have it.
enum class HookPreference { automatic, fentry, kprobe, tracepoint };

struct HookProgram {
    std::string prog;    // BPF program name (bpf/hooks/*.bpf.h)
    std::string target;  // function, raw tracepoint, or "category/event"
    bool optional;       // e.g. the IPv6 twin: its absence does not reject the hook
    // A stand-in among a tracepoint candidate's optional programs: tried only
    // when the program before it is missing, probed and named as this kind.
    std::optional<HookKind> instead_as{};
};

struct HookCandidate {
    HookKind kind;
    std::vector<HookProgram> progs;
    const char* note;  // where it really sits, when that differs from the stage
};

struct StageHooks {
    Stage stage;
    std::vector<HookCandidate> candidates;  // best first
    const char* missing;                    // why there is no fallback hook, or nullptr
};

// The candidate hooks of every stage, from the stage table (bpf/stage_table.h).
const std::vector<StageHooks>& stage_hook_table();

struct StageChoice {
    Stage stage{};
    bool available = false;
    HookKind kind = HookKind::tracepoint;
    std::string hook;                   // "fentry:udp_sendmsg+udpv6_sendmsg"
    std::vector<std::string> rejected;  // "fentry: EPERM on load", ...
    std::vector<std::string> programs;  // BPF programs to load for it
};

struct HookPlan {
    std::vector<StageChoice> stages;
    const StageChoice* find(Stage s) const;
};

HookPlan choose_hooks(HookProber& prober, HookPreference pref);

// The stages the lean summary leaves out (the stage table's `lean` column):
// they need the sending thread's syscall context (sendmsg, sendmsg_return,
// udp/tcp_sendmsg, route...). (neigh_resolve stays: the lean mode finds the
// queued packet in the thread's slot, bpf/lib/thread_slot.bpf.h.)
const std::vector<Stage>& lean_summary_off_stages();
// Marks `stages` unavailable with `why`, so nothing is loaded for them.
void switch_off(HookPlan& plan, const std::vector<Stage>& stages, const std::string& why);

}  // namespace txray
