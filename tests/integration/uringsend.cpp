// txray-uringsend: sends through io_uring (liburing) for the integration
// tests, and the receivers that count what arrived.
//   txray-uringsend udp ADDR PORT N       N datagrams with IORING_OP_SEND, then
//                                         N with IORING_OP_SENDMSG, in batches
//                                         of several SQEs per io_uring_enter
//   txray-uringsend udp-async ADDR PORT N the same with IOSQE_ASYNC: an io-wq
//                                         worker issues each request
//   txray-uringsend udp-fixed ADDR PORT N the same on a registered file
//                                         (IOSQE_FIXED_FILE)
//   txray-uringsend udp-fixed-async ADDR PORT N  both: an io-wq worker looks
//                                         the registered file up
//   txray-uringsend udp-write ADDR PORT N N datagrams with IORING_OP_WRITE,
//                                         then N with IORING_OP_WRITEV
//   txray-uringsend tcp ADDR PORT BYTES   a stream of BYTES with IORING_OP_SEND
//                                         (64 KiB requests, one in flight)
//   txray-uringsend tcp-wait ADDR PORT BYTES   the same with MSG_WAITALL, 256 KiB
//                                         requests and an 8 KiB SO_SNDBUF: a
//                                         request waits (poll armed) for the
//                                         peer's reads and is issued again
//   txray-uringsend sink-udp ADDR PORT N SECONDS   counts datagrams (prints it)
//   txray-uringsend sink-tcp ADDR PORT [DELAY_MS]  reads one connection to its
//                                         end (prints the bytes); DELAY_MS: a
//                                         small SO_RCVBUF, and reading starts
//                                         that late
// Exit 0 when every request completed with its full length.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr unsigned kBatch = 8;          // SQEs per io_uring_enter (UDP)
constexpr std::size_t kDatagram = 200;  // bytes per datagram
constexpr std::size_t kChunk = 64 * 1024;

sockaddr_in address(const char* ip, const char* port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        std::fprintf(stderr, "bad address %s\n", ip);
        std::exit(2);
    }
    return a;
}

int fail(const char* what, int err) {
    std::fprintf(stderr, "%s: %s\n", what, std::strerror(err));
    return 1;
}

// Reaps `n` completions; every result must be `want` bytes.
bool reap(io_uring& ring, unsigned n, int want) {
    for (unsigned i = 0; i < n; ++i) {
        io_uring_cqe* cqe = nullptr;
        if (int r = io_uring_wait_cqe(&ring, &cqe); r < 0) return fail("io_uring_wait_cqe", -r), false;
        const int res = cqe->res;
        const unsigned long long id = cqe->user_data;
        io_uring_cqe_seen(&ring, cqe);
        if (res != want) {
            std::fprintf(stderr, "request %llu: %d, not %d\n", id, res, want);
            return false;
        }
    }
    return true;
}

// How the UDP requests reach the socket.
enum class UdpMode { inline_issue, async, fixed_file, fixed_async, write };

int send_udp(const sockaddr_in& to, long n, UdpMode mode) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to)) return fail("udp socket", errno);
    io_uring ring;
    if (int r = io_uring_queue_init(2 * kBatch, &ring, 0); r < 0) return fail("io_uring_queue_init", -r);
    const bool fixed = mode == UdpMode::fixed_file || mode == UdpMode::fixed_async;
    if (fixed)
        if (int r = io_uring_register_files(&ring, &fd, 1); r < 0) return fail("io_uring_register_files", -r);
    const int target = fixed ? 0 : fd;  // index 0 of the ring's table
    const unsigned char flags = (fixed ? IOSQE_FIXED_FILE : 0) |
                                (mode == UdpMode::async || mode == UdpMode::fixed_async ? IOSQE_ASYNC : 0);
    std::vector<char> payload(kDatagram, 'u');
    iovec iov{payload.data(), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    long sent = 0;
    for (int second_op = 0; second_op < 2; ++second_op) {  // SENDMSG / WRITEV
        for (long done = 0; done < n;) {
            const unsigned batch = static_cast<unsigned>(std::min<long>(kBatch, n - done));
            for (unsigned i = 0; i < batch; ++i) {
                io_uring_sqe* sqe = io_uring_get_sqe(&ring);
                if (mode == UdpMode::write && second_op)
                    io_uring_prep_writev(sqe, target, &iov, 1, 0);
                else if (mode == UdpMode::write)
                    io_uring_prep_write(sqe, target, payload.data(), static_cast<unsigned>(payload.size()), 0);
                else if (second_op)
                    io_uring_prep_sendmsg(sqe, target, &msg, 0);
                else
                    io_uring_prep_send(sqe, target, payload.data(), payload.size(), 0);
                sqe->flags |= flags;
                sqe->user_data = static_cast<std::uint64_t>(sent + i);
            }
            if (int r = io_uring_submit(&ring); r != static_cast<int>(batch)) return fail("io_uring_submit", -r);
            if (!reap(ring, batch, static_cast<int>(kDatagram))) return 1;
            done += batch;
            sent += batch;
        }
    }
    io_uring_queue_exit(&ring);
    close(fd);
    std::printf("%ld\n", sent);
    return 0;
}

