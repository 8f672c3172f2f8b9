// MoveCluster and TenantWriter: two PostgreSQL shard servers, a router over them, and
// clients that keep writing tenants' rows through the router while a move runs.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/pg_server.h"
#include "support/router_process.h"

namespace domicile::testing {

// Shards: eu-a (server A, db eua), eu-b (server B, db eub), us-1 (server A, db us1),
// eu-c (server B, db euc, lacks the `events` table), eu-down (a closed port).
// Tenants m1 m2 m3 on eu-a, s1 on eu-b (all EU), u1 on us-1, z1 on eu-down.
// Tables on every shard but eu-c: accounts(tenant_id, id, balance, note) and
// events(tenant_id, id, kind), both with primary key (tenant_id, id).
class MoveCluster {
 public:
  MoveCluster();
  ~MoveCluster();

  PgServer& ServerOf(const std::string& shard);
  std::string DbOf(const std::string& shard) const;
  std::string Scalar(const std::string& shard, const std::string& sql);
  PgRows Rows(const std::string& shard, const std::string& sql);
  RouterProcess& router() { return *router_; }
  std::string DataDir() const;  // the router's --data (catalog.db)
  std::string RouterConninfo(const std::string& tenant) const;

  // `domicile ARGS --data DIR` with a timeout; env entries "NAME=value".
  ProcessResult Domicile(std::vector<std::string> args, const std::vector<std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(120));
  // The shard the catalog names for `tenant` (`domicile where`).
  std::string HomeOf(const std::string& tenant);
  // Inserts `rows` accounts and events rows for `tenant` directly on `shard`.
  void Seed(const std::string& shard, const std::string& tenant, int rows);

 private:
  std::unique_ptr<PgServer> a_;
  std::unique_ptr<PgServer> b_;
  std::unique_ptr<RouterProcess> router_;
};

// A client that keeps writing one tenant's rows through the router (inserts, updates,
// deletes, two-table transactions) and keeps, as the model, exactly the writes the router
// acknowledged. Failed statements are counted and retried on a new connection.
class TenantWriter {
 public:
  TenantWriter(std::string conninfo, std::string tenant, int first_id);
  ~TenantWriter();
  void Start();
  void Stop();  // joins

  // Acknowledged state: account id -> balance, and event ids.
  std::map<int, long> accounts() const;
  std::set<int> events() const;
  int errors() const { return errors_.load(); }
  int ambiguous() const { return ambiguous_.load(); }  // outcome unknown (connection lost)
  int acknowledged() const { return acked_.load(); }
  std::string last_error() const;

 private:
  void Loop();

  std::string conninfo_;
  std::string tenant_;
  int next_id_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<int, long> accounts_;
  std::set<int> events_;
  std::string last_error_;
  std::atomic<int> errors_{0};
  std::atomic<int> ambiguous_{0};
  std::atomic<int> acked_{0};
};

// The tenant's rows on a shard, in the model's shapes.
std::map<int, long> AccountsOn(MoveCluster& cluster, const std::string& shard,
                               const std::string& tenant);
std::set<int> EventsOn(MoveCluster& cluster, const std::string& shard, const std::string& tenant);

}  // namespace domicile::testing
