#include "exporter.h"

namespace txray {

const std::vector<Exporter>& exporters() {
    static const std::vector<Exporter> all = {
        perfetto_exporter(),
        pcapng_exporter(),
    };
    return all;
}

const Exporter* find_exporter(std::string_view name) {
    for (const Exporter& e : exporters())
        if (e.name == name) return &e;
    return nullptr;
}

}  // namespace txray
