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
using K = HookKind;
constexpr bool opt = true, req = false;

// fentry and kprobe twins on the same functions.
std::vector<HookCandidate> fentry_kprobe(const char* fe4, const char* kp4, const char* fn4, const char* fe6,
                                         const char* kp6, const char* fn6) {
    std::vector<HookProgram> f{{fe4, fn4, req}}, k{{kp4, fn4, req}};
    if (fe6) f.push_back({fe6, fn6, opt}), k.push_back({kp6, fn6, opt});
    return {{K::fentry, f, nullptr}, {K::kprobe, k, nullptr}};
}

std::vector<HookCandidate> plus(std::vector<HookCandidate> a, HookCandidate b) {
    a.push_back(std::move(b));
    return a;
}
}  // namespace

const std::vector<StageHooks>& stage_hook_table() {
    static const std::vector<StageHooks> table = {
        {Stage::sendmsg,
         {{K::tracepoint,
           {{"txr_enter_sendto", "syscalls/sys_enter_sendto", req},
            {"txr_enter_sendmsg", "syscalls/sys_enter_sendmsg", req},
            {"txr_enter_sendmmsg", "syscalls/sys_enter_sendmmsg", opt},
            {"txr_enter_write", "syscalls/sys_enter_write", opt},
            {"txr_enter_writev", "syscalls/sys_enter_writev", opt},
            // message boundaries within sendmmsg (sock_sendmsg_nosec)
            {"txr_tp_sock_send_length", "sock_send_length", opt},
            // not a stage: marks TCP retransmissions (user space links them)
            {"txr_tp_tcp_retransmit_skb", "tcp_retransmit_skb", opt}},
           nullptr}},
         nullptr},
        {Stage::udp_sendmsg,
         fentry_kprobe("txr_fentry_udp_sendmsg", "txr_kprobe_udp_sendmsg", "udp_sendmsg",
                       "txr_fentry_udpv6_sendmsg", "txr_kprobe_udpv6_sendmsg", "udpv6_sendmsg"),
         "no tracepoint in udp_sendmsg"},
        {Stage::tcp_sendmsg,
         plus(fentry_kprobe("txr_fentry_tcp_sendmsg", "txr_kprobe_tcp_sendmsg", "tcp_sendmsg", nullptr, nullptr,
                            nullptr),
              {K::tracepoint, {{"txr_tp_tcp_sendmsg_locked", "tcp_sendmsg_locked", req}}, nullptr}),
         nullptr},
        {Stage::tcp_transmit_skb,
         fentry_kprobe("txr_fentry_tcp_transmit_skb", "txr_kprobe_tcp_transmit_skb", "__tcp_transmit_skb", nullptr,
                       nullptr, nullptr),
         "no tracepoint in __tcp_transmit_skb"},
        {Stage::route,
         plus(fentry_kprobe("txr_fentry_ip_route_output_flow", "txr_kprobe_ip_route_output_flow",
                            "ip_route_output_flow", "txr_fentry_ip6_dst_lookup_flow",
                            "txr_kprobe_ip6_dst_lookup_flow", "ip6_dst_lookup_flow"),
              {K::tracepoint,
               {{"txr_tp_fib_table_lookup", "fib_table_lookup", req},
                {"txr_tp_fib6_table_lookup", "fib6_table_lookup", opt}},
               "FIB lookup; a connected socket's cached route makes none"}),
         nullptr},
        {Stage::ip_local_out,
         fentry_kprobe("txr_fentry_ip_local_out", "txr_kprobe_ip_local_out", "__ip_local_out",
                       "txr_fentry_ip6_local_out", "txr_kprobe_ip6_local_out", "__ip6_local_out"),
         "no tracepoint before netfilter LOCAL_OUT"},
        {Stage::ip_output,
         plus(fentry_kprobe("txr_fentry_ip_output", "txr_kprobe_ip_output", "ip_output", "txr_fentry_ip6_output",
                            "txr_kprobe_ip6_output", "ip6_output"),
              {K::cgroup, {{"txr_cgroup_egress", "egress", req}}, "in ip_finish_output, after POST_ROUTING"}),
         nullptr},
        {Stage::neigh_output,
         fentry_kprobe("txr_fentry_ip_finish_output2", "txr_kprobe_ip_finish_output2", "ip_finish_output2",
                       "txr_fentry_ip6_finish_output2", "txr_kprobe_ip6_finish_output2", "ip6_finish_output2"),
         "no tracepoint in ip_finish_output2"},
        {Stage::neigh_resolve,
         plus(fentry_kprobe("txr_fentry_neigh_resolve_output", "txr_kprobe_neigh_resolve_output",
                            "neigh_resolve_output", nullptr, nullptr, nullptr),
              {K::tracepoint,
               {{"txr_tp_neigh_event_send_done", "neigh_event_send_done", req}},
               "__neigh_event_send queued it; sending thread only"}),
         nullptr},
        {Stage::dev_queue_xmit,
         plus(fentry_kprobe("txr_fentry_dev_queue_xmit", "txr_kprobe_dev_queue_xmit", "__dev_queue_xmit", nullptr,
                            nullptr, nullptr),
              {K::tracepoint, {{"txr_tp_net_dev_queue", "net_dev_queue", req}}, "after tc egress and txq pick"}),
         nullptr},
        {Stage::qdisc_enqueue,
         {{K::tracepoint, {{"txr_tp_qdisc_enqueue", "qdisc_enqueue", req}}, "only when the qdisc accepted it"}},
         nullptr},
        {Stage::qdisc_dequeue, {{K::tracepoint, {{"txr_tp_qdisc_dequeue", "qdisc_dequeue", req}}, nullptr}}, nullptr},
        {Stage::driver_xmit,
         {{K::tracepoint, {{"txr_tp_net_dev_start_xmit", "net_dev_start_xmit", req}}, nullptr}}, nullptr},
        {Stage::netif_rx, {{K::tracepoint, {{"txr_tp_netif_rx", "netif_rx", req}}, "veth/loopback only"}}, nullptr},
        {Stage::xmit_done, {{K::tracepoint, {{"txr_tp_net_dev_xmit", "net_dev_xmit", req}}, nullptr}}, nullptr},
        {Stage::free, {{K::tracepoint, {{"txr_tp_consume_skb", "consume_skb", req}}, nullptr}}, nullptr},
        {Stage::drop, {{K::tracepoint, {{"txr_tp_kfree_skb", "kfree_skb", req}}, nullptr}}, nullptr},
        {Stage::sendmsg_return,
         {{K::tracepoint,
           {{"txr_exit_sendto", "syscalls/sys_exit_sendto", req},
            {"txr_exit_sendmsg", "syscalls/sys_exit_sendmsg", req},
            {"txr_exit_sendmmsg", "syscalls/sys_exit_sendmmsg", opt},
            {"txr_exit_write", "syscalls/sys_exit_write", opt},
            {"txr_exit_writev", "syscalls/sys_exit_writev", opt}},
           nullptr}},
         nullptr},
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
    switch (kind) {
    case HookKind::fentry: return prober.fentry(target);
    case HookKind::kprobe: return prober.kprobe(target);
    case HookKind::cgroup: return prober.cgroup_egress();
    case HookKind::tracepoint: {
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
            for (const HookProgram& hp : cand.progs) {
                ProbeResult r = probe_one(prober, cand.kind, hp);
                if (r.ok) {
                    progs.push_back(hp.prog);
                    targets.push_back(hp.target);
                } else if (hp.optional) {
                    optional_missing.push_back(r.why);
                } else {
                    why = r.why;
                    break;
                }
            }
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
    static const std::vector<Stage> off = {Stage::sendmsg,          Stage::udp_sendmsg, Stage::tcp_sendmsg,
                                           Stage::tcp_transmit_skb, Stage::route,       Stage::sendmsg_return};
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
