// GenericTenantMover: moves one tenant between shards of any engines through the storage
// ports, with the tenant frozen (fenced on the source) for the whole copy: no change stream.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/shard_storage.h"
#include "ports/statement_analyzer.h"
#include "ports/tenant_mover.h"
#include "ports/tenant_tables.h"

namespace domicile {

// One side of the move: its rows and its tables.
struct GenericMoveShard {
  std::string label;  // "shard eu-1", for messages
  std::unique_ptr<ShardStorage> storage;
  std::unique_ptr<TenantTables> tables;
};

struct GenericMoveContext {
  std::string move_id;
  std::string tenant;
  std::vector<std::string> tables;  // the record's tables; empty before planning
  RoutingRules rules;
};

struct GenericMoveOptions {
  // Rows per source query: tables whose primary key is NOT NULL are read in keyset pages, so
  // an engine that buffers whole results (libpq) never holds more than this.
  size_t page_rows = 20000;
  // Rows per INSERT (fewer for wide tables: at most max_parameters values per statement).
  // SQLite looks every $n up in a list, at prepare and bind, so its statements cost the
  // square of their parameters: a SQLite target gets small ones.
  size_t batch_rows = 1000;
  size_t max_parameters = 8000;
  size_t sqlite_max_parameters = 128;
  // The target's write transaction is committed at least this often, so a SQLite target's
  // other tenants wait at most about this long for the write lock. The tenant's rows there
  // are invisible to routing until the flip, and a restarted copy deletes them first.
  std::chrono::milliseconds max_write_transaction{200};
  // Progress is reported at most this often per table (each report is a catalog write), and
  // once at the end of every table.
  std::chrono::milliseconds progress_every{500};
};

// streams_changes() is false: the saga freezes the tenant with FenceSource before the copy.
// StartStreamHere and OpenStream fail with kInvalidArgument; PrepareSource and DropStream do
// nothing. Copy counts the tenant's rows of each table (progress with expected_rows), then
// reads them table by table on one source transaction and writes them on the target after
// deleting what the target had of the tenant, values converted to the target's column kinds
// when the engines differ (CoerceForKind). VerifyFrozen reads
// both sides again and compares counts and TableChecksums over the columns' common kinds.
// Not thread-safe: one thread at a time.
class GenericTenantMover final : public TenantMover {
 public:
  GenericTenantMover(GenericMoveShard source, GenericMoveShard target, GenericMoveContext context,
                     GenericMoveOptions options = {});
  ~GenericTenantMover() override;

  bool streams_changes() const override { return false; }
  Result<std::vector<MoveTable>> PlanTables(bool create_schema) override;
  Status PrepareSource() override;
  Status CleanTarget() override;
  Status Copy(const SnapshotFn& on_snapshot, const CopyProgressFn& progress) override;
  Status StartStreamHere() override;
  Result<std::unique_ptr<ChangeStream>> OpenStream() override;
  Result<std::vector<TableCheck>> VerifyFrozen(const std::vector<std::string>& tables) override;
  Status FenceSource(uint64_t epoch, std::chrono::milliseconds wait) override;
  Status UnfenceSource() override;
  Status DropStream() override;
  Status PurgeSource() override;

 private:
  class Writer;
  // A record table as both shards have it.
  struct Pair {
    TenantTable source;
    TenantTable target;
    std::vector<ColumnType> target_kinds;  // per source column
    std::vector<ColumnType> common_kinds;  // per source column
  };
  Result<std::vector<Pair>> Pairs();
  Result<std::vector<MoveTable>> MoveTables();
  std::vector<Pair> MakePairs(std::vector<TenantTable> source,
                              std::vector<TenantTable> target) const;
  Status CopyTable(const Pair& table, ShardSession& source, Writer& writer,
                   const CopyProgressFn& progress);
  Result<TableCheck> CheckTable(const Pair& table);

  GenericMoveShard source_;
  GenericMoveShard target_;
  GenericMoveContext context_;
  GenericMoveOptions options_;
  std::optional<std::vector<Pair>> pairs_;
};

}  // namespace domicile
