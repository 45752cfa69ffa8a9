// The cross-device fixtures (issue 19): see hops_fixture.h.
#include "hops_fixture.h"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace txray::test {

Tally tally(const Trace& t, int port, const std::string& uplink) {
    Tally n;
    for (const Packet& p : t.packets) {
        const bool udp = p.flow.proto == 17;
        const bool ours = udp && p.flow.dport == port && p.comm == "txray-testsend";
        n.orphans += !ours && udp && (p.flow.dport == port || p.flow.dport == 4789);
        n.via_uplink += left_through(p, uplink);
        if (ours) n.ours.push_back(&p);
    }
    return n;
}

std::unique_ptr<Child> start_remote_receiver(const ForwardTopology& topo, int port, int seconds,
                                             const std::string& log) {
    auto recv = std::make_unique<Child>(std::vector<std::string>{"/usr/sbin/ip", "netns", "exec", topo.remote,
                                                                 testsend_bin(), "recv", "--port", std::to_string(port),
                                                                 "--seconds", std::to_string(seconds)},
                                        log);
    for (int i = 0; i < 100 && read_file(log).find("ready") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return recv;
}

Recorded record_pod_datagrams(const ForwardTopology& topo, const std::string& to, int port, int count,
                              const std::vector<std::string>& record_args, const std::string& record_netns) {
    // Per port: a trace of an earlier test in this process would pass for the header.
    const std::string name = scratch_dir() + "/hops-" + std::to_string(port);
    std::unique_ptr<Child> recv;
    Recorded out = record_counted(
        name, [&] { return topo.uplink_tx(); },
        [&] {
            // The receiver's seconds start once the recorder is attached
            // (loading an expression's programs may take seconds).
            recv = start_remote_receiver(topo, port, 6, name + "-recv.log");
            RunResult s = run("ip netns exec " + topo.pod + " " + testsend_bin() + " send --to " + to +
                              " --port " + std::to_string(port) + " --way sendto --count " + std::to_string(count) +
                              " --size 100");
            EXPECT_EQ(s.status, 0) << s.out;
        },
        record_args, record_netns);
    recv->wait(15);
    const std::string got = read_file(name + "-recv.log");
    EXPECT_NE(got.find(std::to_string(port) + " " + std::to_string(count) + " "), std::string::npos)
        << "the remote namespace received every datagram: " << got;
    return out;
}

}  // namespace txray::test
