// The CatalogStore contract: one suite that every catalog adapter (and the fake) must pass.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "contract/catalog_store_fixtures.h"
#include "fakes/in_memory_catalog_store.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

struct StoreFactory {
  std::string name;
  // Makes an empty store; `dir` outlives it.
  std::function<std::unique_ptr<CatalogStore>(const TempDir& dir)> make;
};

class CatalogStoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr);
  }

  // Loads, applies `change` and commits it at the loaded version; returns the applied change.
  AppliedChange CommitOrFail(const CatalogChange& change) {
    auto map = store_->Load();
    EXPECT_TRUE(map.ok()) << map.status().ToString();
    if (!map.ok()) return {};
    AppliedChange applied = ApplyOrFail(*map, change);
    Status st = store_->Commit(map->version(), applied, change.reason);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return applied;
  }

  ShardMap LoadOrFail() {
    auto map = store_->Load();
    EXPECT_TRUE(map.ok()) << map.status().ToString();
    return map.ok() ? std::move(map).value() : ShardMap();
  }

  TempDir dir_{"catalog-contract"};
  std::unique_ptr<CatalogStore> store_;
};

TEST_P(CatalogStoreContract, EmptyStoreIsVersionZero) {
  auto version = store_->CurrentVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 0u);
  ShardMap map = LoadOrFail();
  EXPECT_EQ(map.version(), 0u);
  EXPECT_TRUE(map.jurisdictions().empty());
  EXPECT_TRUE(map.SortedShards().empty());
  EXPECT_EQ(map.tenant_count(), 0u);
  auto changes = store_->ChangesSince(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->empty());
}

