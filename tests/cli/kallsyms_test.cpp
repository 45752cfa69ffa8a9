// Kernel addresses named from a kallsyms table (the collector's drop sites).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "bpfload/kallsyms.h"

using txray::KernelSymbols;

TEST(KernelSymbols, NamesTheFunctionAndOffsetOfTextAddresses) {
    const std::string path = "/tmp/txray-kallsyms-" + std::to_string(getpid());
    {
        std::ofstream f(path);
        f << "ffffffff81000000 T _stext\n"
             "ffffffff81200000 t neigh_invalidate\n"
             "ffffffff81200400 D some_data\n"          // data: never a drop site
             "ffffffff81300000 T nf_hook_slow\n"
             "ffffffffc0001000 t veth_xmit\t[veth]\n";  // a module's symbol
    }
    KernelSymbols syms(path), preloaded(path);
    preloaded.preload();  // read on another thread: the same answers
    EXPECT_EQ(preloaded.name(0xffffffff8120009aull), "neigh_invalidate+0x9a");
    EXPECT_EQ(preloaded.name(0xffffffffc0001010ull), "veth_xmit+0x10");
    EXPECT_EQ(syms.name(0xffffffff8120009aull), "neigh_invalidate+0x9a");
    EXPECT_EQ(syms.name(0xffffffff81200500ull), "neigh_invalidate+0x500") << "data symbols are skipped";
    EXPECT_EQ(syms.name(0xffffffff81300000ull), "nf_hook_slow+0x0");
    EXPECT_EQ(syms.name(0xffffffffc0001010ull), "veth_xmit+0x10");
    EXPECT_EQ(syms.name(0), "");
    EXPECT_EQ(syms.name(0x1000), "") << "below the first symbol";
    EXPECT_EQ(syms.name(0xffffffffc0401010ull), "") << "far beyond the last symbol";
    unlink(path.c_str());
}

TEST(KernelSymbols, AnUnreadableTableNamesNothing) {
    KernelSymbols syms("/nonexistent/kallsyms");
    EXPECT_EQ(syms.name(0xffffffff8120009aull), "");
}
