// A small catalog (EU with two shards, BR, US) shared by the domain unit tests.
#pragma once

#include <gtest/gtest.h>

#include "domain/shard_map.h"

namespace domicile::testing {

inline Shard MakeShard(std::string id, std::string region, uint32_t weight = 100) {
  Shard s;
  s.id = std::move(id);
  s.region = std::move(region);
  s.address = "host=127.0.0.1 dbname=" + s.id;
  s.weight = weight;
  return s;
}

inline Tenant MakeTenant(std::string id, std::vector<std::string> allowed, std::string shard) {
  Tenant t;
  t.id = std::move(id);
  t.allowed = std::move(allowed);
  t.home_shard = std::move(shard);
  return t;
}

inline CatalogChange ThreeJurisdictions() {
  CatalogChange c;
  c.ops.push_back(PutJurisdiction{{"EU", "European Union", {"aws:eu-central-1", "azure:westeurope"}}});
  c.ops.push_back(PutJurisdiction{{"BR", "Brazil", {"aws:sa-east-1", "azure:brazilsouth"}}});
  c.ops.push_back(PutJurisdiction{{"US", "United States", {"aws:us-east-1"}}});
  c.ops.push_back(PutShard{MakeShard("eu-1", "aws:eu-central-1")});
  c.ops.push_back(PutShard{MakeShard("eu-2", "azure:westeurope")});
  c.ops.push_back(PutShard{MakeShard("br-1", "azure:brazilsouth")});
  c.ops.push_back(PutShard{MakeShard("us-1", "aws:us-east-1")});
  return c;
}

inline ShardMap BaseMap() {
  auto applied = ShardMap().Apply(ThreeJurisdictions());
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return applied->map;
}

inline ShardMap With(const ShardMap& map, CatalogOp op) {
  auto applied = map.Apply(CatalogChange{{std::move(op)}, {}});
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return applied.ok() ? applied->map : map;
}

}  // namespace domicile::testing
