// One packet as one line of the trace format (docs/trace-format.md).
#pragma once
#include <string>
#include <string_view>

#include "packet.h"

namespace txray {

// Appends s as a quoted JSON string (ASCII; control and non-ASCII bytes as \u00XX).
void append_json_string(std::string& out, std::string_view s);

// Serialises one packet as a single-line JSON object (no newline).
void append_packet_json(std::string& out, const Packet& p);

}  // namespace txray
