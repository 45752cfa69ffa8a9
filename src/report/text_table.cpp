#include "text_table.h"

#include <algorithm>

namespace txray {

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {
    for (auto& h : headers_) {
        left_.push_back(!h.empty() && h[0] == '<');
        if (left_.back()) h.erase(0, 1);
    }
}

void TextTable::row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

void TextTable::render(std::string& out, std::size_t indent) const {
    std::vector<std::size_t> width(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) {
        width[c] = headers_[c].size();
        for (const auto& r : rows_) width[c] = std::max(width[c], r[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l(indent, ' ');
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string pad(width[c] - cells[c].size(), ' ');
            if (c) l += "  ";
            l += left_[c] ? cells[c] + pad : pad + cells[c];
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + "\n";
    };
    line(headers_);
    for (const auto& r : rows_) line(r);
}

}  // namespace txray
