#include "trace_input.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace txray {

bool read_trace_input(const char* cmd, const TraceInputOptions& opt, TraceSink& sink, ReadStatus& status,
                      std::FILE* err) {
    ReadOptions ro;
    ro.strict = opt.strict;
    if (opt.path == "-") {
        status = read_trace(std::cin, sink, ro);
    } else {
        std::ifstream in(opt.path, std::ios::binary);
        if (!in) {
            fmt::print(err, "txray {}: cannot open {}: {}\n", cmd, opt.path, std::strerror(errno));
            status.fatal = true;
            return false;
        }
        status = read_trace(in, sink, ro);
    }
    const std::string where = opt.path == "-" ? "standard input" : opt.path;
    if (status.fatal) {
        fmt::print(err, "txray {}: {}: {}\n", cmd, where, status.summary());
        return false;
    }
    for (std::size_t i = 0; i < status.warnings.size() && i < opt.max_warnings; ++i)
        fmt::print(err, "txray {}: warning: {}: {}\n", cmd, where, status.warnings[i]);
    if (status.warnings.size() > opt.max_warnings)
        fmt::print(err, "txray {}: warning: {} more warnings\n", cmd, status.warnings.size() - opt.max_warnings);
    if (!status.error.empty()) {
        if (opt.strict && !status.cancelled) {
            fmt::print(err, "txray {}: {}: {}\n", cmd, where, status.summary());
            return false;
        }
        fmt::print(err, "txray {}: warning: {}: {} (using the {} packets before it)\n", cmd, where, status.summary(),
                   status.packets);
    }
    return true;
}

}  // namespace txray
