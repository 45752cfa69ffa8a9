#include "exporter.h"

namespace txray {

// Every format, one line each, in the order --help lists them: NAME_exporter()
// is defined in the format's own file (perfetto_export.cpp, ...).
#define TXR_EXPORTERS(X) \
    X(perfetto)          \
    X(pcapng)

#define TXR_DECLARE_EXPORTER(name) Exporter name##_exporter();
TXR_EXPORTERS(TXR_DECLARE_EXPORTER)
#undef TXR_DECLARE_EXPORTER

const std::vector<Exporter>& exporters() {
#define TXR_EXPORTER_ENTRY(name) name##_exporter(),
    static const std::vector<Exporter> all = {TXR_EXPORTERS(TXR_EXPORTER_ENTRY)};
#undef TXR_EXPORTER_ENTRY
    return all;
}

const Exporter* find_exporter(std::string_view name) {
    for (const Exporter& e : exporters())
        if (e.name == name) return &e;
    return nullptr;
}

}  // namespace txray
