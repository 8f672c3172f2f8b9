#include "domain/shard_map.h"

#include <gtest/gtest.h>

#include "test_catalog.h"

namespace domicile {
namespace {

using testing::BaseMap;
using testing::MakeShard;
using testing::MakeTenant;
using testing::With;

TEST(ShardMapTest, EmptyMapIsVersionZero) {
  ShardMap map;
  EXPECT_EQ(map.version(), 0u);
  EXPECT_EQ(map.Resolve("x").status().code(), StatusCode::kNotFound);
}

TEST(ShardMapTest, ShardJurisdictionIsDerivedFromRegion) {
  ShardMap map = BaseMap();
  EXPECT_EQ(map.version(), 1u);
  EXPECT_EQ(map.FindShard("br-1")->jurisdiction, "BR");
  EXPECT_EQ(map.FindShard("eu-2")->jurisdiction, "EU");
  EXPECT_EQ(map.FindShard("eu-2")->provider(), "azure");
}

TEST(ShardMapTest, ResolvesTenantToItsShard) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("Coop-Lisboa", {"eu"}, "EU-2")});
  auto route = map.Resolve("coop-lisboa");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->shard->id, "eu-2");
  EXPECT_EQ(route->tenant->allowed, std::vector<std::string>{"EU"});
  EXPECT_EQ(route->tenant->version, map.version());
  auto missing = map.Resolve("nobody");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "unknown tenant 'nobody'");
}

TEST(ShardMapTest, ApplyingTheSameChangeTwiceKeepsTheVersion) {
  ShardMap map = BaseMap();
  auto again = map.Apply(testing::ThreeJurisdictions());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(again->map.version(), map.version());
}

TEST(ShardMapTest, EffectiveOpsAreNormalisedCompleteEntities) {
  ShardMap map = BaseMap();
  auto applied = map.Apply(CatalogChange{{SetShardState{"EU-1", ShardState::kDraining},
                                          PutTenant{MakeTenant("T1", {"br"}, "br-1")}},
                                         {}});
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->effective.size(), 2u);
  auto& shard = std::get<PutShard>(applied->effective[0]).shard;
  EXPECT_EQ(shard.id, "eu-1");
  EXPECT_EQ(shard.state, ShardState::kDraining);
  EXPECT_EQ(shard.jurisdiction, "EU");
  auto& tenant = std::get<PutTenant>(applied->effective[1]).tenant;
  EXPECT_EQ(tenant.id, "t1");
  EXPECT_EQ(tenant.version, map.version() + 1);
}

// "held" (a move's cutover) is an ordinary state: set, resolved, bumps the tenant's version.
TEST(ShardMapTest, TenantStatesRoundTripAndHeldResolvesLikeAnyOther) {
  for (TenantState s :
       {TenantState::kActive, TenantState::kMoving, TenantState::kFrozen, TenantState::kHeld}) {
    EXPECT_EQ(ParseTenantState(TenantStateName(s)), s);
  }
  EXPECT_EQ(TenantStateName(TenantState::kHeld), "held");
  EXPECT_FALSE(ParseTenantState("Held").has_value());
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("t1", {"EU"}, "eu-1")});
  ShardMap held = With(map, SetTenantState{"t1", TenantState::kHeld});
  auto route = held.Resolve("t1");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->tenant->state, TenantState::kHeld);
  EXPECT_EQ(route->tenant->version, map.version() + 1);
  EXPECT_EQ(route->shard->id, "eu-1");
}

