// The in-kernel tcpdump-expression filter (bpf/pcap_filter.bpf.h), both the
// interpreter and the compiled eBPF (src/bpfload/pcap_jit.cpp), against
// libpcap's own pcap_offline_filter, on the same bytes. The kernel verdicts
// come from the real code run by BPF_PROG_TEST_RUN on skbs built from the
// test frames; libpcap judges the same frame (DLT_EN10MB) and the same frame
// without its Ethernet header (DLT_RAW).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bpfload/pcap_filter.h"
#include "bpfload/pcap_jit.h"
#include "bpfload/system.h"
#include "pcap_filter_test.skel.h"

using namespace txray;

// pcap_oracle.cpp: libpcap's verdict (its headers clash with libbpf's).
bool pcap_verdict(bool ethernet, const std::string& expr, const std::uint8_t* data, std::size_t n);

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, std::uint16_t v) { b[at] = v >> 8, b[at + 1] = v & 0xff; }

std::uint16_t csum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) s += (p[i] << 8) | p[i + 1];
    if (n & 1) s += p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return ~s;
}

Bytes eth(std::uint16_t type) {
    Bytes b = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0, 0};
    put16(b, 12, type);
    return b;
}

struct L4 {
    std::uint8_t proto;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t tcp_flags = 0x10;
    std::size_t payload = 0;
};

Bytes l4_bytes(const L4& l) {
    Bytes b;
    if (l.proto == 17) {
        b.assign(8, 0);
        put16(b, 0, l.sport), put16(b, 2, l.dport), put16(b, 4, 8 + l.payload);
    } else if (l.proto == 6) {
        b.assign(20, 0);
        put16(b, 0, l.sport), put16(b, 2, l.dport);
        b[12] = 5 << 4, b[13] = l.tcp_flags;
        put16(b, 14, 65535);
    } else {  // ICMP / ICMPv6 echo
        b.assign(8, 0);
        b[0] = l.proto == 58 ? 128 : 8;
    }
    for (std::size_t i = 0; i < l.payload; ++i) b.push_back(static_cast<std::uint8_t>('A' + i % 26));
    return b;
}

