// Shared by the hops tests (issue 19): a pod namespace behind a bridge in a
// router namespace that forwards and masquerades to an uplink veth into a
// remote namespace, and the questions those tests ask of a record's hops.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"

namespace txray::test {

// pod (P) --veth--> bridge in router (R) --forward, masquerade--> uplink veth
// --> remote (X). Addresses 10.<n>.1.0/24 (pod side), 10.<n>.2.0/24 (uplink),
// 10.<n>.3.0/24 (the VXLAN overlay, when asked). IPv6 off: no stray
// autoconfiguration traffic in the counts. Removed on destruction.
struct ForwardTopology {
    std::string tag, pod, router, remote;
    std::string pod_if, bridge, uplink, vxlan;
    std::string net;  // "10.<n>"

    explicit ForwardTopology(bool with_vxlan);
    ~ForwardTopology() { remove(); }
    ForwardTopology(const ForwardTopology&) = delete;
    ForwardTopology& operator=(const ForwardTopology&) = delete;
    void remove();
    std::uint64_t uplink_tx() const;
};

// A fresh namespace with IPv6 off (no autoconfiguration traffic in the
// counts) and lo up: the shell commands that make it.
std::string quiet_netns_cmd(const std::string& ns);

struct Recorded {
    Trace trace;
    std::uint64_t counted = 0;  // the device counter's delta around the traffic
    std::string log;
};
// `txray record` (trace `name`.json, log `name`.log; `name` unique per test:
// an earlier test's trace would pass for the header) around `traffic`, with
// `counter` (a device's tx_packets) read before it and 500 ms after it.
// `record_args` are added to the recorder's arguments; it runs in namespace
// `record_netns` if given (--iface names a device there).
Recorded record_counted(const std::string& name, const std::function<std::uint64_t()>& counter,
                        const std::function<void()>& traffic, const std::vector<std::string>& record_args = {},
                        const std::string& record_netns = "");

// Makes namespace `ns`'s resolved neighbour entries permanent.
void pin_neighbours(const std::string& ns);

int count_stage(const Packet& p, Stage s);
// The recorder writes 1.3 (hops) since both halves of issue 19 landed.
bool hops_readable(const Trace& t);
// Whether a record left through device `dev` (on any hop).
bool left_through(const Packet& p, const std::string& dev);

}  // namespace txray::test
