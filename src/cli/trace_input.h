// Reading the trace a subcommand was given, with the same messages everywhere.
#pragma once
#include <cstdio>
#include <string>

#include "core/trace_reader.h"

namespace txray {

struct TraceInputOptions {
    std::string path;     // "-": standard input
    bool strict = false;  // stop at the first bad line
    std::size_t max_warnings = 10;
};

// Streams the trace into sink. Warnings (the first few) and a truncation note
// go to err as "txray <cmd>: ...". Returns false after printing one error line
// when nothing usable was read or --strict stopped; then exit with status 1.
bool read_trace_input(const char* cmd, const TraceInputOptions& opt, TraceSink& sink, ReadStatus& status,
                      std::FILE* err = stderr);

}  // namespace txray
