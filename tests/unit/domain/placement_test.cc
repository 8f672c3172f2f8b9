#include "domain/placement.h"

#include <gtest/gtest.h>

#include "test_catalog.h"

namespace domicile {
namespace {

using testing::BaseMap;
using testing::MakeShard;
using testing::MakeTenant;
using testing::With;

TEST(PlacementTest, PicksOnlyShardsInsideAllowedJurisdictions) {
  ShardMap map = BaseMap();
  auto br = Placement::Choose(map, {"BR"});
  ASSERT_TRUE(br.ok());
  EXPECT_EQ((*br)->id, "br-1");
}

TEST(PlacementTest, TiesGoToTheSmallestShardId) {
  ShardMap map = BaseMap();  // eu-1 and eu-2 both empty, same weight
  EXPECT_EQ((*Placement::Choose(map, {"EU"}))->id, "eu-1");
  EXPECT_EQ((*Placement::Choose(map, {"EU", "US"}))->id, "eu-1");
}

TEST(PlacementTest, PicksLeastLoadedThenBalances) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("a", {"EU"}, "eu-1")});
  EXPECT_EQ((*Placement::Choose(map, {"EU"}))->id, "eu-2");
  map = With(map, PutTenant{MakeTenant("b", {"EU"}, "eu-2")});
  EXPECT_EQ((*Placement::Choose(map, {"EU"}))->id, "eu-1");
}

TEST(PlacementTest, LoadIsTenantsPerWeight) {
  ShardMap map = With(BaseMap(), PutShard{MakeShard("eu-2", "azure:westeurope", 300)});
  // eu-1 (weight 100) holds 1 tenant, eu-2 (weight 300) holds 2: 1/100 > 2/300, so eu-2.
  map = With(map, PutTenant{MakeTenant("a", {"EU"}, "eu-1")});
  map = With(map, PutTenant{MakeTenant("b", {"EU"}, "eu-2")});
  map = With(map, PutTenant{MakeTenant("c", {"EU"}, "eu-2")});
  EXPECT_EQ((*Placement::Choose(map, {"EU"}))->id, "eu-2");
}

TEST(PlacementTest, SkipsDrainingAndFullShardsAndSaysWhy) {
  ShardMap map = With(BaseMap(), SetShardState{"eu-1", ShardState::kDraining});
  Shard full = MakeShard("eu-2", "azure:westeurope");
  full.capacity = 1;
  map = With(map, PutShard{full});
  EXPECT_EQ((*Placement::Choose(map, {"EU"}))->id, "eu-2");
  map = With(map, PutTenant{MakeTenant("a", {"EU"}, "eu-2")});
  auto refused = Placement::Choose(map, {"EU"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPolicyRefused);
  EXPECT_NE(refused.status().message().find("eu-1 is draining"), std::string::npos);
  EXPECT_NE(refused.status().message().find("eu-2 is full"), std::string::npos);
}

TEST(PlacementTest, RefusesWhenJurisdictionHasNoShardOrIsUnknown) {
  CatalogChange c = testing::ThreeJurisdictions();
  c.ops.push_back(PutJurisdiction{{"CH", "Switzerland", {"gcp:europe-west6"}}});
  ShardMap map = ShardMap().Apply(c)->map;
  auto none = Placement::Choose(map, {"CH"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no shard in these jurisdictions"), std::string::npos);
  EXPECT_EQ(Placement::Choose(map, {"XX"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Placement::Choose(map, {}).status().code(), StatusCode::kPolicyRefused);
}

}  // namespace
}  // namespace domicile