Bytes ipv4(const char* src, const char* dst, const L4& l, std::uint16_t frag = 0, int opt_words = 0,
           std::uint8_t ttl = 64) {
    Bytes b = eth(0x0800);
    Bytes l4 = frag & 0x1fff ? Bytes(l.payload, 0x5a) : l4_bytes(l);
    const std::size_t hl = 20 + 4 * opt_words;
    Bytes ip(hl, 0);
    ip[0] = 0x40 | (hl / 4);
    put16(ip, 2, hl + l4.size());
    put16(ip, 4, 0x1234);
    put16(ip, 6, frag);
    ip[8] = ttl;
    ip[9] = l.proto;
    inet_pton(AF_INET, src, &ip[12]);
    inet_pton(AF_INET, dst, &ip[16]);
    for (int i = 0; i < opt_words * 4; ++i) ip[20 + i] = 1;  // NOPs
    put16(ip, 10, csum(ip.data(), hl));
    b.insert(b.end(), ip.begin(), ip.end());
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

Bytes ipv6(const char* src, const char* dst, const L4& l, bool frag_hdr = false, std::uint16_t frag_off = 0) {
    Bytes b = eth(0x86dd);
    Bytes l4 = frag_off ? Bytes(l.payload, 0x5a) : l4_bytes(l);
    Bytes ip(40, 0);
    ip[0] = 0x60;
    const std::size_t ext = frag_hdr ? 8 : 0;
    put16(ip, 4, ext + l4.size());
    ip[6] = frag_hdr ? 44 : l.proto;
    ip[7] = 64;
    inet_pton(AF_INET6, src, &ip[8]);
    inet_pton(AF_INET6, dst, &ip[24]);
    b.insert(b.end(), ip.begin(), ip.end());
    if (frag_hdr) {
        Bytes fh(8, 0);
        fh[0] = l.proto;
        put16(fh, 2, frag_off | 1);
        fh[4] = 0xab;
        b.insert(b.end(), fh.begin(), fh.end());
    }
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

Bytes arp() {
    Bytes b = eth(0x0806);
    Bytes a = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    b.insert(b.end(), a.begin(), a.end());
    return b;
}

std::vector<Bytes> corpus() {
    std::vector<Bytes> c = {
        ipv4("10.0.0.1", "10.0.0.2", {17, 40000, 53, 0, 30}),
        ipv4("10.0.0.1", "10.0.0.2", {17, 53, 40000, 0, 30}),
        ipv4("10.0.0.1", "10.0.0.3", {17, 40001, 1234, 0, 1200}),
        ipv4("192.168.1.1", "10.0.0.2", {17, 5000, 1500, 0, 980}),
        ipv4("10.0.0.1", "10.0.0.2", {6, 40002, 80, 0x02, 0}),
        ipv4("10.0.0.1", "10.0.0.2", {6, 40002, 80, 0x12, 0}),
        ipv4("10.0.0.2", "10.0.0.1", {6, 443, 40003, 0x18, 500}),
        ipv4("10.0.0.1", "10.0.0.2", {1, 0, 0, 0, 56}),
        ipv4("10.0.0.1", "10.0.0.2", {17, 40000, 53, 0, 20}, 0, 2),            // IP options
        ipv4("10.0.0.1", "10.0.0.2", {17, 40000, 53, 0, 1400}, 0x2000),        // first fragment
        ipv4("10.0.0.1", "10.0.0.2", {17, 40000, 53, 0, 600}, 0x00b9),         // last fragment
        ipv4("10.0.0.1", "224.0.0.251", {17, 5353, 5353, 0, 40}, 0, 0, 1),
        ipv4("10.0.0.1", "10.0.0.2", {47, 0, 0, 0, 16}),
        ipv6("fd00::1", "fd00::2", {17, 40000, 53, 0, 30}),
        ipv6("fd00::1", "fd00::2", {6, 40004, 80, 0x02, 0}),
        ipv6("fd00::2", "fd00::1", {6, 80, 40004, 0x11, 1100}),
        ipv6("fd00::1", "fd00::2", {58, 0, 0, 0, 56}),
        ipv6("fd00::1", "fd00::2", {17, 40000, 53, 0, 1300}, true, 0),
        ipv6("fd00::1", "fd00::2", {17, 40000, 53, 0, 300}, true, 1304),
        ipv6("fe80::1", "ff02::16", {58, 0, 0, 0, 20}),
        arp(),
    };
    Bytes shortv4 = ipv4("10.0.0.1", "10.0.0.2", {17, 40000, 53, 0, 0});
    shortv4.resize(14 + 21);  // truncated in the UDP header
    c.push_back(shortv4);
    // Random variations: flipped bytes in the headers of every frame above.
    std::mt19937 rng(7);
    const std::size_t base = c.size();
    for (int round = 0; round < 12; ++round)
        for (std::size_t i = 0; i < base; ++i) {
            Bytes b = c[i];
            const int flips = 1 + rng() % 3;
            for (int f = 0; f < flips; ++f) {
                std::size_t at = 14 + rng() % std::min<std::size_t>(b.size() - 14, 64);
                b[at] = static_cast<std::uint8_t>(rng());
            }
            c.push_back(b);
        }
    return c;
}

const std::vector<std::string> kExpressions = {
    "udp",
    "tcp",
    "icmp",
    "ip6",
    "ip",
    "not ip6",
    "udp and dst port 53",
    "host 10.0.0.2 and not tcp",
    "len > 1000",
    "len <= 100",
    "greater 500",
    "less 80",
    "src net 10.0.0.0/8",
    "dst host 10.0.0.3 or src host 192.168.1.1",
    "portrange 1000-2000",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
    "ip[8] = 1",
    "ip[6:2] & 0x1fff != 0",
    "ip[2:2] - 20 > 1000",
    "ip[2:2] / 4 > 100",
    "ip[2:2] % 7 = 3",
    "ip[8] * 3 > 150",
    "ip[8] << 2 = 256",
    "ip[8] >> 1 = 32",
    "ip[8] ^ 0xff = 191",
    "ip[0] & 0xf > 5",
    "-ip[8] = 4294967232",
    "udp[8:2] = 0x4142",
    "ip6 and udp port 53",
    "ip6 and tcp",
    "icmp6",
    "ip6 multicast",
    "ip multicast",
    "ip proto 47",
    "tcp port 80 or udp port 53",
    "udp and (port 53 or port 5353) and not ip6",
    "ip6[6] = 44",
    "ip[2:2] > ip[0] & 0xf",
    "len - 14 > 200 and udp",
    // Loads past the bytes the interpreter copies up front (128): read from the skb.
    "ip[200] = 0x51",
    "ip[126:4] != 0 and udp",
    "ip6[150:2] > 0x4000",
};

// Kernel verdicts: bit 0 DLT_RAW, bit 1 Ethernet.
int kernel_verdicts(pcap_filter_test_bpf* skel, const Bytes& frame) {
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame.data(), .data_size_in = (std::uint32_t)frame.size(),
                .repeat = 1);
    Bytes out(frame.size() + 256);
    o.data_out = out.data();
    o.data_size_out = out.size();
    int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.txr_test_pcap), &o);
    EXPECT_EQ(err, 0) << std::strerror(errno);
    return static_cast<int>(o.retval);
}

