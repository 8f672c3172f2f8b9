// InMemoryTenantTables: a TenantTables fake: tables as described, fences kept in memory,
// every call recorded; row deletes go through a ShardStorage when one is given.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ports/shard_storage.h"
#include "ports/tenant_tables.h"

namespace domicile::testing {

// Not thread-safe. Fences are only recorded: nothing refuses writes (the contract suite holds
// the real adapters to that). CheckTarget with create_schema adds the missing descriptions
// as given, without creating anything in `rows`.
class InMemoryTenantTables final : public TenantTables {
 public:
  struct Fence {
    uint64_t epoch = 0;
    std::string move_id;
  };

  // `tables`: every table of the shard, tenant_key left empty (List fills it from the rules).
  // `rows`: where DeleteRows and Purge delete ("DELETE FROM t WHERE key = $1"); may be null.
  explicit InMemoryTenantTables(std::vector<TenantTable> tables, ShardStorage* rows = nullptr);

  Result<std::vector<TenantTable>> List(const RoutingRules& rules) override;
  Result<std::vector<TenantTable>> CheckTarget(const std::vector<TenantTable>& wanted,
                                               const RoutingRules& rules,
                                               bool create_schema) override;
  Status RaiseFence(const std::vector<MoveTable>& tables, const std::string& tenant, uint64_t epoch,
                    const std::string& move_id, std::chrono::milliseconds wait) override;
  Status LowerFence(const std::string& tenant, const std::string& move_id) override;
  Status Purge(const std::vector<MoveTable>& tables, const std::string& tenant) override;
  Status DeleteRows(const std::vector<MoveTable>& tables, const std::string& tenant) override;

  const std::map<std::string, Fence>& fences() const { return fences_; }
  // One line per call: "RaiseFence t1 3 m1 [accounts,events]", "LowerFence t1 m1", ...
  const std::vector<std::string>& calls() const { return calls_; }
  // The next RaiseFence fails kUnavailable, as if the tenant's writers were still in flight.
  void RefuseNextFence() { refuse_next_fence_ = true; }

 private:
  Status DeleteThrough(const std::vector<MoveTable>& tables, const std::string& tenant);

  std::vector<TenantTable> tables_;
  ShardStorage* rows_;
  std::map<std::string, Fence> fences_;
  std::vector<std::string> calls_;
  bool refuse_next_fence_ = false;
};

// A table description for fakes (tenant_key left empty).
TenantTable DescribeTable(const std::string& name, Engine engine,
                          const std::vector<TableColumn>& columns,
                          const std::vector<std::string>& key_columns);

}  // namespace domicile::testing