TEST_P(CatalogStoreContract, CommitThenLoadRoundTripsEveryField) {
  AppliedChange first = CommitOrFail(DemoCatalogChange());
  ExpectSameCatalog(LoadOrFail(), first.map);
  EXPECT_EQ(*store_->CurrentVersion(), 1u);

  // Replace a jurisdiction's name and regions, change shard and tenant states.
  CatalogChange second;
  second.ops.push_back(PutJurisdiction{
      {"EU", "Europe", {"aws:eu-central-1", "aws:eu-south-1", "gcp:europe-west3"}}});
  second.ops.push_back(SetShardState{"eu-1", ShardState::kDraining});
  second.ops.push_back(SetTenantState{"acme", TenantState::kMoving});
  AppliedChange applied = CommitOrFail(second);
  ShardMap loaded = LoadOrFail();
  ExpectSameCatalog(loaded, applied.map);
  EXPECT_EQ(loaded.version(), 2u);
  EXPECT_EQ(loaded.FindJurisdiction("EU")->regions.size(), 3u);
  EXPECT_EQ(loaded.FindShard("eu-1")->state, ShardState::kDraining);
  EXPECT_EQ(loaded.FindShard("eu-1")->weight, 150u);
  EXPECT_EQ(loaded.FindShard("eu-1")->capacity, 1000u);
  EXPECT_EQ(loaded.FindShard("br-1")->engine, Engine::kSqlite);
  EXPECT_EQ(loaded.FindShard("us-1")->state, ShardState::kOffline);
  const Tenant* acme = loaded.FindTenant("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->state, TenantState::kMoving);
  EXPECT_EQ(acme->version, 2u);
  EXPECT_EQ(acme->allowed, (std::vector<std::string>{"BR", "EU"}));
  EXPECT_EQ(loaded.FindTenant("globex")->version, 1u);
}

TEST_P(CatalogStoreContract, StaleExpectedVersionConflictsAndChangesNothing) {
  CommitOrFail(DemoCatalogChange());
  ShardMap v1 = LoadOrFail();
  AppliedChange winner = ApplyOrFail(v1, NewEuTenantChange("initech"));
  AppliedChange loser = ApplyOrFail(v1, NewEuTenantChange("hooli"));
  ASSERT_TRUE(store_->Commit(1, winner, "winner").ok());

  Status st = store_->Commit(1, loser, "loser");
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.ToString();
  EXPECT_NE(st.message().find("from version 1 to 2"), std::string::npos) << st.message();
  ShardMap after = LoadOrFail();
  ExpectSameCatalog(after, winner.map);
  EXPECT_EQ(after.FindTenant("hooli"), nullptr);
  auto changes = store_->ChangesSince(0, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ(changes->back().reason, "winner");
}

TEST_P(CatalogStoreContract, ChangeThatDoesNotFollowExpectedVersionIsRefused) {
  AppliedChange first = CommitOrFail(DemoCatalogChange());
  // Made from version 0 but presented as following version 1.
  Status st = store_->Commit(1, first, "replayed");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(*store_->CurrentVersion(), 1u);
}

TEST_P(CatalogStoreContract, NoOpChangeSucceedsWithoutWriting) {
  CommitOrFail(DemoCatalogChange());
  ShardMap v1 = LoadOrFail();
  AppliedChange noop = ApplyOrFail(v1, DemoCatalogChange());
  ASSERT_FALSE(noop.changed());
  EXPECT_TRUE(store_->Commit(1, noop, "again").ok());
  // Even at a stale version: nothing is written, so nothing can be overwritten.
  EXPECT_TRUE(store_->Commit(0, noop, "stale again").ok());
  EXPECT_EQ(*store_->CurrentVersion(), 1u);
  ExpectSameCatalog(LoadOrFail(), v1);
  EXPECT_EQ(store_->ChangesSince(0, 100)->size(), 1u);
}

TEST_P(CatalogStoreContract, ChangesSinceListsCommitsOldestFirst) {
  AppliedChange c1 = CommitOrFail(DemoCatalogChange());
  AppliedChange c2 = CommitOrFail(NewEuTenantChange("initech"));
  CommitOrFail(NewEuTenantChange("hooli"));

  auto all = store_->ChangesSince(0, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].version, i + 1);
  EXPECT_EQ((*all)[0].reason, "demo catalog");
  EXPECT_EQ((*all)[2].reason, "add hooli");
  ASSERT_EQ((*all)[0].ops.size(), c1.effective.size());
  for (size_t i = 0; i < c1.effective.size(); ++i) {
    EXPECT_EQ((*all)[0].ops[i], DescribeOp(c1.effective[i]));
  }
  EXPECT_EQ((*all)[1].ops, std::vector<std::string>{DescribeOp(c2.effective[0])});
  EXPECT_GT((*all)[0].committed_at_unix_ms, 1600000000000);

  auto after_one = store_->ChangesSince(1, 100);
  ASSERT_TRUE(after_one.ok());
  ASSERT_EQ(after_one->size(), 2u);
  EXPECT_EQ(after_one->front().version, 2u);
  auto limited = store_->ChangesSince(0, 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ(limited->back().version, 2u);
  EXPECT_TRUE(store_->ChangesSince(3, 100)->empty());
  EXPECT_TRUE(store_->ChangesSince(0, 0)->empty());
}

TEST_P(CatalogStoreContract, RemoveTenantDeletesItAndItsJurisdictions) {
  CommitOrFail(DemoCatalogChange());
  AppliedChange removed = CommitOrFail(CatalogChange{{RemoveTenant{"acme"}}, "remove acme"});
  ShardMap loaded = LoadOrFail();
  ExpectSameCatalog(loaded, removed.map);
  EXPECT_EQ(loaded.FindTenant("acme"), nullptr);
  EXPECT_EQ(loaded.TenantsOn("br-1"), 0u);
  EXPECT_EQ(store_->ChangesSince(1, 10)->front().ops,
            std::vector<std::string>{"remove tenant acme"});

  // Coming back with fewer jurisdictions keeps none of the old ones.
  Tenant back;
  back.id = "acme";
  back.allowed = {"EU"};
  back.home_shard = "eu-1";
  AppliedChange readded = CommitOrFail(CatalogChange{{PutTenant{back}}, "re-add acme"});
  ExpectSameCatalog(LoadOrFail(), readded.map);
  EXPECT_EQ(LoadOrFail().FindTenant("acme")->allowed, std::vector<std::string>{"EU"});
}

std::unique_ptr<CatalogStore> MakeInMemory(const TempDir&) {
  return std::make_unique<InMemoryCatalogStore>();
}

std::unique_ptr<CatalogStore> MakeSqlite(const TempDir& dir) {
  auto store = SqliteCatalogStore::Open(dir.Sub("catalog.db"));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(AllCatalogStores, CatalogStoreContract,
                         ::testing::Values(StoreFactory{"InMemory", MakeInMemory},
                                           StoreFactory{"Sqlite", MakeSqlite}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace domicile::testing
