// CancelRegistry: a CancelRequest reaches a session only with that session's secret key.
#include "frontends/pgwire/router_context.h"

#include <gtest/gtest.h>

namespace domicile::pgwire {
namespace {

class CancelRegistryTest : public ::testing::Test {
 protected:
  std::shared_ptr<CancelSlot> NewSlot() { return std::make_shared<CancelSlot>(io_.get_executor()); }

  asio::io_context io_;
  CancelRegistry registry_;
};

TEST_F(CancelRegistryTest, TheRightSecretFindsTheSessionsSlot) {
  auto slot = NewSlot();
  auto [pid, secret] = registry_.Register(slot);
  EXPECT_GT(pid, 0);
  EXPECT_EQ(registry_.Lookup(pid, secret), slot);
}

TEST_F(CancelRegistryTest, AWrongSecretOrUnknownPidFindsNothing) {
  auto [pid, secret] = registry_.Register(NewSlot());
  EXPECT_EQ(registry_.Lookup(pid, secret ^ 1), nullptr);
  EXPECT_EQ(registry_.Lookup(pid + 1, secret), nullptr);
}

TEST_F(CancelRegistryTest, EachSessionGetsItsOwnKey) {
  auto first = NewSlot();
  auto second = NewSlot();
  auto a = registry_.Register(first);
  auto b = registry_.Register(second);
  EXPECT_NE(a.first, b.first);
  EXPECT_EQ(registry_.Lookup(a.first, a.second), first);
  EXPECT_EQ(registry_.Lookup(b.first, b.second), second);
}

TEST_F(CancelRegistryTest, AnUnregisteredSessionCannotBeCancelled) {
  auto [pid, secret] = registry_.Register(NewSlot());
  registry_.Unregister(pid);
  EXPECT_EQ(registry_.Lookup(pid, secret), nullptr);
}

}  // namespace
}  // namespace domicile::pgwire
