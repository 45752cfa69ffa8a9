// The trace reader's parsers, internal to core (src/core/trace_reader.cpp
// uses them): the DOM parser (nlohmann), the reference for every record type
// and the fallback for packet lines the fast parser declines; and the fast,
// strict cursor over one packet line.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "packet.h"
#include "trace_format.h"

namespace txray::reader {

// DOM (trace_parse_dom.cpp). false and err set when a field is missing or bad.
bool packet_from_json(const nlohmann::json& j, Packet& p, std::string& err);
bool header_from_json(const nlohmann::json& j, TraceHeader& h, std::string& err);
bool footer_from_json(const nlohmann::json& j, TraceFooter& f, std::string& err);
// Format 1.3's normalization, after either parser: a packet without "hops"
// that reached a device gets its one hop from the top-level ifname, ifindex
// and netns; false and err set when a stage names a hop the packet lacks.
bool finish_hops(Packet& p, std::string& err);
// Not text: a NUL or other control bytes in the first line.
bool looks_binary(std::string_view s);

// Fast (trace_parse_fast.cpp): false when the line is not exactly the shape
// txray writes (then the DOM parser decides).
bool fast_packet(std::string_view line, Packet& p);

}  // namespace txray::reader
