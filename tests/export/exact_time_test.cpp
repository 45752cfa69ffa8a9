#include <gtest/gtest.h>

#include <climits>

#include "export/exact_time.h"

using txray::exact_us;

TEST(ExactTime, PrintsMicrosecondsExactlyFromNanoseconds) {
    EXPECT_EQ(exact_us(0), "0.000");
    EXPECT_EQ(exact_us(5), "0.005");
    EXPECT_EQ(exact_us(1'234'567), "1234.567");
    EXPECT_EQ(exact_us(-1'500), "-1.500");
    // Beyond double precision: 2^63-1 ns.
    EXPECT_EQ(exact_us(LLONG_MAX), "9223372036854775.807");
    EXPECT_EQ(exact_us(LLONG_MIN), "-9223372036854775.808");
}
