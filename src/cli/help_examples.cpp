// Each subcommand's --help ends with a few examples; `txray SUB --version`
// prints the version like `txray --version`.
#include "help_examples.h"

#include <string_view>

namespace txray {

namespace {

struct Examples {
    std::string_view command;
    std::string_view footer;
};

constexpr Examples kExamples[] = {
    {"live",
     "Examples:\n"
     "  txray live                                   every send on this host (Ctrl-C to stop)\n"
     "  txray live --proto udp --port 53 --iface eth0\n"
     "  txray live --summary --duration 10           in-kernel histograms only, the cheapest\n"
     "Lines come in the order the packets began (their first stage's time): each line waits\n"
     "0.5 s for packets that began earlier but ended later (held by a qdisc, say); a packet\n"
     "that ends later than that is printed when it ends, marked \"late\". ICMP and ICMPv6\n"
     "show type/code (icmp ... echo-request 8/0), frames that are not IP their ethertype (arp)."},
    {"record",
     "Examples:\n"
     "  txray record -o trace.json --duration 10\n"
     "  txray record -o trace.json.zst --iface eth0 'udp and dst port 53'\n"
     "  txray record -o trace.json --headers --count 1000   then: txray export --format pcapng"},
    {"report",
     "Examples:\n"
     "  txray report trace.json\n"
     "  txray report --flow 'udp :53' --since 2s --until 3s trace.json.zst\n"
     "  txray record -o - --duration 5 | txray report -"},
    {"export",
     "Examples:\n"
     "  txray export --format perfetto trace.json -o trace.perfetto.json   (ui.perfetto.dev)\n"
     "  txray export --format pcapng trace.json -o trace.pcapng            (record with --headers)\n"
     "  txray export --format pcapng --flow 'tcp :443' trace.json.zst -o - | tshark -r -"},
    {"doctor",
     "Examples:\n"
     "  txray doctor                    what this kernel supports, the hook each stage uses\n"
     "  txray doctor --hooks tracepoint the hooks txray would use without fentry or kprobes"},
};

}  // namespace

void add_help_examples(CLI::App& app, const std::string& version) {
    for (CLI::App* sub : app.get_subcommands({})) {
        sub->set_version_flag("--version", version);
        for (const Examples& e : kExamples)
            if (sub->get_name() == e.command) sub->footer(std::string(e.footer));
    }
}

}  // namespace txray
