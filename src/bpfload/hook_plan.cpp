#include "hook_plan.h"

#include <algorithm>

namespace txray {

std::string hook_kind_name(HookKind k) {
    switch (k) {
    case HookKind::fentry: return "fentry";
    case HookKind::kprobe: return "kprobe";
    case HookKind::tracepoint: return "tracepoint";
    case HookKind::cgroup: return "cgroup_skb";
    }
    return "?";
}

namespace {

// An optional cgroup_skb/ingress program among a stage's tracepoints (its
// target; probed as a cgroup program, attached to the cgroup2 root).
constexpr const char* kCgroupIngress = "cgroup_skb/ingress";

// One item of a stage's `hooks` column in bpf/stage_table.h.
struct HookItem {
    enum Kind { fk, fk_opt, fk_else, tp, tp_opt, cgroup, note, none } kind;
    const char* a;  // program (stem for fk), or the text of a note/none
    const char* b;  // target
};
#define HOOK_FK(stem, fn) HookItem{HookItem::fk, #stem, #fn}
#define HOOK_FK_OPT(stem, fn) HookItem{HookItem::fk_opt, #stem, #fn}
#define HOOK_FK_ELSE(stem, fn) HookItem{HookItem::fk_else, #stem, #fn}
#define HOOK_TP(prog, target) HookItem{HookItem::tp, #prog, target}
#define HOOK_TP_OPT(prog, target) HookItem{HookItem::tp_opt, #prog, target}
#define HOOK_CGROUP(prog) HookItem{HookItem::cgroup, #prog, "egress"}
#define HOOK_CGROUP_OPT(prog) HookItem{HookItem::tp_opt, #prog, kCgroupIngress}
#define HOOK_NOTE(text) HookItem{HookItem::note, text, nullptr}
#define HOOK_NONE(text) HookItem{HookItem::none, text, nullptr}
#define TXR_UNPAREN(...) __VA_ARGS__

// fentry and kprobe twins on the same functions first, then the tracepoint
// or program hook (its note, if any, says where it really sits).
StageHooks stage_hooks(Stage stage, std::initializer_list<HookItem> items) {
    StageHooks sh{stage, {}, nullptr};
    HookCandidate fentry{HookKind::fentry, {}, nullptr}, kprobe{HookKind::kprobe, {}, nullptr};
    HookCandidate other{HookKind::tracepoint, {}, nullptr};
    for (const HookItem& i : items) {
        const bool opt = i.kind == HookItem::fk_opt || i.kind == HookItem::tp_opt;
        switch (i.kind) {
        case HookItem::fk:
        case HookItem::fk_opt:
            fentry.progs.push_back({std::string("txr_fentry_") + i.a, i.b, opt});
            kprobe.progs.push_back({std::string("txr_kprobe_") + i.a, i.b, opt});
            break;
        case HookItem::fk_else:
            other.progs.push_back({std::string("txr_fentry_") + i.a, i.b, true, HookKind::fentry});
            other.progs.push_back({std::string("txr_kprobe_") + i.a, i.b, true, HookKind::kprobe});
            break;
        case HookItem::cgroup: other.kind = HookKind::cgroup; [[fallthrough]];
        case HookItem::tp:
        case HookItem::tp_opt: other.progs.push_back({i.a, i.b, opt}); break;
        case HookItem::note: other.note = i.a; break;
        case HookItem::none: sh.missing = i.a; break;
        }
    }
    if (!fentry.progs.empty()) sh.candidates.push_back(std::move(fentry)), sh.candidates.push_back(std::move(kprobe));
    if (!other.progs.empty()) sh.candidates.push_back(std::move(other));
    return sh;
}

}  // namespace

const std::vector<StageHooks>& stage_hook_table() {
    static const std::vector<StageHooks> table = {
#define TXR_X_HOOKS(ID, name, layer, creates, lean, colour, hooks, desc) \
    stage_hooks(Stage::name, {TXR_UNPAREN hooks}),
        TXR_STAGE_TABLE(TXR_X_HOOKS)
#undef TXR_X_HOOKS
    };
    return table;
}

const StageChoice* HookPlan::find(Stage s) const {
    for (const auto& c : stages)
        if (c.stage == s) return &c;
    return nullptr;
}

namespace {

ProbeResult probe_one(HookProber& prober, HookKind kind, const HookProgram& p) {
    std::string target = p.target;
    switch (p.instead_as.value_or(kind)) {
    case HookKind::fentry: return prober.fentry(target);
    case HookKind::kprobe: return prober.kprobe(target);
    case HookKind::cgroup: return prober.cgroup_egress();
    case HookKind::tracepoint: {
        if (target == kCgroupIngress) return prober.cgroup_egress();  // the same kfunc
        auto slash = target.find('/');
        if (slash == std::string::npos) return prober.raw_tracepoint(target);
        return prober.tracefs_event(target.substr(0, slash), target.substr(slash + 1));
    }
    }
    return {false, "?"};
}

bool allowed(HookPreference pref, HookKind kind, const StageHooks& sh) {
    auto has = [&](HookKind k) {
        for (const auto& c : sh.candidates)
            if (c.kind == k) return true;
        return false;
    };
    switch (pref) {
    case HookPreference::automatic: return true;
    case HookPreference::fentry: return kind == HookKind::fentry || !has(HookKind::fentry);
    case HookPreference::kprobe: return kind == HookKind::kprobe || !has(HookKind::kprobe);
    case HookPreference::tracepoint: return kind == HookKind::tracepoint || kind == HookKind::cgroup;
    }
    return true;
}

// May a stand-in of this kind (HOOK_FK_ELSE) be tried under --hooks?
bool stand_in_allowed(HookPreference pref, HookKind kind) {
    switch (pref) {
    case HookPreference::automatic: return true;
    case HookPreference::fentry: return kind == HookKind::fentry;
    case HookPreference::kprobe: return kind == HookKind::kprobe;
    case HookPreference::tracepoint: return false;
    }
    return true;
}

}  // namespace

HookPlan choose_hooks(HookProber& prober, HookPreference pref) {
    HookPlan plan;
    for (const StageHooks& sh : stage_hook_table()) {
        StageChoice choice;
        choice.stage = sh.stage;
        if (sh.candidates.empty()) choice.rejected.push_back(sh.missing);
        for (const HookCandidate& cand : sh.candidates) {
            if (choice.available) break;
            if (!allowed(pref, cand.kind, sh)) {
                choice.rejected.push_back(hook_kind_name(cand.kind) + ": not tried (--hooks)");
                continue;
            }
            std::vector<std::string> progs, targets, optional_missing;
            std::string why;
            // A program and its stand-ins: the first that probes well is
            // taken; their misses count only when none is.
            std::vector<std::string> chain_missing;
            bool chain_taken = false;
            auto close_chain = [&] {
                if (!chain_taken) optional_missing.insert(optional_missing.end(), chain_missing.begin(), chain_missing.end());
                chain_missing.clear();
            };
            for (const HookProgram& hp : cand.progs) {
                if (hp.instead_as) {
                    if (chain_taken) continue;
                    if (!stand_in_allowed(pref, *hp.instead_as)) {
                        chain_missing.push_back(hook_kind_name(*hp.instead_as) + ": not tried (--hooks)");
                        continue;
                    }
                } else {
                    close_chain();
                    chain_taken = false;
                }
                ProbeResult r = probe_one(prober, cand.kind, hp);
                if (r.ok) {
                    progs.push_back(hp.prog);
                    targets.push_back(hp.instead_as ? hook_kind_name(*hp.instead_as) + ":" + hp.target : hp.target);
                    chain_taken = true;
                } else if (hp.optional) {
                    chain_missing.push_back(r.why);
                } else {
                    why = r.why;
                    break;
                }
            }
            close_chain();
            if (!why.empty()) {
                choice.rejected.push_back(why);
                continue;
            }
            choice.available = true;
            choice.kind = cand.kind;
            choice.programs = progs;
            std::string hook = hook_kind_name(cand.kind) + ":";
            if (cand.kind == HookKind::cgroup) hook = "cgroup_skb/egress";
            else
                for (std::size_t i = 0; i < targets.size(); ++i) hook += (i ? "+" : "") + targets[i];
            if (cand.note) hook += std::string(" (") + cand.note + ")";
            choice.hook = hook;
            for (auto& m : optional_missing) choice.rejected.push_back("partial: " + m);
        }
        if (!choice.available && !sh.candidates.empty() && sh.missing) choice.rejected.push_back(sh.missing);
        plan.stages.push_back(std::move(choice));
    }
    return plan;
}

const std::vector<Stage>& lean_summary_off_stages() {
    static const std::vector<Stage> off = [] {
        std::vector<Stage> v;
        for (const StageInfo& s : kStageTable)
            if (!s.lean) v.push_back(s.stage);
        return v;
    }();
    return off;
}

void switch_off(HookPlan& plan, const std::vector<Stage>& stages, const std::string& why) {
    for (auto& c : plan.stages) {
        if (std::find(stages.begin(), stages.end(), c.stage) == stages.end() || !c.available) continue;
        c.available = false;
        c.programs.clear();
        c.rejected.push_back(c.hook + ": " + why);
        c.hook.clear();
    }
}

}  // namespace txray
