// ParseLsn / FormatLsn: PostgreSQL's "X/Y" text form of WAL positions.
#include "adapters/move/postgres/lsn.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace domicile::pgmove {
namespace {

TEST(LsnTest, ParsesHighAndLowHalves) {
  Result<Lsn> lsn = ParseLsn("16/B374D848");
  ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
  EXPECT_EQ(*lsn, 0x16B374D848u);
  EXPECT_EQ(*ParseLsn("0/0"), 0u);
  EXPECT_EQ(*ParseLsn("ffffffff/FFFFFFFF"), UINT64_MAX);
  EXPECT_EQ(*ParseLsn("0/00000001"), 1u);
}

TEST(LsnTest, FormatsLikePostgres) {
  EXPECT_EQ(FormatLsn(0x16B374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(FormatLsn(0x16B3748), "0/16B3748");
  EXPECT_EQ(FormatLsn(UINT64_MAX), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, RejectsMalformedText) {
  for (const char* bad : {"", "/", "16", "16/", "/B3", "16/B374D848/1", "g/1", "1/-1", " 1/1",
                          "1/1 ", "+1/1", "0x1/1", "123456789/0", "0/123456789"}) {
    Result<Lsn> lsn = ParseLsn(bad);
    ASSERT_FALSE(lsn.ok()) << "'" << bad << "' parsed";
    EXPECT_EQ(lsn.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(lsn.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << lsn.status().message();
  }
}

RC_GTEST_PROP(LsnTest, FormatThenParseRoundTrips, (uint64_t lsn)) {
  Result<Lsn> parsed = ParseLsn(FormatLsn(lsn));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == lsn);
}

}  // namespace
}  // namespace domicile::pgmove
