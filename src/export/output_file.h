// An output path opened for writing ("-": standard output), closed on destruction.
#pragma once
#include <cstdio>
#include <string>

namespace txray {

class OutputFile {
public:
    // On failure get() is null and error() says why ("cannot write x: Permission denied").
    explicit OutputFile(const std::string& path, bool binary = false);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    std::FILE* get() const { return f_; }
    const std::string& error() const { return error_; }
    // Flushes and closes; false (error() set) if anything failed to reach the file.
    bool close();

private:
    std::string path_, error_;
    std::FILE* f_ = nullptr;
    bool owned_ = false;
};

}  // namespace txray
