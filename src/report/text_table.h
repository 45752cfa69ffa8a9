// A plain-text table: left-aligned first column(s), right-aligned numbers.
#pragma once
#include <string>
#include <vector>

namespace txray {

class TextTable {
public:
    // Columns whose header starts with '<' are left-aligned (the '<' is dropped).
    explicit TextTable(std::vector<std::string> headers);
    void row(std::vector<std::string> cells);
    bool empty() const { return rows_.empty(); }
    // Appends the table, each line indented by `indent` spaces.
    void render(std::string& out, std::size_t indent = 2) const;

private:
    std::vector<std::string> headers_;
    std::vector<bool> left_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace txray
