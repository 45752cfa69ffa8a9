// Test helper: reads one packet line with the fast reader and the DOM reader,
// which must both accept it and agree (each result written back the same).
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "core/packet_json.h"
#include "core/trace_reader.h"

namespace txray::test {

inline void read_both(const std::string& line, Packet& fast, Packet& dom) {
    std::string err;
    ASSERT_TRUE(packet_from_json_fast(line, fast)) << line;
    ASSERT_TRUE(packet_from_json_text(line, dom, err)) << err;
    std::string a, b;
    append_packet_json(a, fast);
    append_packet_json(b, dom);
    EXPECT_EQ(a, b);
}

}  // namespace txray::test
