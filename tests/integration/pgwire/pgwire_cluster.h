// PgwireCluster and PgwireTest: the PostgreSQL shards, topology and router the front-door
// integration suites share.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "domain/catalog_change.h"
#include "domain/shard_map.h"
#include "support/child_process.h"
#include "support/pg_server.h"
#include "support/router_process.h"

namespace domicile::testing {

// One shard: a database on one of the cluster's servers.
struct ShardDb {
  std::string id;
  PgServer* server;
  std::string db;
};

// Two PostgreSQL servers holding three shards: eu-1 and us-1 on server A, br-1 on server B,
// so killing B takes down one shard only. Tenants: e1 e2 101 102 on eu-1, u1 301 on us-1,
// b1 b2 201 202 on br-1. Every shard database has the same tables (see Create()).
// Started on first use from the gtest main thread and kept until the test binary exits, so
// the suites pay for initdb once. Not thread-safe.
class PgwireCluster {
 public:
  // Throws std::runtime_error when the servers cannot start.
  static PgwireCluster& Get();

  PgServer& server_a() { return *a_; }
  PgServer& server_b() { return *b_; }
  const std::vector<ShardDb>& shards() const { return shards_; }
  const ShardDb& shard(const std::string& id) const;
  // The TOML topology placing the tenants above.
  std::string Topology() const;
  // `sql`'s scalar on each shard: shard id -> value.
  std::map<std::string, std::string> ScalarOnEachShard(const std::string& sql);
  void ExecOnEachShard(const std::string& sql);
  // The shard of a tenant by the placement above.
  static std::string ShardOf(const std::string& tenant);

 private:
  PgwireCluster();
  void Create();

  std::unique_ptr<PgServer> a_;
  std::unique_ptr<PgServer> b_;
  std::vector<ShardDb> shards_;
};

// Base fixture: each suite starts its own router (with its own settings) in
// SetUpTestSuite over the shared cluster; a failed start is recorded so every test of the
// suite fails with the reason. Two network threads by default (connections move between
// threads); the pgbench, driver and psql suites run one, serve's default on two cores,
// where Asio skips its per-socket locks.
class PgwireTest : public ::testing::Test {
 protected:
  static void StartRouter(const std::string& settings, int workers = 2);
  static void StopRouter() { router_.reset(); }
  void SetUp() override;
  void TearDown() override;

  static RouterProcess& router() { return *router_; }
  // The router's conninfo with the tenant chosen by startup option.
  static std::string ConninfoFor(const std::string& tenant) {
    return router().Conninfo() + " options='-c domicile.tenant=" + tenant + "'";
  }
  static PgwireCluster& cluster() { return PgwireCluster::Get(); }
  // Commits the change `make` builds from the current map to the running router's catalog,
  // through the store as `catalog apply` or a mover does. The router sees it within its
  // catalog_ttl_ms.
  static void ChangeRouterCatalog(const std::function<CatalogChange(const ShardMap&)>& make);

  // psql through the router: -X -At, ON_ERROR_STOP, VERBOSITY=verbose (errors carry their
  // SQLSTATE: "ERROR:  0A000: ..."), then `args`.
  static ProcessResult Psql(const std::vector<std::string>& args,
                            const std::vector<std::string>& env = {},
                            const std::string& stdin_text = "",
                            const std::string& user = "app");

 private:
  static inline std::unique_ptr<RouterProcess> router_;
  static inline std::string setup_error_;
};

}  // namespace domicile::testing
