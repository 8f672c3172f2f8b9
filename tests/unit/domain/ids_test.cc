#include "domain/ids.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace domicile {
namespace {

TEST(IdsTest, TenantIdsAreFoldedToLowerCase) {
  auto id = NormalizeId("tenant", "Coop-Lisboa");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "coop-lisboa");
}

TEST(IdsTest, RefusesEmptyTooLongAndNonPrintableIds) {
  EXPECT_EQ(NormalizeId("tenant", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(NormalizeId("tenant", std::string(63, 'a')).ok());
  auto too_long = NormalizeId("tenant", std::string(64, 'a'));
  EXPECT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("longer than 63"), std::string::npos);
  auto ctrl = NormalizeId("tenant", std::string("ab\x01", 3));
  ASSERT_FALSE(ctrl.ok());
  EXPECT_NE(ctrl.status().message().find("\\x01"), std::string::npos);  // shown escaped
  EXPECT_FALSE(NormalizeId("tenant", "a b").ok());
  EXPECT_FALSE(NormalizeId("tenant", "caf\xc3\xa9").ok());
  EXPECT_FALSE(NormalizeId("shard", "-leading").ok());
  EXPECT_FALSE(NormalizeId("shard", "x;drop").ok());
}

TEST(IdsTest, IsNormalizedIdIsTrueExactlyWhenNormalizingChangesNothing) {
  // NormalizeId is the definition: the shortcut must agree with it on every text.
  std::vector<std::string> texts = {"",
                                    "a",
                                    "17",
                                    "coop-lisboa",
                                    "Coop-Lisboa",
                                    "a.b_c-d",
                                    "-leading",
                                    ".x",
                                    "_x",
                                    "a b",
                                    "x;drop",
                                    "caf\xc3\xa9",
                                    std::string(63, 'a'),
                                    std::string(64, 'a'),
                                    "A",
                                    std::string("ab\x01", 3),
                                    std::string("a\0b", 3)};
  for (int c = 0; c < 256; ++c) {
    texts.push_back(std::string(1, static_cast<char>(c)));
    texts.push_back("a" + std::string(1, static_cast<char>(c)));
  }
  for (const std::string& text : texts) {
    auto normalized = NormalizeId("tenant", text);
    EXPECT_EQ(IsNormalizedId(text), normalized.ok() && *normalized == text) << text;
  }
}

TEST(IdsTest, ErrorNamesTheKindOfId) {
  auto st = NormalizeId("shard", "").status();
  EXPECT_NE(st.message().find("shard id"), std::string::npos);
}

TEST(IdsTest, JurisdictionCodesAreUpperCase) {
  EXPECT_EQ(*NormalizeJurisdictionCode("eu"), "EU");
  EXPECT_FALSE(NormalizeJurisdictionCode("E").ok());
  EXPECT_FALSE(NormalizeJurisdictionCode("E U").ok());
  EXPECT_FALSE(NormalizeJurisdictionCode(std::string(17, 'X')).ok());
}

TEST(IdsTest, RegionsNeedProviderAndRegion) {
  EXPECT_EQ(*NormalizeRegion("AWS:EU-Central-1"), "aws:eu-central-1");
  EXPECT_FALSE(NormalizeRegion("eu-central-1").ok());
  EXPECT_FALSE(NormalizeRegion(":eu").ok());
  EXPECT_FALSE(NormalizeRegion("aws:").ok());
  EXPECT_FALSE(NormalizeRegion("aws:eu:1").ok());
  EXPECT_EQ(RegionProvider("azure:brazilsouth"), "azure");
}

}  // namespace
}  // namespace domicile
