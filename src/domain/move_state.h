// TenantMove: the durable record of one online tenant move and its validated transitions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"
#include "domain/tenant.h"

namespace domicile {

// The saga's steps, in order, plus the two ways out. docs/moves.md draws the graph.
//   Planned -> Copying -> CatchingUp -> Verifying -> CuttingOver -> Flipped -> CleaningUp -> Done
//   CuttingOver -> CatchingUp            (cutover aborted: hold bound passed, lag not drained)
//   {Planned .. CuttingOver} -> Failed   (the catalog still points at the source)
//   Failed -> RollingBack -> RolledBack  (undo: drop what the target got)
//   {Flipped, CleaningUp} -> RollingBack (undo within the grace period: flips the catalog back)
enum class MoveState {
  kPlanned,
  kCopying,
  kCatchingUp,
  kVerifying,
  kCuttingOver,
  kFlipped,
  kCleaningUp,
  kDone,
  kFailed,
  kRollingBack,
  kRolledBack,
};

std::string_view MoveStateName(MoveState state);  // "catching-up"
std::optional<MoveState> ParseMoveState(std::string_view text);
bool IsTerminal(MoveState state);  // Done, RolledBack
// Whether the graph above has the edge from -> to (guards aside).
bool IsLegalTransition(MoveState from, MoveState to);

// One table's progress. Counts come from the adapters; checksums are opaque text produced by
// the same order-independent function on both sides, so only equality matters here.
struct TableProgress {
  std::string table;
  uint64_t rows_copied = 0;
  uint64_t bytes_copied = 0;
  bool verified = false;  // both sides were counted and summed since the last catch-up
  uint64_t source_rows = 0;
  uint64_t target_rows = 0;
  std::string source_checksum;
  std::string target_checksum;

  bool Matches() const {
    return verified && source_rows == target_rows && source_checksum == target_checksum;
  }
  bool operator==(const TableProgress&) const = default;
};

// The durable record. Every field is plain data so a catalog adapter can store it as one row
// (plus one row per table). Positions (LSNs, snapshot names, slot names) are opaque text
// that only the storage adapter interprets. Times are unix milliseconds from the caller's
// Clock: the domain never reads a clock.
struct TenantMove {
  std::string id;            // chosen by the caller; unique in the catalog
  std::string tenant;        // normalised tenant id
  std::string source_shard;  // the tenant's home when planned
  std::string target_shard;
  uint64_t planned_version = 0;  // catalog version PlanMove saw
  bool requires_freeze = false;  // engines differ: no change stream, T is frozen instead
  std::string relay_jurisdiction;  // where the process copying the rows runs ("" unknown)
  int64_t grace_ms = 0;            // how long the source keeps T's rows after the flip

  MoveState state = MoveState::kPlanned;
  std::vector<TableProgress> tables;  // sorted by name; fixed at plan time

  std::string snapshot;           // exported snapshot the copy reads (Copying)
  std::string slot;               // replication slot created with the snapshot
  std::string start_position;     // the slot's consistent point: catch-up starts there
  std::string applied_position;   // last source position applied on the target
  uint64_t fence_epoch = 0;       // epoch written by the last fence (0: never fenced)
  bool source_fenced = false;     // T's rows on the source refuse writes now
  std::string drained_position;   // position applied when the lag reached zero under hold
  uint64_t flip_version = 0;      // catalog version of the flip (Flipped and later)
  int64_t hold_ms = 0;            // how long T's new transactions were held at cutover
  bool source_purged = false;     // deletion of T's source rows began: no undo after this

  // Undo after the flip is a cutover in reverse: hold, drain the reverse stream, fence the
  // target, flip back.
  bool flips_back = false;         // set when RollingBack started after the flip
  std::string reverse_position;    // last target position applied back on the source
  bool target_fenced = false;
  bool reverse_drained = false;
  bool flipped_back = false;       // the catalog points at the source again

  int64_t planned_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t flipped_at_ms = 0;
  int64_t grace_end_ms = 0;  // flipped_at_ms + grace_ms; undo is refused from then on
  int64_t ended_at_ms = 0;   // Done or RolledBack
  std::string failure;       // why it failed, or why the last cutover was aborted
  int cutover_attempts = 0;  // cutovers begun; aborted ones send the move back to CatchingUp

