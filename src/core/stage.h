// Send-path stages, in the order the kernel runs them. Declared once, in
// bpf/stage_table.h (shared with the BPF objects); everything here is derived.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stage_table.h"

namespace txray {

// The numeric values are enum txr_stage's; the names are the trace format's.
enum class Stage : std::uint8_t {
#define TXR_X_STAGE(ID, name, ...) name,
    TXR_STAGE_TABLE(TXR_X_STAGE)
#undef TXR_X_STAGE
};
inline constexpr std::size_t kStageCount = TXR_ST_COUNT;

// Where in the stack a stage sits.
enum class Layer : std::uint8_t {
#define TXR_X_LAYER(ID, name) name,
    TXR_LAYER_TABLE(TXR_X_LAYER)
#undef TXR_X_LAYER
};

struct StageInfo {
    Stage stage;
    std::string_view name;
    Layer layer;
    bool creates;  // may see a packet first and create its record
    bool lean;     // kept by the lean `live --summary`
    std::uint32_t rgb;  // 0xRRGGBB, the GUI's colour of the time after it
    std::string_view description;
};

inline constexpr std::array<StageInfo, kStageCount> kStageTable{{
#define TXR_X_INFO(ID, name, layer, creates, lean, colour, hooks, desc) \
    {Stage::name, #name, static_cast<Layer>(TXR_LAYER_##layer), (creates) != 0, (lean) != 0, colour, desc},
    TXR_STAGE_TABLE(TXR_X_INFO)
#undef TXR_X_INFO
}};

inline std::size_t index(Stage s) { return static_cast<std::size_t>(s); }
inline const StageInfo& stage_info(Stage s) { return kStageTable.at(index(s)); }
std::string_view stage_name(Stage s);
std::string_view layer_name(Layer l);
std::optional<Stage> stage_from_name(std::string_view name);
// All stages in kernel order.
const std::array<Stage, kStageCount>& all_stages();

}  // namespace txray
