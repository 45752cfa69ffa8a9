#include "elf_patch.h"

#include <gelf.h>
#include <libelf.h>

#include <memory>

namespace txray {

namespace {
struct ElfCloser {
    void operator()(Elf* e) const { elf_end(e); }
};
}  // namespace

ElfFunction find_rewritable_function(const std::vector<std::uint8_t>& image, const std::string& name) {
    ElfFunction f;
    auto fail = [&](std::string why) {
        f = ElfFunction{};
        f.error = std::move(why);
        return f;
    };
    if (elf_version(EV_CURRENT) == EV_NONE) return fail("libelf: " + std::string(elf_errmsg(-1)));
    // elf_memory does not write to the image unless asked (ELF_C_READ_MEMORY).
    std::unique_ptr<Elf, ElfCloser> elf(
        elf_memory(reinterpret_cast<char*>(const_cast<std::uint8_t*>(image.data())), image.size()));
    if (!elf) return fail("libelf: " + std::string(elf_errmsg(-1)));
    std::size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf.get(), &shstrndx)) return fail("libelf: no section names");

    // The symbol.
    GElf_Sym sym{};
    bool found = false;
    for (Elf_Scn* scn = nullptr; !found && (scn = elf_nextscn(elf.get(), scn));) {
        GElf_Shdr sh{};
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
        Elf_Data* d = elf_getdata(scn, nullptr);
        const std::size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (std::size_t i = 0; d && i < n; ++i) {
            GElf_Sym s{};
            if (!gelf_getsym(d, static_cast<int>(i), &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC) continue;
            const char* nm = elf_strptr(elf.get(), sh.sh_link, s.st_name);
            if (nm && name == nm) {
                sym = s;
                found = true;
                break;
            }
        }
    }
    if (!found) return fail("the BPF object has no function " + name);

    Elf_Scn* text = elf_getscn(elf.get(), sym.st_shndx);
    GElf_Shdr tsh{};
    if (!text || !gelf_getshdr(text, &tsh) || tsh.sh_type != SHT_PROGBITS || !(tsh.sh_flags & SHF_EXECINSTR))
        return fail(name + " is not in a program section");
    if (sym.st_size == 0 || sym.st_size % 8 || sym.st_value + sym.st_size > tsh.sh_size ||
        tsh.sh_offset + tsh.sh_size > image.size())
        return fail(name + ": bad symbol size or offset");

    // No relocation may point into it (a map or a call there would move).
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf.get(), scn));) {
        GElf_Shdr sh{};
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA) ||
            sh.sh_info != sym.st_shndx)
            continue;
        Elf_Data* d = elf_getdata(scn, nullptr);
        const std::size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (std::size_t i = 0; d && i < n; ++i) {
            GElf_Rela r{};
            if (sh.sh_type == SHT_REL) {
                GElf_Rel rel{};
                if (!gelf_getrel(d, static_cast<int>(i), &rel)) continue;
                r.r_offset = rel.r_offset;
            } else if (!gelf_getrela(d, static_cast<int>(i), &r)) {
                continue;
            }
            if (r.r_offset >= sym.st_value && r.r_offset < sym.st_value + sym.st_size)
                return fail(name + " has a relocation: it cannot be rewritten in place");
        }
    }
    f.file_offset = tsh.sh_offset + sym.st_value;
    f.size = sym.st_size;
    return f;
}

}  // namespace txray