struct SkelDeleter {
    void operator()(pcap_filter_test_bpf* s) const { pcap_filter_test_bpf__destroy(s); }
};
using Skel = std::unique_ptr<pcap_filter_test_bpf, SkelDeleter>;

// The test object with `f` compiled into its placeholders (nothing in the
// interpreter's map: a verdict can only come from the compiled code).
Skel compiled_skel(const PcapFilter& f, bool buffered = true) {
    std::size_t n = 0;
    const void* elf = pcap_filter_test_bpf__elf_bytes(&n);
    CompiledFilterObject c = compile_filter_into(elf, n, f, buffered);
    EXPECT_TRUE(c.ok()) << c.error;
    if (!buffered) {
        EXPECT_FALSE(c.buffered);
    }
    if (!c.ok()) return nullptr;
    EXPECT_GT(c.insns, 0u);
    Skel s(open_skeleton_from(pcap_filter_test_bpf__create_skeleton, pcap_filter_test_bpf__destroy, c.elf));
    EXPECT_NE(s, nullptr) << std::strerror(errno);
    if (!s) return nullptr;
    s->rodata->txr_pcap_compiled = 1;
    EXPECT_EQ(pcap_filter_test_bpf__load(s.get()), 0) << "the object with the compiled filter does not load";
    return s;
}

class Interpreter : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to run BPF programs";
        skel_.reset(pcap_filter_test_bpf__open_and_load());
        ASSERT_NE(skel_, nullptr) << "cannot load the test program";
    }
    int kernel(const Bytes& frame) { return kernel_verdicts(skel_.get(), frame); }
    Skel skel_;
};

// Every expression on every frame: the kernel's verdicts against libpcap's.
// `compiled`: each expression compiled into a fresh object (`buffered`: with
// the prefix copy where the kernel takes it); else interpreted by `interp`
// (the programs stored in its map).
void expect_verdicts_equal_libpcap(pcap_filter_test_bpf* interp, bool compiled, bool buffered = true) {
    const auto frames = corpus();
    int matched_raw = 0, matched_eth = 0, compared = 0;
    for (const auto& expr : kExpressions) {
        SCOPED_TRACE(expr);
        PcapFilter f = compile_pcap_filter(expr);
        Skel own;
        pcap_filter_test_bpf* skel = interp;
        if (compiled) {
            own = compiled_skel(f, buffered);
            ASSERT_NE(own, nullptr);
            skel = own.get();
        } else {
            ASSERT_EQ(store_pcap_filter(bpf_map__fd(skel->maps.txr_pcap_progs), f), 0);
        }
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const Bytes& fr = frames[i];
            const bool want_raw = pcap_verdict(false, expr, fr.data() + 14, fr.size() - 14);
            const bool want_eth = pcap_verdict(true, expr, fr.data(), fr.size());
            const int got = kernel_verdicts(skel, fr);
            EXPECT_EQ((got & 1) != 0, want_raw) << "DLT_RAW, frame " << i << " (" << fr.size() << " bytes)";
            EXPECT_EQ((got & 2) != 0, want_eth) << "Ethernet, frame " << i << " (" << fr.size() << " bytes)";
            matched_raw += want_raw, matched_eth += want_eth, ++compared;
        }
    }
    // The table is not trivially all-false or all-true.
    EXPECT_EQ(compared, static_cast<int>(kExpressions.size() * frames.size()));
    EXPECT_GT(matched_raw, compared / 10);
    EXPECT_LT(matched_raw, compared * 9 / 10);
    EXPECT_GT(matched_eth, compared / 10);
}

