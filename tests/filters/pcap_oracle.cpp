// libpcap's own verdict on a packet, for comparison with the kernel's.
#include <pcap/pcap.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "bpfload/pcap_filter.h"

bool pcap_verdict(bool ethernet, const std::string& expr, const std::uint8_t* data, std::size_t n) {
    pcap_t* p = pcap_open_dead(ethernet ? DLT_EN10MB : DLT_RAW, txray::kPcapSnaplen);
    bpf_program bp{};
    if (pcap_compile(p, &bp, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        std::string e = pcap_geterr(p);
        pcap_close(p);
        throw std::runtime_error("libpcap: " + e);
    }
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(n);
    const bool v = pcap_offline_filter(&bp, &h, data) != 0;
    pcap_freecode(&bp);
    pcap_close(p);
    return v;
}
