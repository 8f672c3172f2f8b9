// TenantMover: what a move saga needs from the two shards of one move (engine specific).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "domain/move_state.h"
#include "domain/status.h"

namespace domicile {

// One table that holds the tenant's rows, as found on the source.
struct MoveTable {
  std::string name;                      // as the source names it (schema-qualified if not public)
  std::string tenant_key;                // the column that holds the tenant id
  std::vector<std::string> columns;      // in the source's column order
  std::vector<std::string> key_columns;  // primary key; must include tenant_key to stream
};

// Where a snapshot copy reads: the names StartCopy records (all empty without a stream).
struct SnapshotPoint {
  std::string snapshot;
  std::string slot;
  std::string start_position;
};

// Rows and bytes copied since the previous call, for one table. Before the first row moves,
// the mover may report each table once with rows = bytes = 0 and `expected_rows` set (its
// count in the snapshot), so a progress bar can show an ETA.
struct CopyProgress {
  std::string table;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t expected_rows = 0;  // 0: not known
};

// One table's count and order-independent checksum on both sides, taken at one position.
struct TableCheck {
  std::string table;
  uint64_t source_rows = 0;
  std::string source_checksum;
  uint64_t target_rows = 0;
  std::string target_checksum;
};

// The source's changes to the tenant, applied on the target in commit order, exactly once
// (the applied position is stored on the target in the same transaction as the rows).
class ChangeStream {
 public:
  virtual ~ChangeStream() = default;
  // Applies whatever arrives for up to `budget`. Returns the last applied position.
  virtual Result<std::string> ApplyFor(std::chrono::milliseconds budget) = 0;
  // Bytes of the source's log not yet applied here (0: caught up).
  virtual Result<uint64_t> Lag() = 0;
  // Writes a marker into the source's log and applies until it arrives: afterwards the
  // target has every change committed on the source before the call. kDeadlineExceeded-like
  // kUnavailable when `bound` passes first.
  virtual Result<std::string> Drain(std::chrono::milliseconds bound) = 0;
  // Counts and checksums of every table on both sides at one exact source position: a
  // snapshot of the source at position P, and the target once it applied exactly P.
  virtual Result<std::vector<TableCheck>> Verify(const std::vector<std::string>& tables) = 0;
};

using CopyProgressFn = std::function<Status(const CopyProgress&)>;
using SnapshotFn = std::function<Status(const SnapshotPoint&)>;

// One move's pair of shards. Every call is idempotent so a resumed saga can repeat the step
// it crashed in.
class TenantMover {
 public:
  virtual ~TenantMover() = default;

  // True when changes made during the copy can be streamed (PostgreSQL to PostgreSQL);
  // false for the generic path, where the tenant is frozen (writes refused) for the copy.
  virtual bool streams_changes() const = 0;

  // The tenant's tables on the source (every table with the tenant key column), checked on
  // the target: it must have each table with the same columns (create_schema: created like
  // the source when missing). kInvalidArgument naming the table and what differs.
  virtual Result<std::vector<MoveTable>> PlanTables(bool create_schema) = 0;

  // Installs the fence machinery on the source (a fence table and write checks on the
  // tenant's tables) without fencing anybody yet.
  virtual Status PrepareSource() = 0;

  // Deletes the tenant's rows on the target and any stream this move left behind: the
  // target as before the move (a copy restart, a rollback).
  virtual Status CleanTarget() = 0;

  // Copies every table from one consistent snapshot of the source. Calls `on_snapshot` once
  // the snapshot (and the stream's start, if any) exists and before the first row moves, so
  // the caller can record it; `progress` as rows flow. A failing callback stops the copy.
  virtual Status Copy(const SnapshotFn& on_snapshot, const CopyProgressFn& progress) = 0;

  // Starts a change stream at the source's current position without copying (the target
  // already holds the tenant's rows): the reverse stream that an undo after the flip drains.
  // Creates the stream the first time (which waits for the source's running transactions);
  // called again, only moves its start to the current position (fast: one query).
  virtual Status StartStreamHere() = 0;

  // Opens the change stream from where the target's stored position says (streaming only).
  virtual Result<std::unique_ptr<ChangeStream>> OpenStream() = 0;

  // For the generic path: counts and checksums with the tenant frozen.
  virtual Result<std::vector<TableCheck>> VerifyFrozen(const std::vector<std::string>& tables) = 0;

  // Fences the tenant on the source with `epoch`: from now on writes of its rows there fail,
  // and the call returns only once no transaction that wrote its rows before the fence is
  // still running (bounded by `wait`: kUnavailable "in-flight transactions ... after N ms"
  // and the fence is lowered again).
  virtual Status FenceSource(uint64_t epoch, std::chrono::milliseconds wait) = 0;
  // Lowers the source fence (an aborted cutover, a rollback). No-op when not fenced.
  virtual Status UnfenceSource() = 0;

  // Drops the stream's slot and publication on the source (after the flip, or rollback).
  virtual Status DropStream() = 0;
  // Deletes the tenant's rows on the source (after the grace period) and removes this
  // move's fence machinery when no other fence needs it.
  virtual Status PurgeSource() = 0;
};

// Builds the mover for one move record (which names tenant, shards, tables).
class TenantMoverFactory {
 public:
  virtual ~TenantMoverFactory() = default;
  virtual Result<std::unique_ptr<TenantMover>> For(const TenantMove& move) = 0;
  // The same move backwards (target -> source), with names of its own: undo after the flip.
  virtual Result<std::unique_ptr<TenantMover>> Reverse(const TenantMove& move) = 0;
  // Whether the engines of `source` and `target` can stream changes (else: freeze path).
  virtual bool CanStream(const std::string& source_shard, const std::string& target_shard) = 0;
};

}  // namespace domicile
