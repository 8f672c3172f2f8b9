#include "domain/residency_policy.h"

#include <gtest/gtest.h>

#include "test_catalog.h"

namespace domicile {
namespace {

using testing::MakeShard;
using testing::MakeTenant;

TEST(ResidencyPolicyTest, AllowsShardInsideAllowedJurisdiction) {
  Shard eu = MakeShard("eu-1", "aws:eu-central-1");
  eu.jurisdiction = "EU";
  EXPECT_FALSE(ResidencyPolicy::CheckPlacement(MakeTenant("t", {"BR", "EU"}, "eu-1"), eu));
}

TEST(ResidencyPolicyTest, RefusalNamesRuleTenantShardAndJurisdictions) {
  Shard us = MakeShard("us-1", "aws:us-east-1");
  us.jurisdiction = "US";
  auto refusal = ResidencyPolicy::CheckPlacement(MakeTenant("coop", {"EU"}, "us-1"), us);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->rule, ResidencyRule::kShardInAllowedJurisdiction);
  Status st = refusal->ToStatus();
  EXPECT_EQ(st.code(), StatusCode::kPolicyRefused);
  for (const char* part : {"R2", "shard-in-allowed-jurisdiction", "coop", "us-1", "[EU]", "US"}) {
    EXPECT_NE(st.message().find(part), std::string::npos) << part << " in " << st.message();
  }
}

TEST(ResidencyPolicyTest, TenantWithoutJurisdictionIsRefusedUnderRuleOne) {
  Shard eu = MakeShard("eu-1", "aws:eu-central-1");
  eu.jurisdiction = "EU";
  auto refusal = ResidencyPolicy::CheckPlacement(MakeTenant("t", {}, "eu-1"), eu);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->rule, ResidencyRule::kAllowedJurisdictionRequired);
}

TEST(ResidencyPolicyTest, FlowsOnlyBetweenAllowedJurisdictions) {
  Tenant t = MakeTenant("t", {"BR", "EU"}, "eu-1");
  EXPECT_FALSE(ResidencyPolicy::CheckFlow(t, "EU", "BR"));
  EXPECT_FALSE(ResidencyPolicy::CheckFlow(t, "EU", "EU"));
  auto out = ResidencyPolicy::CheckFlow(t, "EU", "US");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->rule, ResidencyRule::kFlowInsideAllowed);
  EXPECT_NE(out->ToStatus().message().find("from EU to US"), std::string::npos);
  EXPECT_TRUE(ResidencyPolicy::CheckFlow(t, "US", "EU"));  // the source counts too
}

}  // namespace
}  // namespace domicile
