// txray-testsend: sends known UDP traffic in one of the ways an application
// can (sendto, sendmsg, sendmmsg, write on a connected socket), or receives
// and counts it. Used by the integration tests and examples/.
//
//   txray-testsend send --to ADDR --port P --way sendto|sendmsg|sendmmsg|write
//                       (or sendto-efault|sendmsg-efault: the address is a bad
//                       pointer, so the call fails with EFAULT before the
//                       socket layer: no packet, no sock_sendmsg)
//                       [--count N] [--size BYTES] [--batch B] [--gap-us U] [--size-step N]
//                       [--seconds S]  (send for S seconds instead of --count;
//                                       prints "sent N failed M seconds T pps R")
//                       [--slice-ms M [--rotate-cpus 1]]  (with --seconds: also the
//                                       rate per slice of M ms, the sender moved to
//                                       its next allowed CPU at each slice; adds
//                                       "slices N cpus C best_cpu_pps B": SliceRates)
//   txray-testsend recv --port P[,P...] --seconds S [--count N]   (prints "port count bytes";
//                                       with --count, stops early once N datagrams arrived)
//   txray-testsend tapread --dev NAME --count N --wait-ms W --seconds S
//       creates tap NAME (IFF_TAP|IFF_NO_PI), prints "ready"; once a frame
//       waits, sleeps W ms, reads N frames (prints "read N"), then holds the
//       tap open, reading nothing more, until S seconds have passed
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "txray-testsend: %s\n", msg.c_str());
    std::exit(2);
}

struct Args {
    std::string mode, to, way = "sendto", ports, dev;
    int port = 0, count = 1, size = 100, batch = 8, gap_us = 0, wait_ms = 0;
    int slice_ms = 0;          // send --seconds: the rate per slice too (SliceRates)
    bool rotate_cpus = false;  // and a CPU per slice, in turn
    int size_step = 0;  // sendto: datagram i has size + i % size_step bytes (each one told apart by its length)
    double seconds = 2;
    bool timed = false;    // send: --seconds given, run for that long
    bool counted = false;  // recv: --count given, stop once that many arrived
};

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) die("usage: txray-testsend send|recv ...");
    a.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--to") a.to = v;
        else if (k == "--port") a.ports = v, a.port = std::atoi(v.c_str());
        else if (k == "--way") a.way = v;
        else if (k == "--count") a.count = std::atoi(v.c_str()), a.counted = true;
        else if (k == "--size") a.size = std::atoi(v.c_str());
        else if (k == "--batch") a.batch = std::atoi(v.c_str());
        else if (k == "--gap-us") a.gap_us = std::atoi(v.c_str());
        else if (k == "--dev") a.dev = v;
        else if (k == "--wait-ms") a.wait_ms = std::atoi(v.c_str());
        else if (k == "--size-step") a.size_step = std::atoi(v.c_str());
        else if (k == "--seconds") a.seconds = std::atof(v.c_str()), a.timed = true;
        else if (k == "--slice-ms") a.slice_ms = std::atoi(v.c_str());
        else if (k == "--rotate-cpus") a.rotate_cpus = std::atoi(v.c_str()) != 0;
        else die("unknown option " + k);
    }
    return a;
}

sockaddr_storage address(const std::string& host, int port, socklen_t& len) {
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof *v6;
    } else {
        die("bad address " + host);
    }
    return ss;
}

// The send's rate per slice of time, and per CPU. bench/overhead.sh's host
// slows its vCPUs by turns: measured with the sender pinned to each in turn,
// untraced, one vCPU at ~0.65x of the other for seconds at a time while the
// other ran at full speed. With the sender moved to the next CPU at each
// slice (--rotate-cpus), the median slice of its faster CPU is its rate
// without the stretch that slowed the other: best_cpu_pps.
class SliceRates {
public:
    using Clock = std::chrono::steady_clock;

