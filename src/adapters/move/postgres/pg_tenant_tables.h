// PostgresTenantTables: a tenant's tables and fences on a PostgreSQL shard, for generic
// (cross-engine) moves; the same discovery and fences as the streaming mover (pg_tables.h,
// pg_fence.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/move/postgres/pg_link.h"
#include "ports/tenant_tables.h"

namespace domicile::pgmove {

// The kind of a column whose format_type() is `type`: boolean; smallint/integer/bigint/oid;
// real/double precision/numeric(...); bytea; everything else is text.
ColumnType PgKind(std::string_view type);
// The type a column of `kind` from another engine is created with: boolean, bigint,
// double precision, bytea, text.
std::string PgTypeFor(ColumnType kind);

// Connects on first use and again after a failed call. Fences are pg_fence.h's (SQLSTATE
// 55000, advisory-lock wait for in-flight writers); DeleteRows and Purge bypass them for
// their own transaction. Not thread-safe.
class PostgresTenantTables final : public TenantTables {
 public:
  // `label` names the shard in errors ("shard eu-1").
  PostgresTenantTables(std::string conninfo, std::string label);
  ~PostgresTenantTables() override;

  Result<std::vector<TenantTable>> List(const RoutingRules& rules) override;
  Result<std::vector<TenantTable>> CheckTarget(const std::vector<TenantTable>& wanted,
                                               const RoutingRules& rules,
                                               bool create_schema) override;
  Status RaiseFence(const std::vector<MoveTable>& tables, const std::string& tenant, uint64_t epoch,
                    const std::string& move_id, std::chrono::milliseconds wait) override;
  Status LowerFence(const std::string& tenant, const std::string& move_id) override;
  Status Purge(const std::vector<MoveTable>& tables, const std::string& tenant) override;
  Status DeleteRows(const std::vector<MoveTable>& tables, const std::string& tenant) override;

 private:
  Result<PgLink*> Link();
  // Drops the connection after a failure, so the next call starts on a fresh one.
  Status Reset(Status status);

  std::string conninfo_;
  std::string label_;
  std::optional<PgLink> link_;
};

}  // namespace domicile::pgmove
