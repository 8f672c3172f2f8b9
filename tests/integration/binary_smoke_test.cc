#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

TEST(BinarySmokeTest, DomicileBinaryRuns) {
  std::string cmd = std::string(DOMICILE_BINARY) + " --help > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
