// `txray report --json`: the same numbers for scripts (all durations in ns).
#pragma once
#include <nlohmann/json.hpp>

#include "report_model.h"

namespace txray {

nlohmann::json report_to_json(const Report& r);

}  // namespace txray
