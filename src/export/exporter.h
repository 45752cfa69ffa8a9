// `txray export --format NAME`: the formats a trace converts to. A new format
// is one file that defines its Exporter and one line in exporters.cpp.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/packet.h"
#include "core/trace_format.h"

namespace txray {

struct Exporter {
    std::string_view name;         // the --format value
    std::string_view description;  // for --help
    bool binary = false;           // output opened in binary mode (not text)
    bool needs_headers = false;    // needs `txray record --headers`: refuses a trace with none
    // Writes the packets to out; returns what the command prints after
    // "txray export: " (counts of what was written).
    std::string (*write)(const TraceHeader& h, const std::vector<Packet>& packets, std::FILE* out) = nullptr;
};

// Every format, in the order --help lists them.
const std::vector<Exporter>& exporters();
const Exporter* find_exporter(std::string_view name);

}  // namespace txray
