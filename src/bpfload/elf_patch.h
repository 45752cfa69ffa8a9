// Rewriting one function's instructions in a BPF object's ELF image before
// libbpf opens it. Same length, and no relocation may point into the
// function: then every instruction index libbpf and the kernel see (BTF
// func/line info, relocations, subprogram calls) stays valid.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace txray {

struct ElfFunction {
    std::size_t file_offset = 0;  // of its first byte in the image
    std::size_t size = 0;         // bytes (8 per instruction)
    std::string error;            // why it cannot be rewritten; then the rest is 0
    bool ok() const { return error.empty(); }
};

// Finds the function symbol `name` in the image (libelf: the program text
// sections, the symbol table and the relocation sections).
ElfFunction find_rewritable_function(const std::vector<std::uint8_t>& image, const std::string& name);

}  // namespace txray
