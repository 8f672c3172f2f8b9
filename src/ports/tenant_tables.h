// TenantTables: what a generic (cross-engine) tenant move needs to know and do on one shard
// beyond reading and writing rows: the tenant's tables, their schema, fences, purges.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/shard.h"
#include "domain/status.h"
#include "ports/shard_storage.h"
#include "ports/statement_analyzer.h"
#include "ports/tenant_mover.h"

namespace domicile {

struct TableColumn {
  std::string name;
  std::string type;  // as the engine declares it: "bigint", "character varying(20)", "INTEGER"
  // The value class of the column, the same on every engine: what rows are compared as, and
  // what the column is created as on another engine. bool; smallint/integer/bigint; real,
  // double precision, numeric (-> kFloat64: exact digits are not kept across engines);
  // bytea/BLOB; everything else (text, varchar, dates, json...) is kText. SQLite follows its
  // affinity rules on the declared type (BOOL first; NUMERIC/DECIMAL -> kFloat64; no type ->
  // kText).
  ColumnType kind = ColumnType::kText;
  bool not_null = false;
};

// One table holding tenant rows, as one shard has it.
struct TenantTable {
  MoveTable move;  // name ("schema.table" outside public), tenant key, columns, primary key
  std::vector<TableColumn> columns;   // in the shard's column order, same names as move.columns
  Engine engine = Engine::kPostgres;  // the engine that declared `type`
};

// One shard, for one move. Not thread-safe: one thread at a time. Every call is idempotent
// (a resumed move repeats the step it crashed in). Errors name the shard.
class TenantTables {
 public:
  virtual ~TenantTables() = default;

  // Every user table of the shard (domicile's own `domicile_*` tables aside) that has its
  // tenant key column per `rules`, with its columns and primary key, sorted by name.
  virtual Result<std::vector<TenantTable>> List(const RoutingRules& rules) = 0;

  // Checks that this shard has each of `wanted` (listed on another shard, maybe of another
  // engine) with every one of its columns, by name; types are not compared. create_schema:
  // missing tables are first created with the same columns, NOT NULL and primary key, types
  // mapped to this engine from each column's kind when the engines differ (kInt64 -> bigint /
  // INTEGER, kText -> text / TEXT, kFloat64 -> double precision / REAL, kBytes -> bytea /
  // BLOB, kBool -> boolean / BOOLEAN), copied as declared when they do not. Returns this
  // shard's own description of the wanted tables, in the same order; kInvalidArgument with
  // one line per missing table or column otherwise.
  virtual Result<std::vector<TenantTable>> CheckTarget(const std::vector<TenantTable>& wanted,
                                                       const RoutingRules& rules,
                                                       bool create_schema) = 0;

  // Fences `tenant` on this shard: from the commit on, every insert, update or delete of its
  // rows in `tables` fails, on any connection, with a message "tenant T is fenced on this
  // shard ..." (PostgreSQL: SQLSTATE 55000). Returns once no transaction that wrote the
  // tenant's rows before the fence is still running; when that takes longer than `wait`,
  // the fence is not (or no longer) raised and the result is kUnavailable. Raising again
  // with another epoch or move id replaces the fence row.
  virtual Status RaiseFence(const std::vector<MoveTable>& tables, const std::string& tenant,
                            uint64_t epoch, const std::string& move_id,
                            std::chrono::milliseconds wait) = 0;

  // Removes the tenant's fence if `move_id` raised it. No-op when there is none.
  virtual Status LowerFence(const std::string& tenant, const std::string& move_id) = 0;

  // In one transaction: deletes the tenant's rows in `tables` (fenced or not) and its fence,
  // whatever move raised it; the fence machinery goes when no fence needs it any more.
  virtual Status Purge(const std::vector<MoveTable>& tables, const std::string& tenant) = 0;

  // Deletes the tenant's rows in `tables`, even while it is fenced here, and leaves any
  // fence as it was: a copy's target made clean again.
  virtual Status DeleteRows(const std::vector<MoveTable>& tables, const std::string& tenant) = 0;
};

}  // namespace domicile
