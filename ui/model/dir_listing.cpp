#include "dir_listing.h"

#include <algorithm>
#include <filesystem>

namespace txray::ui {

DirListing list_dir(const std::string& dir, bool trace_only) {
    namespace fs = std::filesystem;
    DirListing out;
    std::error_code ec;
    fs::path p = fs::absolute(dir.empty() ? "." : dir, ec).lexically_normal();
    if (p.has_filename() == false && p != p.root_path()) p = p.parent_path();
    out.dir = p.string();
    fs::directory_iterator it(p, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        out.error = ec.message();
        return out;
    }
    for (const auto& e : it) {
        std::error_code e2;
        DirEntry d;
        d.name = e.path().filename().string();
        d.is_dir = e.is_directory(e2);
        if (!d.is_dir) {
            const auto ext = e.path().extension().string();
            if (trace_only && ext != ".json" && ext != ".jsonl" && ext != ".txr" && ext != ".zst") continue;
            d.size = e.file_size(e2);
        }
        out.entries.push_back(std::move(d));
    }
    std::sort(out.entries.begin(), out.entries.end(), [](const DirEntry& a, const DirEntry& b) {
        if (a.is_dir != b.is_dir) return a.is_dir;
        return a.name < b.name;
    });
    if (p != p.root_path()) out.entries.insert(out.entries.begin(), DirEntry{"..", true, 0});
    return out;
}

}  // namespace txray::ui
