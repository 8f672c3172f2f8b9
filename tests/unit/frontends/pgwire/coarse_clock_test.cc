#include "frontends/pgwire/coarse_clock.h"

#include <gtest/gtest.h>

namespace domicile::pgwire {
namespace {

// Pool bookkeeping mixes it with steady_clock (connections are stamped with the fine clock
// when made): the two must share an epoch, the coarse one trailing by a tick at most.
TEST(CoarseClockTest, ReadsSteadyClockTimeToWithinATick) {
  for (int i = 0; i < 100; ++i) {
    auto before = std::chrono::steady_clock::now();
    auto coarse = CoarseSteadyNow();
    auto after = std::chrono::steady_clock::now();
    EXPECT_LE(coarse, after);
    EXPECT_GT(coarse, before - std::chrono::milliseconds(20));
  }
}

}  // namespace
}  // namespace domicile::pgwire
