// The built-in file browser's model: one directory's entries, dirs first.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace txray::ui {

struct DirEntry {
    std::string name;
    bool is_dir = false;
    std::uint64_t size = 0;
};

struct DirListing {
    std::string dir;               // absolute
    std::vector<DirEntry> entries; // ".." first (unless at /), dirs, then files; by name
    std::string error;             // why it could not be listed
};

// trace_only: files ending in .json/.jsonl/.txr/.zst only (directories always).
DirListing list_dir(const std::string& dir, bool trace_only);

}  // namespace txray::ui
