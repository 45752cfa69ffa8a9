#include "output_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace txray {

OutputFile::OutputFile(const std::string& path, bool binary) : path_(path) {
    if (path == "-") {
        f_ = stdout;
        return;
    }
    f_ = std::fopen(path.c_str(), binary ? "wb" : "w");
    owned_ = f_ != nullptr;
    if (!f_) error_ = fmt::format("cannot write {}: {}", path, std::strerror(errno));
}

OutputFile::~OutputFile() { close(); }

bool OutputFile::close() {
    if (!f_) return error_.empty();
    bool ok = std::fflush(f_) == 0 && !std::ferror(f_);
    if (owned_) ok = std::fclose(f_) == 0 && ok;
    if (!ok && error_.empty()) error_ = fmt::format("cannot write {}: {}", path_, std::strerror(errno));
    f_ = nullptr;
    return ok;
}

}  // namespace txray