  TableProgress* FindTable(std::string_view table);
  bool AllTablesMatch() const;
  // The flip may commit only once the target has everything and the source accepts nothing:
  // every table verified and matching, the source fenced, the lag drained after the fence.
  bool ReadyToFlip() const;
  // The reverse: the reverse stream drained under hold and the target fenced.
  bool ReadyToFlipBack() const;
  // What the catalog calls T while this move owns it: frozen for a freeze move, else moving.
  TenantState MarkedState() const;
  // Whether a tenant in `state` at the source is owned by this move: MarkedState(), or held
  // while the move cuts over (HoldChange in move_plan.h).
  bool Owns(TenantState state) const;
  std::string Label() const;  // "move m1 of tenant acme", for messages
  bool operator==(const TenantMove&) const = default;
};

// --- Transitions -------------------------------------------------------------------------
// Each moves `move` along one edge of the graph and stamps updated_at_ms. A wrong current
// state is kConflict naming both states (another runner moved the record on, or the caller
// is stale); an unmet guard is kInvalidArgument. On failure `move` is left unchanged.
// The caller persists the record after each call and only then acts on the next step.

// Planned -> Copying. `snapshot`, `slot` and `start_position` name the consistent point the
// copy reads and the catch-up starts from (all empty for a freeze move, which has no stream).
Status StartCopy(TenantMove& move, std::string snapshot, std::string slot,
                 std::string start_position, int64_t now_ms);
// Copying: adds to a table's counters. Unknown table: kInvalidArgument.
Status RecordCopyProgress(TenantMove& move, std::string_view table, uint64_t rows,
                          uint64_t bytes, int64_t now_ms);
// Copying -> CatchingUp.
Status FinishCopy(TenantMove& move, int64_t now_ms);
// CatchingUp or CuttingOver: the target has applied the source's changes up to `position`.
Status RecordCatchUp(TenantMove& move, std::string position, int64_t now_ms);
// CatchingUp -> Verifying. Clears earlier verification: new changes may have landed.
Status StartVerify(TenantMove& move, int64_t now_ms);
// Verifying: one table's counts and checksums on both sides.
Status RecordVerification(TenantMove& move, std::string_view table, uint64_t source_rows,
                          std::string source_checksum, uint64_t target_rows,
                          std::string target_checksum, int64_t now_ms);
// Verifying -> CuttingOver. Guard: every table verified and matching (a mismatch is Fail).
Status BeginCutover(TenantMove& move, int64_t now_ms);
// The cutover, in this order: HoldChange committed (routers hold T's new transactions), T
// fenced on the source (which also waits for T's in-flight writers), the lag drained, the flip.
// CuttingOver: T is fenced on the source with `epoch` (> every earlier epoch). Contract: T
// was held (HoldChange committed) and the routers saw it.
Status RecordSourceFence(TenantMove& move, uint64_t epoch, int64_t now_ms);
// CuttingOver: the lag reached zero at `position` (an exact source position read after the
// fence). Guard: fenced; a drain before the fence proves nothing, a writer could still land.
Status RecordLagDrained(TenantMove& move, std::string position, int64_t now_ms);
// CuttingOver -> CatchingUp: the cutover gave up before the flip. Contract: call only after
// the source fence (if any) was lowered and the hold released (ReleaseHoldChange committed).
Status AbortCutover(TenantMove& move, std::string reason, int64_t now_ms);
// CuttingOver -> Flipped, after FlipChange committed at `flip_version`. Guard: drained and
// fenced. Starts the grace period.
Status MarkFlipped(TenantMove& move, uint64_t flip_version, int64_t hold_ms, int64_t now_ms);
// Flipped -> CleaningUp: the forward slot and publication may go; the source rows stay.
Status StartCleanup(TenantMove& move, int64_t now_ms);
// CleaningUp: deletion of T's source rows is about to begin. Guard: the grace period ended.
Status RecordSourcePurge(TenantMove& move, int64_t now_ms);
// CleaningUp -> Done. Guard: the source purge was recorded.
Status FinishMove(TenantMove& move, int64_t now_ms);
// {Planned .. CuttingOver} -> Failed. Contract: the flip did not commit (the caller saw the
// commit fail or never tried); when the outcome is unknown, read the catalog and DecideResume.
// From CuttingOver, release the hold first: a failed move may wait long for its undo.
Status FailMove(TenantMove& move, std::string reason, int64_t now_ms);
// Failed -> RollingBack, or {Flipped, CleaningUp} -> RollingBack while now < grace_end_ms and
// the source rows are untouched (sets flips_back). Otherwise kConflict saying why.
Status StartRollback(TenantMove& move, int64_t now_ms);
// RollingBack with flips_back: the reverse stream reached `position` with T held (HoldChange
// at the target) and the lag zero, and T is fenced on the target with `epoch`.
Status RecordReverseCutover(TenantMove& move, std::string position, uint64_t epoch,
                            int64_t now_ms);
// RollingBack with flips_back: RollbackChange committed; the catalog points at the source.
Status RecordFlippedBack(TenantMove& move, int64_t now_ms);
// RollingBack -> RolledBack. Guard: no flip back pending. Contract: T's rows on the target
// were deleted and the move's slots, publications and fences are gone.
Status FinishRollback(TenantMove& move, int64_t now_ms);

}  // namespace domicile
