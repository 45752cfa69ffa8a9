// What the host-side checkers of the NIC VM tests share (txray-niccheck,
// txray-stackcheck): the verdict lines, the guest's small output files, and
// opening the trace. Header-only: each checker is one file built by
// tests/vm/txray/build.sh.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "trace_reader.h"

namespace txray::niccheck {

inline int g_failed = 0;
inline std::string g_name;  // the combination, prefix of every check's name

// "TXRAY-VM-TEST: PASS|FAIL|SKIP NAME.CHECK DETAIL"
inline void verdict(const char* what, const std::string& check, const std::string& detail) {
    std::printf("TXRAY-VM-TEST: %s %s.%s %s\n", what, g_name.c_str(), check.c_str(), detail.c_str());
    g_failed += std::string(what) == "FAIL";
}
inline void pass(const std::string& check, const std::string& detail) { verdict("PASS", check, detail); }
inline void fail(const std::string& check, const std::string& why) { verdict("FAIL", check, why); }
inline void skip(const std::string& check, const std::string& why) { verdict("SKIP", check, why); }
inline void info(const std::string& what) { std::printf("TXRAY-VM-INFO: %s %s\n", g_name.c_str(), what.c_str()); }

inline std::string read_first(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    in >> s;
    return s;
}
// busybox ping: "20 packets transmitted, 20 packets received, ..."
inline long long ping_sent(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (auto at = line.find(" packets transmitted"); at != std::string::npos) {
            auto start = line.rfind(' ', at - 1);
            return std::atoll(line.substr(start == std::string::npos ? 0 : start + 1, at).c_str());
        }
    return -1;
}

// PROG NAME TRACE.json DIR: sets g_name, loads the trace (a FAIL line and
// nullopt when it cannot be read; the usage and nullopt on bad arguments).
inline std::optional<Trace> open_trace(int argc, char** argv, const char* prog) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s NAME TRACE.json DIR\n", prog);
        return std::nullopt;
    }
    g_name = argv[1];
    Trace t = load_trace(argv[2]);
    if (t.status.fatal || !t.status.error.empty() || !t.footer) {
        fail("trace", std::string("cannot read ") + argv[2] + ": " + t.status.summary());
        return std::nullopt;
    }
    if (t.footer->lost) fail("lost", std::to_string(t.footer->lost) + " records lost");
    return t;
}

}  // namespace txray::niccheck
