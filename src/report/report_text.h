// `txray report` for people: tables and a histogram as text.
#pragma once
#include <string>

#include "report_model.h"

namespace txray {

struct TextReportOptions {
    std::size_t top_flows = 20;  // 0: all
};

std::string render_report_text(const Report& r, const TextReportOptions& opt = {});

}  // namespace txray