TEST(ShardMapTest, RefusesTenantOnShardOutsideItsJurisdictions) {
  ShardMap map = BaseMap();
  auto applied = map.Apply(CatalogChange{{PutTenant{MakeTenant("t", {"EU"}, "us-1")}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kPolicyRefused);
  EXPECT_NE(applied.status().message().find("R2"), std::string::npos);
}

TEST(ShardMapTest, RefusesTenantWithoutJurisdiction) {
  auto applied = BaseMap().Apply(CatalogChange{{PutTenant{MakeTenant("t", {}, "eu-1")}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kPolicyRefused);
  EXPECT_NE(applied.status().message().find("R1"), std::string::npos);
}

TEST(ShardMapTest, RefusesShardInUnknownRegion) {
  auto applied = BaseMap().Apply(CatalogChange{{PutShard{MakeShard("x-1", "gcp:mars-1")}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(applied.status().message().find("gcp:mars-1"), std::string::npos);
}

TEST(ShardMapTest, ARegionBelongsToOneJurisdiction) {
  auto applied = BaseMap().Apply(
      CatalogChange{{PutJurisdiction{{"DE", "Germany", {"aws:eu-central-1"}}}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("already belongs to EU"), std::string::npos);
}

TEST(ShardMapTest, AJurisdictionCannotDropARegionInUse) {
  auto applied = BaseMap().Apply(
      CatalogChange{{PutJurisdiction{{"EU", "European Union", {"aws:eu-central-1"}}}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("shard eu-2"), std::string::npos);
}

TEST(ShardMapTest, MovingAShardAcrossBordersWithTenantsIsRefused) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("t", {"EU"}, "eu-1")});
  auto applied = map.Apply(CatalogChange{{PutShard{MakeShard("eu-1", "aws:us-east-1")}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kPolicyRefused);
  EXPECT_EQ(map.FindShard("eu-1")->region, "aws:eu-central-1");  // the old map is untouched
}

TEST(ShardMapTest, ListsEveryProblemAndWritesNothing) {
  ShardMap map = BaseMap();
  CatalogChange c{{PutShard{MakeShard("x-1", "gcp:nowhere-1")},
                   PutTenant{MakeTenant("ok", {"EU"}, "eu-1")},
                   PutTenant{MakeTenant("bad", {"EU"}, "br-1")},
                   PutTenant{MakeTenant("", {"EU"}, "eu-1")}},
                  {}};
  auto problems = map.Check(c);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].op_index, 0u);
  EXPECT_EQ(problems[1].op_index, 2u);
  EXPECT_EQ(problems[2].op_index, 3u);
  auto applied = map.Apply(c);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(map.FindTenant("ok"), nullptr);
}

TEST(ShardMapTest, NewTenantsAvoidDrainingShardsButResidentsStay) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("resident", {"EU"}, "eu-1")});
  map = With(map, SetShardState{"eu-1", ShardState::kDraining});
  EXPECT_EQ(map.Resolve("resident")->shard->id, "eu-1");
  auto applied = map.Apply(CatalogChange{{PutTenant{MakeTenant("new", {"EU"}, "eu-1")}}, {}});
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("draining"), std::string::npos);
}

TEST(ShardMapTest, TenantCountsFollowMovesAndRemovals) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("t", {"EU"}, "eu-1")});
  EXPECT_EQ(map.TenantsOn("eu-1"), 1u);
  map = With(map, PutTenant{MakeTenant("t", {"EU"}, "eu-2")});
  EXPECT_EQ(map.TenantsOn("eu-1"), 0u);
  EXPECT_EQ(map.TenantsOn("eu-2"), 1u);
  map = With(map, RemoveTenant{"t"});
  EXPECT_EQ(map.TenantsOn("eu-2"), 0u);
  EXPECT_EQ(map.tenant_count(), 0u);
}

TEST(ShardMapTest, BuildChecksStoredRows) {
  ShardMap map = With(BaseMap(), PutTenant{MakeTenant("t", {"EU"}, "eu-1")});
  std::vector<Shard> shards;
  for (auto* s : map.SortedShards()) shards.push_back(*s);
  auto rebuilt = ShardMap::Build(7, map.jurisdictions(), shards, {*map.FindTenant("t")});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(rebuilt->version(), 7u);
  EXPECT_EQ(rebuilt->Resolve("t")->shard->id, "eu-1");

  Tenant stray = MakeTenant("stray", {"EU"}, "nowhere");
  auto broken = ShardMap::Build(7, map.jurisdictions(), shards, {stray});
  EXPECT_EQ(broken.status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace domicile
