#include "stage.h"

namespace txray {

std::string_view stage_name(Stage s) { return stage_info(s).name; }

std::string_view layer_name(Layer l) {
    static constexpr std::string_view kNames[] = {
#define TXR_X_LAYER_NAME(ID, name) #name,
        TXR_LAYER_TABLE(TXR_X_LAYER_NAME)
#undef TXR_X_LAYER_NAME
    };
    return kNames[static_cast<std::size_t>(l)];
}

std::optional<Stage> stage_from_name(std::string_view name) {
    for (const StageInfo& s : kStageTable)
        if (s.name == name) return s.stage;
    return std::nullopt;
}

const std::array<Stage, kStageCount>& all_stages() {
    static const std::array<Stage, kStageCount> all = [] {
        std::array<Stage, kStageCount> a{};
        for (std::size_t i = 0; i < kStageCount; ++i) a[i] = kStageTable[i].stage;
        return a;
    }();
    return all;
}

}  // namespace txray
