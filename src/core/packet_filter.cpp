#include "packet_filter.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace txray {
namespace {

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<std::uint16_t> parse_port(const std::string& s) {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

std::optional<Endpoint> parse_endpoint(const std::string& s, std::string& err) {
    Endpoint e;
    std::string addr = s, port;
    if (!s.empty() && s[0] == '[') {  // [v6]:port or [v6]
        const auto close = s.find(']');
        if (close == std::string::npos) return err = "missing ']' in \"" + s + "\"", std::nullopt;
        addr = s.substr(1, close - 1);
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':') return err = "expected ':' after ']' in \"" + s + "\"", std::nullopt;
            port = s.substr(close + 2);
            if (port.empty()) return err = "missing port in \"" + s + "\"", std::nullopt;
        }
    } else if (std::count(s.begin(), s.end(), ':') == 1) {  // v4:port or :port
        addr = s.substr(0, s.find(':'));
        port = s.substr(s.find(':') + 1);
        if (port.empty()) return err = "missing port in \"" + s + "\"", std::nullopt;
    }
    if (!port.empty()) {
        e.port = parse_port(port);
        if (!e.port) return err = "bad port \"" + port + "\"", std::nullopt;
    }
    if (!addr.empty()) {
        for (std::uint8_t fam : {std::uint8_t{4}, std::uint8_t{6}}) {
            if (auto a = addr_from_string(fam, addr)) {
                e.family = fam;
                e.addr = *a;
                break;
            }
        }
        if (!e.addr) return err = "bad address \"" + addr + "\"", std::nullopt;
    }
    return e;
}

bool endpoint_matches(const Endpoint& e, const Flow& f, const std::array<std::uint8_t, 16>& addr,
                      std::uint16_t port) {
    if (e.addr && (f.family != *e.family || addr != *e.addr)) return false;
    if (e.port && port != *e.port) return false;
    return true;
}

}  // namespace

bool FlowMatch::matches(const Flow& f) const {
    if (proto && f.proto != *proto) return false;
    if (directed)
        return (!src || endpoint_matches(*src, f, f.saddr, f.sport)) &&
               (!dst || endpoint_matches(*dst, f, f.daddr, f.dport));
    if (!src) return true;
    return endpoint_matches(*src, f, f.saddr, f.sport) || endpoint_matches(*src, f, f.daddr, f.dport);
}

std::optional<FlowMatch> parse_flow_match(const std::string& spec, std::string& err) {
    FlowMatch m;
    std::string s = trim(spec);
    if (s.empty()) return err = "empty flow filter", std::nullopt;
    // A leading protocol word: a name, or a number followed by a space.
    const auto sp = s.find(' ');
    const std::string first = s.substr(0, sp);
    const bool named = first.find_first_of(".:[") == std::string::npos &&
                       (sp != std::string::npos || !std::isdigit(static_cast<unsigned char>(first[0])));
    if (named && first != "->") {
        m.proto = proto_from_name(first);
        if (!m.proto) return err = "unknown protocol \"" + first + "\"", std::nullopt;
        s = sp == std::string::npos ? "" : trim(s.substr(sp));
    }
    if (const auto arrow = s.find("->"); arrow != std::string::npos) {
        m.directed = true;
        const std::string a = trim(s.substr(0, arrow)), b = trim(s.substr(arrow + 2));
        if (!a.empty() && !(m.src = parse_endpoint(a, err))) return std::nullopt;
        if (!b.empty() && !(m.dst = parse_endpoint(b, err))) return std::nullopt;
    } else if (!s.empty()) {
        if (s.find(' ') != std::string::npos) return err = "unexpected \"" + s + "\" in flow filter", std::nullopt;
        if (!(m.src = parse_endpoint(s, err))) return std::nullopt;
    }
    return m;
}

bool PacketFilter::flow_matches(const Packet& p) const {
    if (!flow || flow->matches(p.flow)) return true;
    return std::any_of(p.hops.begin(), p.hops.end(), [&](const Hop& h) { return h.flow && flow->matches(*h.flow); });
}

bool PacketFilter::iface_matches(const Packet& p) const {
    if (ifaces.empty()) return true;
    auto named = [&](const std::string& dev) { return std::find(ifaces.begin(), ifaces.end(), dev) != ifaces.end(); };
    // A packet read from a trace has hops when it reached a device; one built
    // by hand may have only the top-level ifname.
    if (p.hops.empty()) return named(p.ifname);
    return std::any_of(p.hops.begin(), p.hops.end(), [&](const Hop& h) { return named(h.ifname); });
}

bool PacketFilter::matches(const Packet& p, std::uint64_t origin_ns) const {
    if (!flow_matches(p) || !iface_matches(p)) return false;
    if (!pids.empty() && std::find(pids.begin(), pids.end(), p.pid) == pids.end()) return false;
    if (has_time_window()) {
        const std::uint64_t t = p.first_ts();
        const std::uint64_t rel = t > origin_ns ? t - origin_ns : 0;
        if (since_ns && rel < *since_ns) return false;
        if (until_ns && rel >= *until_ns) return false;
    }
    return true;
}

}  // namespace txray