TEST_F(Interpreter, KernelVerdictsEqualLibpcap) { expect_verdicts_equal_libpcap(skel_.get(), false); }

class CompiledFilter : public Interpreter {};

TEST_F(CompiledFilter, KernelVerdictsEqualLibpcap) { expect_verdicts_equal_libpcap(nullptr, true); }

TEST_F(CompiledFilter, OneReadPerLoadVerdictsEqualLibpcap) { expect_verdicts_equal_libpcap(nullptr, true, false); }

// Hand-written programs where libpcap's compiler goes rarely: shifts by 32 or
// more, division by a zero X, scratch words, returns of A and X, the length,
// a fall off the end. The compiled code must give the interpreter's verdicts.
TEST_F(CompiledFilter, EdgeCasesAsInterpreted) {
    using P = std::vector<txr_cbpf_insn>;
    const std::vector<P> progs = {
        {{0x00, 0, 0, 40}, {0x07, 0, 0, 0}, {0x00, 0, 0, 1}, {0x6c, 0, 0, 0}, {0x16, 0, 0, 0}},  // A = 1 << 40
        {{0x00, 0, 0, 31}, {0x07, 0, 0, 0}, {0x00, 0, 0, 1}, {0x6c, 0, 0, 0}, {0x16, 0, 0, 0}},  // A = 1 << 31
        {{0x00, 0, 0, 0x80000000u}, {0x74, 0, 0, 31}, {0x16, 0, 0, 0}},                        // >> k
        {{0x00, 0, 0, 7}, {0x01, 0, 0, 0}, {0x3c, 0, 0, 0}, {0x06, 0, 0, 1}},                  // 7 / X(0)
        {{0x00, 0, 0, 7}, {0x01, 0, 0, 0}, {0x9c, 0, 0, 0}, {0x06, 0, 0, 1}},                  // 7 % X(0)
        {{0x80, 0, 0, 0}, {0x02, 0, 0, 3}, {0x61, 0, 0, 3}, {0x87, 0, 0, 0}, {0x0e, 0, 0, 0}},  // ret len via M, X
        {{0x81, 0, 0, 0}, {0x0e, 0, 0, 0}},                                                    // ret X = len
        {{0x60, 0, 0, 5}, {0x16, 0, 0, 0}},                                                    // unset M[5] = 0
        {{0x30, 0, 0, 9}, {0x15, 1, 0, 17}, {0x06, 0, 0, 0}},                                  // falls off on UDP
        {{0x28, 0, 0, 2}, {0x35, 0, 1, 1000}, {0x06, 0, 0, 5}, {0x06, 0, 0, 6}},               // len field >= 1000
        {{0x20, 0, 0, 0x7ffffffeu}, {0x06, 0, 0, 1}},                                          // far load
        {{0xb1, 0, 0, 0}, {0x48, 0, 0, 0xfffffff0u}, {0x06, 0, 0, 1}},                         // X + k wraps
        {{0xb1, 0, 0, 0}, {0x50, 0, 0, 2}, {0x45, 0, 1, 0x80}, {0x06, 0, 0, 1}, {0x06, 0, 0, 2}},  // jset
        {{0x00, 0, 0, 0xfffffffeu}, {0x84, 0, 0, 0}, {0x15, 0, 1, 2}, {0x06, 0, 0, 9}, {0x06, 0, 0, 0}},  // neg
    };
    const auto frames = corpus();
    for (std::size_t n = 0; n < progs.size(); ++n) {
        SCOPED_TRACE("program " + std::to_string(n));
        PcapFilter f;
        f.expression = "hand-written";
        f.raw = f.eth = progs[n];
        ASSERT_EQ(store_pcap_filter(bpf_map__fd(skel_->maps.txr_pcap_progs), f), 0);
        for (bool buffered : {true, false}) {
            Skel compiled = compiled_skel(f, buffered);
            ASSERT_NE(compiled, nullptr);
            for (std::size_t i = 0; i < frames.size(); i += 7)
                EXPECT_EQ(kernel_verdicts(compiled.get(), frames[i]), kernel(frames[i])) << "frame " << i;
        }
    }
}

