#include "pod_topology.h"

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

namespace txray::test {

std::string quiet_netns_cmd(const std::string& ns) {
    return "ip netns add " + ns + "; ip netns exec " + ns +
           " sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1'; ip -n " + ns +
           " link set lo up; ";
}

ForwardTopology::ForwardTopology(bool with_vxlan) {
    const std::string id = std::to_string(getpid() % 150 + 100);
    tag = std::to_string(getpid());
    pod = "txhops-p-" + tag, router = "txhops-r-" + tag, remote = "txhops-x-" + tag;
    pod_if = "txhp" + id, bridge = "txhb" + id, uplink = "txhu" + id, vxlan = "txhv" + id;
    net = "10." + id;
    const std::string peer = "txhq" + id, down = "txhd" + id;
    std::string s = "set -e; ";
    for (const std::string& ns : {pod, router, remote}) s += quiet_netns_cmd(ns);
    s += "ip link add " + pod_if + " netns " + pod + " type veth peer name " + peer + " netns " + router + "; ";
    s += "ip link add " + uplink + " netns " + router + " type veth peer name " + down + " netns " + remote + "; ";
    s += "ip -n " + router + " link add " + bridge + " type bridge; ip -n " + router + " link set " + peer +
         " master " + bridge + "; ";
    s += "ip -n " + pod + " addr add " + net + ".1.2/24 dev " + pod_if + "; ";
    s += "ip -n " + router + " addr add " + net + ".1.1/24 dev " + bridge + "; ";
    s += "ip -n " + router + " addr add " + net + ".2.1/24 dev " + uplink + "; ";
    s += "ip -n " + remote + " addr add " + net + ".2.2/24 dev " + down + "; ";
    for (const auto& [ns, dev] :
         {std::pair{pod, pod_if}, {router, peer}, {router, bridge}, {router, uplink}, {remote, down}})
        s += "ip -n " + ns + " link set " + dev + " up; ";
    s += "ip -n " + pod + " route add default via " + net + ".1.1; ";
    s += "ip netns exec " + router + " sysctl -qw net.ipv4.ip_forward=1; ";
    s += "echo 'table ip txhops { chain post { type nat hook postrouting priority 100; oifname \"" + uplink +
         "\" masquerade; }; }' | ip netns exec " + router + " nft -f -; ";
    if (with_vxlan) {
        s += "ip -n " + router + " link add " + vxlan + " type vxlan id 42 local " + net + ".2.1 remote " + net +
             ".2.2 dstport 4789 dev " + uplink + "; ";
        s += "ip -n " + remote + " link add txhw" + id + " type vxlan id 42 local " + net + ".2.2 remote " + net +
             ".2.1 dstport 4789 dev " + down + "; ";
        s += "ip -n " + router + " addr add " + net + ".3.1/24 dev " + vxlan + "; ip -n " + router + " link set " +
             vxlan + " up; ";
        s += "ip -n " + remote + " addr add " + net + ".3.2/24 dev txhw" + id + "; ip -n " + remote +
             " link set txhw" + id + " up; ";
    }
    RunResult r = run(s);
    if (r.status != 0) {
        remove();
        throw std::runtime_error("cannot set up the forwarding topology: " + r.out);
    }
    // Resolve the neighbours now, for good (ARP is not what the test counts).
    run("ip netns exec " + pod + " ping -c1 -W2 " + net + ".2.2 >/dev/null 2>&1");
    if (with_vxlan) run("ip netns exec " + pod + " ping -c1 -W2 " + net + ".3.2 >/dev/null 2>&1");
    for (const std::string& ns : {pod, router, remote}) pin_neighbours(ns);
}

void pin_neighbours(const std::string& ns) {
    // "ADDR dev DEV lladdr MAC STATE" -> the same entry, permanent: no
    // reconfirmation probe (ARP) in the middle of a count.
    run("ip -n " + ns + " neigh show | awk '$4 == \"lladdr\" { print \"neigh replace \" $1 \" dev \" $3 \" lladdr \" $5 \" nud permanent\" }' | ip -n " + ns + " -batch -");
}

void ForwardTopology::remove() {
    for (const std::string& ns : {pod, router, remote}) run("ip netns del " + ns + " 2>/dev/null");
}

std::uint64_t ForwardTopology::uplink_tx() const { return tx_packets_in(router, uplink); }

Recorded record_counted(const std::string& name, const std::function<std::uint64_t()>& counter,
                        const std::function<void()>& traffic, const std::vector<std::string>& record_args,
                        const std::string& record_netns) {
    Recorded out;
    const std::string trace = name + ".json", log = name + ".log";
    std::vector<std::string> argv{txray_bin(), "record", "-o", trace};
    if (!record_netns.empty()) argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", record_netns});
    argv.insert(argv.end(), record_args.begin(), record_args.end());
    Child rec(argv, log);
    EXPECT_TRUE(wait_for_header(trace)) << read_file(log);
    const std::uint64_t before = counter();
    traffic();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    out.counted = counter() - before;
    EXPECT_EQ(rec.interrupt_and_wait(), 0) << read_file(log);
    out.trace = load_trace(trace);
    out.log = read_file(log);
    EXPECT_TRUE(out.trace.status.error.empty()) << out.trace.status.summary();
    return out;
}

int count_stage(const Packet& p, Stage s) {
    int n = 0;
    for (const StageMark& m : p.stages) n += m.stage == s;
    return n;
}

bool hops_readable(const Trace& t) {
    return t.header.version_major > 1 || (t.header.version_major == 1 && t.header.version_minor >= 3);
}

bool left_through(const Packet& p, const std::string& dev) {
    for (const Hop& h : p.hops)
        if (h.ifname == dev) return true;
    return false;
}

}  // namespace txray::test
