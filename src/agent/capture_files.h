// `txray agent --capture-*`: the outliers' records in rotating trace files
// (zstd JSON Lines, each a whole trace with header and footer, readable by
// report, export and txray-ui), bounded in size and number.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/trace_format.h"
#include "core/trace_writer.h"

namespace txray {

struct CaptureLimits {
    std::string dir;
    std::uint64_t file_bytes = 64ull << 20;  // rotate once a file holds this much (checked every second)
    std::uint32_t files = 8;                 // keep the newest this many; older ones are deleted
};

class CaptureFiles {
public:
    // Creates `dir` if needed and opens the first file; throws TxrayError.
    CaptureFiles(CaptureLimits limits, TraceHeader header);
    ~CaptureFiles();
    CaptureFiles(const CaptureFiles&) = delete;
    CaptureFiles& operator=(const CaptureFiles&) = delete;

    void packet(const Packet& p);
    // Once a second: flush; rotate when the file reached its size. `totals`:
    // the kernel's counters now (a closed file's footer carries them).
    void tick(const TraceFooter& totals);
    // SIGHUP: close the current file and open a new one (log rotation).
    void reopen(const TraceFooter& totals);
    void close(const TraceFooter& totals);

    std::uint64_t packets() const { return packets_; }
    std::uint64_t files_opened() const { return opened_; }
    std::uint64_t errors() const { return errors_; }
    const std::string& current_path() const { return path_; }

private:
    void open_next();
    void finish(const TraceFooter& totals);
    void prune();
    CaptureLimits limits_;
    TraceHeader header_;
    std::unique_ptr<TraceWriter> writer_;
    std::string path_;
    std::uint64_t seq_ = 0;
    std::uint64_t packets_ = 0, opened_ = 0, errors_ = 0;
    std::uint64_t file_packets_ = 0, file_dropped_ = 0, file_unfinished_ = 0;
};

}  // namespace txray