TEST_F(Interpreter, NoProgramMatchesNothing) {
    // An all-zero map entry (len 0) never matches: txray only consults the
    // map when an expression was given, and fills it before attach.
    PcapFilter none;
    ASSERT_EQ(store_pcap_filter(bpf_map__fd(skel_->maps.txr_pcap_progs), none), 0);
    EXPECT_EQ(kernel(ipv4("10.0.0.1", "10.0.0.2", {17, 1, 2, 0, 10})), 0);
}

TEST(FilterCompile, ErrorsAreClear) {
    EXPECT_TRUE(compile_pcap_filter("").empty());
    EXPECT_TRUE(compile_pcap_filter("   ").empty());
    try {
        compile_pcap_filter("udp and and");
        FAIL() << "syntax error accepted";
    } catch (const FilterError& e) {
        EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
    }
    for (const char* ll : {"ether host 02:00:00:00:00:01", "arp", "vlan", "ether broadcast", "ether proto 0x88cc"}) {
        try {
            compile_pcap_filter(ll);
            FAIL() << ll << " accepted";
        } catch (const FilterError& e) {
            EXPECT_NE(std::string(e.what()).find("link-layer"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(join_expression({"udp", "and", "dst", "port", "53"}), "udp and dst port 53");
    PcapFilter f = compile_pcap_filter("udp and dst port 53");
    EXPECT_FALSE(f.raw.empty());
    EXPECT_FALSE(f.eth.empty());
    EXPECT_TRUE(interpreter_supports(f.raw));
    std::vector<txr_cbpf_insn> ext = {{0x20, 0, 0, 0xfffff000u}, {0x06, 0, 0, 1}};  // SKF_AD_OFF load
    EXPECT_FALSE(interpreter_supports(ext));
}

TEST(FilterScope, NetnsAndCgroupResolve) {
    struct stat st {};
    ASSERT_EQ(stat("/proc/self/ns/net", &st), 0);
    EXPECT_EQ(resolve_netns("/proc/self/ns/net"), st.st_ino);
    EXPECT_EQ(resolve_netns(std::to_string(st.st_ino)), st.st_ino);
    EXPECT_EQ(resolve_netns("net:[" + std::to_string(st.st_ino) + "]"), st.st_ino);
    EXPECT_THROW(resolve_netns("/nonexistent/ns"), FilterError);
    EXPECT_THROW(resolve_netns("no-such-netns-name"), FilterError);
    if (auto cg = cgroup2_mount()) {
        CgroupScope root = resolve_cgroup(*cg, *cg);
        EXPECT_EQ(root.level, 0u);
        EXPECT_NE(root.id, 0u);
        EXPECT_EQ(resolve_cgroup("/", *cg).id, root.id) << "relative to the cgroup2 mount";
        EXPECT_THROW(resolve_cgroup("/proc", *cg), FilterError);
        EXPECT_THROW(resolve_cgroup("no/such/cgroup", *cg), FilterError);
    }
}

}  // namespace
