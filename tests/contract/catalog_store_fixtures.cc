// Catalog data and comparisons shared by the CatalogStore contract suite and adapter tests.
#include "contract/catalog_store_fixtures.h"

#include <gtest/gtest.h>

namespace domicile::testing {
namespace {

Shard FixtureShard(std::string id, Engine engine, std::string region, std::string address,
                   ShardState state, uint32_t weight, uint32_t capacity) {
  Shard s;
  s.id = std::move(id);
  s.engine = engine;
  s.region = std::move(region);
  s.address = std::move(address);
  s.state = state;
  s.weight = weight;
  s.capacity = capacity;
  return s;
}

}  // namespace

CatalogChange DemoCatalogChange() {
  CatalogChange c;
  c.reason = "demo catalog";
  c.ops.push_back(
      PutJurisdiction{{"EU", "European Union", {"aws:eu-central-1", "gcp:europe-west3"}}});
  c.ops.push_back(PutJurisdiction{{"BR", "Brazil", {"aws:sa-east-1"}}});
  c.ops.push_back(PutJurisdiction{{"US", "United States", {"aws:us-east-1"}}});
  c.ops.push_back(
      PutShard{FixtureShard("eu-1", Engine::kPostgres, "aws:eu-central-1",
                            "host=10.0.0.1 dbname=eu1", ShardState::kActive, 150, 1000)});
  c.ops.push_back(PutShard{FixtureShard("br-1", Engine::kSqlite, "aws:sa-east-1",
                                        "/var/lib/domicile/br-1.db", ShardState::kActive, 40, 0)});
  c.ops.push_back(PutShard{FixtureShard("eu-2", Engine::kPostgres, "gcp:europe-west3",
                                        "host=10.0.0.2", ShardState::kDraining, 7, 3)});
  c.ops.push_back(PutShard{FixtureShard("us-1", Engine::kPostgres, "aws:us-east-1", "host=10.0.1.1",
                                        ShardState::kOffline, 100, 0)});
  Tenant acme;
  acme.id = "acme";
  acme.allowed = {"EU", "BR"};
  acme.home_shard = "br-1";
  acme.state = TenantState::kFrozen;
  c.ops.push_back(PutTenant{acme});
  Tenant globex;
  globex.id = "globex";
  globex.allowed = {"EU"};
  globex.home_shard = "eu-1";
  c.ops.push_back(PutTenant{globex});
  return c;
}

CatalogChange NewEuTenantChange(const std::string& id) {
  Tenant t;
  t.id = id;
  t.allowed = {"EU"};
  t.home_shard = "eu-1";
  CatalogChange c;
  c.reason = "add " + id;
  c.ops.push_back(PutTenant{t});
  return c;
}

AppliedChange ApplyOrFail(const ShardMap& map, const CatalogChange& change) {
  auto applied = map.Apply(change);
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return applied.ok() ? std::move(applied).value() : AppliedChange{map, {}};
}

void CommitOrFail(CatalogStore& store, const CatalogChange& change) {
  auto map = store.Load();
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  auto applied = map->Apply(change);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  Status st = store.Commit(map->version(), *applied, change.reason);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

void ExpectSameCatalog(const ShardMap& actual, const ShardMap& expected) {
  EXPECT_EQ(actual.version(), expected.version());
  EXPECT_EQ(actual.jurisdictions(), expected.jurisdictions());
  auto as = actual.SortedShards();
  auto es = expected.SortedShards();
  ASSERT_EQ(as.size(), es.size());
  for (size_t i = 0; i < as.size(); ++i) {
    EXPECT_EQ(*as[i], *es[i]) << "shard " << es[i]->id << " differs";
    EXPECT_EQ(actual.TenantsOn(es[i]->id), expected.TenantsOn(es[i]->id)) << es[i]->id;
  }
  auto at = actual.SortedTenants();
  auto et = expected.SortedTenants();
  ASSERT_EQ(at.size(), et.size());
  for (size_t i = 0; i < at.size(); ++i) {
    EXPECT_EQ(*at[i], *et[i]) << "tenant " << et[i]->id << " differs";
  }
}

}  // namespace domicile::testing
