// The hover tooltip and the details panel's stage table share this.
#pragma once
#include "core/packet.h"

namespace txray::ui {

// One line per stage: swatch, name, time since the first stage, delta from the previous.
void stage_table(const Packet& p, const char* id);
void packet_tooltip(const Packet& p, const std::string& flow_label);

}  // namespace txray::ui