// wait_all: MSG_WAITALL requests of 4 chunks on an 8 KiB send buffer, each
// issued again after poll wake-ups until all its bytes are queued (io_send).
int send_tcp(const sockaddr_in& to, long bytes, bool wait_all) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;  // the kernel doubles it
    if (wait_all) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to)) return fail("tcp connect", errno);
    io_uring ring;
    if (int r = io_uring_queue_init(4, &ring, 0); r < 0) return fail("io_uring_queue_init", -r);
    const std::size_t chunk = wait_all ? 4 * kChunk : kChunk;
    std::vector<char> payload(chunk, 't');
    std::uint64_t id = 0;
    for (long left = bytes; left > 0;) {
        const std::size_t len = std::min<std::size_t>(chunk, static_cast<std::size_t>(left));
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        io_uring_prep_send(sqe, fd, payload.data(), len, wait_all ? MSG_WAITALL : 0);
        sqe->user_data = id++;
        io_uring_cqe* cqe = nullptr;
        if (int r = io_uring_submit_and_wait(&ring, 1); r < 0) return fail("io_uring_submit_and_wait", -r);
        if (int r = io_uring_wait_cqe(&ring, &cqe); r < 0) return fail("io_uring_wait_cqe", -r);
        const int res = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        if (res <= 0) return fail("IORING_OP_SEND", -res);
        left -= res;  // a short send (MSG_DONTWAIT in the kernel): the rest next
    }
    io_uring_queue_exit(&ring);
    shutdown(fd, SHUT_WR);
    char c;
    while (read(fd, &c, 1) > 0) {
    }
    close(fd);
    std::printf("%ld\n", bytes);
    return 0;
}

int sink_udp(const sockaddr_in& at, long want, int seconds) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at)) return fail("udp bind", errno);
    std::printf("ready\n");
    std::fflush(stdout);
    long got = 0;
    char buf[2048];
    pollfd p{fd, POLLIN, 0};
    while (got < want && poll(&p, 1, seconds * 1000) > 0)
        if (recv(fd, buf, sizeof buf, 0) > 0) ++got;
    std::printf("%ld\n", got);
    return 0;
}

int sink_tcp(const sockaddr_in& at, int delay_ms) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int small = 16384;  // inherited by the accepted socket
    if (delay_ms > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) || listen(fd, 1))
        return fail("tcp listen", errno);
    std::printf("ready\n");
    std::fflush(stdout);
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return fail("accept", errno);
    if (delay_ms > 0) usleep(static_cast<useconds_t>(delay_ms) * 1000);
    long got = 0;
    std::vector<char> buf(1 << 16);
    for (ssize_t n; (n = read(c, buf.data(), buf.size())) > 0;) got += n;
    close(c);
    close(fd);
    std::printf("%ld\n", got);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "udp" && argc == 5) return send_udp(address(argv[2], argv[3]), std::atol(argv[4]), UdpMode::inline_issue);
    if (mode == "udp-async" && argc == 5) return send_udp(address(argv[2], argv[3]), std::atol(argv[4]), UdpMode::async);
    if (mode == "udp-fixed" && argc == 5)
        return send_udp(address(argv[2], argv[3]), std::atol(argv[4]), UdpMode::fixed_file);
    if (mode == "udp-fixed-async" && argc == 5)
        return send_udp(address(argv[2], argv[3]), std::atol(argv[4]), UdpMode::fixed_async);
    if (mode == "udp-write" && argc == 5) return send_udp(address(argv[2], argv[3]), std::atol(argv[4]), UdpMode::write);
    if ((mode == "tcp" || mode == "tcp-wait") && argc == 5)
        return send_tcp(address(argv[2], argv[3]), std::atol(argv[4]), mode == "tcp-wait");
    if (mode == "sink-udp" && argc == 6) return sink_udp(address(argv[2], argv[3]), std::atol(argv[4]), std::atoi(argv[5]));
    if (mode == "sink-tcp" && (argc == 4 || argc == 5))
        return sink_tcp(address(argv[2], argv[3]), argc == 5 ? std::atoi(argv[4]) : 0);
    std::fprintf(stderr,
                 "usage: txray-uringsend udp|udp-async|udp-fixed|udp-fixed-async|udp-write|tcp|tcp-wait ADDR PORT N|BYTES, "
                 "sink-udp ADDR PORT N SECONDS, sink-tcp ADDR PORT [DELAY_MS]\n");
    return 2;
}
