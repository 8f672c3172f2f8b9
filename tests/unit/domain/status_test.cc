#include "domain/status.h"

#include <gtest/gtest.h>

namespace domicile {
namespace {

TEST(StatusTest, DefaultIsOkAndCarriesNoMessage) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.ToString(), "OK");
}

TEST(StatusTest, ErrorsNameTheirCodeAndMapToSqlState) {
  Status st = NotFound("unknown tenant 'x'");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.ToString(), "NotFound: unknown tenant 'x'");
  EXPECT_EQ(SqlState(st.code()), "42704");
  EXPECT_EQ(SqlState(StatusCode::kPolicyRefused), "42501");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Unavailable("shard eu-1 down");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace domicile
