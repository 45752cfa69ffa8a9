// The trace writer's thread: everything handed over is written, in order,
// by the time it is destroyed; buffers come back empty for reuse.
#include <gtest/gtest.h>

#include <string>

#include "core/background_writer.h"

using namespace txray;

TEST(BackgroundWriter, WritesEveryBufferInOrderBeforeItIsGone) {
    std::string written, expected;
    int calls = 0;
    {
        BackgroundWriter w([&](std::string_view t) {
            written.append(t);
            ++calls;
        });
        std::string buf;
        for (int i = 0; i < 2000; ++i) {
            buf = "line " + std::to_string(i) + "\n";
            expected += buf;
            w.hand_over(buf);
            EXPECT_TRUE(buf.empty());
        }
        w.hand_over(buf);  // empty: nothing to write
    }
    EXPECT_EQ(written, expected);
    EXPECT_EQ(calls, 2000);
}