    SliceRates(int slice_ms, bool rotate, Clock::time_point t0)
        : slice_(std::chrono::milliseconds(slice_ms)), start_(t0), next_(t0 + slice_) {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) == 0)
            for (int c = 0; c < CPU_SETSIZE; ++c)
                if (CPU_ISSET(c, &set)) allowed_.push_back(c);
        if (rotate && allowed_.size() > 1) move_to(0);
    }

    // At each look at the clock: a slice that is over is counted, and the
    // sender goes on to the next CPU.
    void tick(long sent, Clock::time_point now) {
        if (now < next_) return;
        const double secs = std::chrono::duration<double>(now - start_).count();
        const int cpu = pinned_ >= 0 ? allowed_[pinned_] : sched_getcpu();
        if (secs > 0) by_cpu_[cpu].push_back((sent - sent_at_start_) / secs);
        start_ = now;
        next_ = now + slice_;
        sent_at_start_ = sent;
        if (pinned_ >= 0) move_to((pinned_ + 1) % static_cast<int>(allowed_.size()));
    }

    // The median slice of each CPU with three or more, the fastest of them.
    double best_cpu_pps() const {
        double best = 0;
        for (const auto& entry : by_cpu_) {
            std::vector<double> rates = entry.second;  // a copy to partition
            if (rates.size() < 3) continue;
            std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
            best = std::max(best, rates[rates.size() / 2]);
        }
        return best;
    }
    int slices() const {
        std::size_t n = 0;
        for (const auto& entry : by_cpu_) n += entry.second.size();
        return static_cast<int>(n);
    }
    std::size_t cpus() const { return by_cpu_.size(); }

private:
    void move_to(int index) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(allowed_[index], &one);
        if (sched_setaffinity(0, sizeof one, &one) == 0) pinned_ = index;
    }

    Clock::duration slice_;
    Clock::time_point start_, next_;
    long sent_at_start_ = 0;
    int pinned_ = -1;  // index in allowed_ while rotating
    std::vector<int> allowed_;
    std::map<int, std::vector<double>> by_cpu_;
};

int send_mode(const Args& a) {
    socklen_t len = 0;
    sockaddr_storage dst = address(a.to, a.port, len);
    int fd = socket(dst.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
    std::vector<char> buf(a.size + std::max(a.size_step, 0), 'x');
    if (a.way == "write" && connect(fd, reinterpret_cast<sockaddr*>(&dst), len) != 0)
        die(std::string("connect: ") + std::strerror(errno));
    long sent = 0, failed = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto t_end = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(a.seconds));
    const int count = a.timed ? INT_MAX : a.count;
    std::optional<SliceRates> slices;
    if (a.timed && a.slice_ms > 0) slices.emplace(a.slice_ms, a.rotate_cpus, t0);
    for (int i = 0, iter = 0; i < count; ++iter) {
        if (a.timed && (iter & 255) == 0) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= t_end) break;
            if (slices) slices->tick(sent, now);
        }
        long rc = 0;
        int n = 1;
        if (a.way == "sendto") {
            const std::size_t size = a.size_step > 0 ? a.size + i % a.size_step : a.size;
            rc = sendto(fd, buf.data(), size, 0, reinterpret_cast<sockaddr*>(&dst), len);
        } else if (a.way == "sendmsg") {
            iovec iov{buf.data(), buf.size()};
            msghdr m{};
            m.msg_name = &dst;
            m.msg_namelen = len;
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            rc = sendmsg(fd, &m, 0);
        } else if (a.way == "sendmmsg") {
            n = std::min(a.batch, count - i);
            std::vector<iovec> iov(n, iovec{buf.data(), buf.size()});
            std::vector<mmsghdr> mm(n);
            for (int k = 0; k < n; ++k) {
                mm[k].msg_hdr.msg_name = &dst;
                mm[k].msg_hdr.msg_namelen = len;
                mm[k].msg_hdr.msg_iov = &iov[k];
                mm[k].msg_hdr.msg_iovlen = 1;
            }
            rc = sendmmsg(fd, mm.data(), n, 0);
            if (rc > 0) n = static_cast<int>(rc);
        } else if (a.way == "sendto-efault") {
            rc = sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(1), len);
        } else if (a.way == "sendmsg-efault") {
            iovec iov{buf.data(), buf.size()};
            msghdr m{};
            m.msg_name = reinterpret_cast<void*>(1);
            m.msg_namelen = len;
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            rc = sendmsg(fd, &m, 0);
        } else if (a.way == "write") {
            rc = write(fd, buf.data(), buf.size());
        } else {
            die("unknown --way " + a.way);
        }
        if (rc < 0) ++failed, n = 1;
        else sent += n;
        i += n;
        if (a.gap_us) std::this_thread::sleep_for(std::chrono::microseconds(a.gap_us));
    }
    close(fd);
    if (a.timed) {
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("sent %ld failed %ld seconds %.3f pps %.0f", sent, failed, t, t > 0 ? sent / t : 0.0);
        if (slices)
            std::printf(" slices %d cpus %zu best_cpu_pps %.0f", slices->slices(), slices->cpus(),
                        slices->best_cpu_pps());
        std::printf("\n");
        return 0;
    }
    std::printf("sent %ld failed %ld\n", sent, failed);
    return 0;
}

