#include "app/catalog_service.h"

#include <gtest/gtest.h>

#include "fakes/in_memory_catalog_store.h"

namespace domicile {
namespace {

using testing::InMemoryCatalogStore;

Topology Base() {
  Topology t;
  t.source = "demo.toml";
  t.jurisdictions.push_back({{"EU", "European Union", {"aws:eu-central-1", "azure:westeurope"}}, 1});
  t.jurisdictions.push_back({{"US", "United States", {"aws:us-east-1"}}, 5});
  auto shard = [](std::string id, std::string region) {
    Shard s;
    s.id = std::move(id);
    s.region = std::move(region);
    s.address = "host=127.0.0.1 dbname=" + s.id;
    return s;
  };
  t.shards.push_back({shard("eu-1", "aws:eu-central-1"), 10});
  t.shards.push_back({shard("eu-2", "azure:westeurope"), 15});
  t.shards.push_back({shard("us-1", "aws:us-east-1"), 20});
  return t;
}

TEST(CatalogServiceTest, TopologyPlacementSpreadsTenantsDeterministically) {
  InMemoryCatalogStore store;
  Topology t = Base();
  for (int i = 0; i < 4; ++i) t.tenants.push_back({"coop-" + std::to_string(i), {"EU"}, {}, 30 + i});
  auto report = CatalogService(store).ApplyTopology(t);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto map = store.Load();
  EXPECT_EQ(map->FindTenant("coop-0")->home_shard, "eu-1");
  EXPECT_EQ(map->FindTenant("coop-1")->home_shard, "eu-2");
  EXPECT_EQ(map->FindTenant("coop-2")->home_shard, "eu-1");
  EXPECT_EQ(map->FindTenant("coop-3")->home_shard, "eu-2");
}

TEST(CatalogServiceTest, ApplyingTheSameTopologyTwiceIsANoOp) {
  InMemoryCatalogStore store;
  Topology t = Base();
  t.tenants.push_back({"coop-a", {"EU"}, {}, 30});
  CatalogService service(store);
  auto first = service.ApplyTopology(t);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->new_version, 1u);
  // A tenant added meanwhile changes loads; the file's placed tenant must not move.
  ASSERT_TRUE(service.AddTenant("other", {"EU"}, std::string("eu-2")).ok());
  auto second = service.ApplyTopology(t);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->new_version, second->old_version);
  EXPECT_TRUE(second->changes.empty());
}

TEST(CatalogServiceTest, ProblemsCarryFileAndLineAndNothingIsWritten) {
  InMemoryCatalogStore store;
  Topology t = Base();
  t.shards[2].shard.region = "gcp:mars-1";
  t.tenants.push_back({"nowhere", {}, {}, 40});
  t.tenants.push_back({"wrong", {"EU"}, std::string("us-1"), 44});
  auto report = CatalogService(store).ApplyTopology(t);
  ASSERT_FALSE(report.ok());
  const std::string& text = report.status().message();
  EXPECT_NE(text.find("demo.toml:20: "), std::string::npos) << text;
  EXPECT_NE(text.find("demo.toml:40: "), std::string::npos) << text;
  EXPECT_NE(text.find("demo.toml:44: "), std::string::npos) << text;
  EXPECT_EQ(store.CurrentVersion().value(), 0u);
  EXPECT_EQ(store.commit_calls(), 0);
}

TEST(CatalogServiceTest, AddTenantWithShardOutsideItsJurisdictionsIsRefused) {
  InMemoryCatalogStore store;
  CatalogService service(store);
  ASSERT_TRUE(service.ApplyTopology(Base()).ok());
  auto refused = service.AddTenant("coop", {"EU"}, std::string("us-1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPolicyRefused);
  EXPECT_EQ(store.CurrentVersion().value(), 1u);
}

TEST(CatalogServiceTest, AddTenantTwiceIsIdempotentButNotAMove) {
  InMemoryCatalogStore store;
  CatalogService service(store);
  ASSERT_TRUE(service.ApplyTopology(Base()).ok());
  auto first = service.AddTenant("coop", {"EU"}, std::nullopt);
  ASSERT_TRUE(first.ok());
  auto again = service.AddTenant("COOP", {"eu"}, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->home_shard, first->home_shard);
  auto moved = service.AddTenant("coop", {"EU"}, std::string("eu-2"));
  EXPECT_EQ(moved.status().code(), StatusCode::kAlreadyExists);
}

TEST(CatalogServiceTest, RetriesALostCompareAndSet) {
  InMemoryCatalogStore store;
  CatalogService service(store);
  ASSERT_TRUE(service.ApplyTopology(Base()).ok());
  // A second writer commits between our load and our commit: CAS fails once, then succeeds.
  class RacingStore final : public CatalogStore {
   public:
    explicit RacingStore(InMemoryCatalogStore& inner) : inner_(inner) {}
    Result<ShardMap> Load() override { return inner_.Load(); }
    Result<uint64_t> CurrentVersion() override { return inner_.CurrentVersion(); }
    Status Commit(uint64_t expected, const AppliedChange& change, const std::string& r) override {
      if (!raced_) {
        raced_ = true;
        EXPECT_TRUE(CatalogService(inner_).AddTenant("racer", {"US"}, std::nullopt).ok());
      }
      return inner_.Commit(expected, change, r);
    }
    Result<std::vector<ChangeRecord>> ChangesSince(uint64_t v, size_t n) override {
      return inner_.ChangesSince(v, n);
    }
   private:
    InMemoryCatalogStore& inner_;
    bool raced_ = false;
  } racing(store);
  auto added = CatalogService(racing).AddTenant("coop", {"EU"}, std::nullopt);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(store.CurrentVersion().value(), 3u);
  EXPECT_NE(store.Load()->FindTenant("racer"), nullptr);
}

TEST(CatalogServiceTest, DrainedShardTakesNoNewTenants) {
  InMemoryCatalogStore store;
  CatalogService service(store);
  ASSERT_TRUE(service.ApplyTopology(Base()).ok());
  ASSERT_TRUE(service.SetShardState("eu-1", ShardState::kDraining).ok());
  EXPECT_EQ(service.AddTenant("a", {"EU"}, std::nullopt)->home_shard, "eu-2");
  EXPECT_EQ(service.AddTenant("b", {"EU"}, std::string("eu-1")).status().code(),
            StatusCode::kPolicyRefused);
}

}  // namespace
}  // namespace domicile
