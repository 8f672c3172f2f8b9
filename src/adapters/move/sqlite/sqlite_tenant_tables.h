// SqliteTenantTables: a tenant's tables and fences on a SQLite shard file, for generic moves.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ports/tenant_tables.h"

struct sqlite3;

namespace domicile::sqlitemove {

// The kind of a column SQLite declares as `declared` (its affinity rules, BOOL first, then
// INT, CHAR/CLOB/TEXT, BLOB/BYTEA, REAL/FLOA/DOUB; NUMERIC/DECIMAL as floats; anything else,
// no type included, as text).
ColumnType SqliteKind(std::string_view declared);
// The type a column of `kind` is created with: INTEGER, TEXT, REAL, BLOB, BOOLEAN. BOOLEAN
// stores 0/1 like INTEGER, and SqliteShardStorage reads it back as bool, as PostgreSQL did.
std::string SqliteTypeFor(ColumnType kind);

// Tables come from sqlite_master and pragma_table_info; column names match the rules' key
// column without regard to case, as SQLite compares them. Tables are never schema-qualified:
// CheckTarget refuses "schema.table" names.
//
// Fences: a `domicile_fence(tenant, epoch, move_id, fenced_at)` table, and per fenced tenant
// and table three BEFORE INSERT/UPDATE/DELETE triggers named "domicile_fence/<tenant>/<table>/
// <op>", whose WHEN clause matches the tenant's key value (NEW, and OLD for updates and
// deletes) and the tenant's fence row, and whose body is RAISE(ABORT, 'tenant T is fenced on
// this shard ...'): the message names the tenant, which SQLite's RAISE can only take as a
// literal, hence one set of triggers per tenant; they exist exactly while its fence row does.
// A refused write reaches SqliteShardStorage as SQLITE_CONSTRAINT_TRIGGER (kInvalidArgument
// "constraint violation: tenant T is fenced ..."), which `domicile serve` sends as SQLSTATE
// 55000 like PostgreSQL's fence. SQLite has one writer at a time, so RaiseFence waits for
// the write lock (BEGIN IMMEDIATE, up to `wait`): once it commits, no write that began
// before it is still running, and a transaction that read before it cannot write any more
// (SQLITE_BUSY_SNAPSHOT). DeleteRows drops the tenant's triggers and puts them back in the
// same transaction, so nobody else sees them missing.
//
// The file is opened on first use (created if missing, WAL mode). Not thread-safe.
class SqliteTenantTables final : public TenantTables {
 public:
  // `label` names the shard in errors ("shard eu-lite").
  SqliteTenantTables(std::string path, std::string label,
                     std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
  ~SqliteTenantTables() override;

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
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Result<sqlite3*> Db();
  // Every user table with its columns, keyed by name; tenant_key left empty.
  Result<std::vector<TenantTable>> AllTables();
  Status Fail(const std::string& what, int rc);

  std::string path_;
  std::string label_;
  std::chrono::milliseconds busy_timeout_;
  std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace domicile::sqlitemove