int recv_mode(const Args& a) {
    std::vector<int> ports;
    for (char* tok = std::strtok(const_cast<char*>(a.ports.c_str()), ","); tok; tok = std::strtok(nullptr, ","))
        ports.push_back(std::atoi(tok));
    std::vector<pollfd> fds;
    for (int p : ports)
        for (int fam : {AF_INET, AF_INET6}) {
            int fd = socket(fam, SOCK_DGRAM, 0);
            int one = 1, big = 8 << 20;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
            if (fam == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            socklen_t len = 0;
            sockaddr_storage ss = address(fam == AF_INET ? "0.0.0.0" : "::", p, len);
            if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) die(std::string("bind: ") + std::strerror(errno));
            fds.push_back({fd, POLLIN, 0});
        }
    std::map<int, std::pair<long, long>> got;  // port -> count, bytes
    std::vector<char> buf(65536);
    std::printf("ready\n");
    std::fflush(stdout);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.seconds);
    long total = 0;
    while (std::chrono::steady_clock::now() < end && !(a.counted && total >= a.count)) {
        if (poll(fds.data(), fds.size(), 50) <= 0) continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            long n = recv(fds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0) continue;
            auto& g = got[ports[i / 2]];
            g.first++, g.second += n;
            ++total;
        }
    }
    for (int p : ports) std::printf("%d %ld %ld\n", p, got[p].first, got[p].second);
    return 0;
}

// A tap's user-space reader: the frames wait on the tap's ring (tun_net_xmit
// -> ptr_ring_produce) until read() takes them (tun_do_read -> tun_put_user,
// which counts tx_packets and frees the skb).
int tapread_mode(const Args& a) {
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) die("cannot open /dev/net/tun");
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", a.dev.c_str());
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF " + a.dev + " failed");
    std::printf("ready\n");
    std::fflush(stdout);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.seconds);
    pollfd pfd{fd, POLLIN, 0};
    while (poll(&pfd, 1, 50) <= 0)
        if (std::chrono::steady_clock::now() > end) die("no frame came");
    std::this_thread::sleep_for(std::chrono::milliseconds(a.wait_ms));
    std::vector<char> frame(65536);
    int got = 0;
    while (got < a.count && std::chrono::steady_clock::now() < end)
        if (poll(&pfd, 1, 50) > 0 && read(fd, frame.data(), frame.size()) > 0) ++got;
    std::printf("read %d\n", got);
    std::fflush(stdout);
    std::this_thread::sleep_until(end);
    close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a = parse(argc, argv);
    if (a.mode == "send") return send_mode(a);
    if (a.mode == "recv") return recv_mode(a);
    if (a.mode == "tapread") return tapread_mode(a);
    die("mode must be send, recv or tapread");
}
