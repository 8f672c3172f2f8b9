// Move planning, the catalog-not-ahead invariant, crash resume decisions and the flip changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/catalog_change.h"
#include "domain/move_state.h"
#include "domain/shard_map.h"
#include "domain/status.h"

namespace domicile {

// --- The catalog is never ahead of the data ------------------------------------------------
// Where the catalog sends the move's tenant now.
enum class CatalogHome { kSource, kTarget, kElsewhere, kMissing };
std::string_view CatalogHomeName(CatalogHome home);
CatalogHome WhereCatalogPoints(const ShardMap& map, const TenantMove& move);

// The saga's invariant: the catalog points at the target only when the target holds all of
// T's acknowledged writes and nobody can write T on the source (verified, held, source
// fenced, lag drained), and points back at the source only after the reverse of that. Only
// T's home matters here: held, moving or frozen at the source are all "source".
// kInternal when the catalog is ahead of the data (a bug: stop, page a human); kConflict
// when the catalog moved T in a way this move did not (someone else changed it).
Status CheckCatalogNotAhead(const TenantMove& move, CatalogHome home);

// What a runner that finds `move` after a crash must do next.
enum class ResumeAction {
  kStartCopy,         // Planned: (re)mark T moving, take a snapshot, copy
  kRestartCopy,       // Copying: delete T's rows on the target, drop the old slot, copy again
  kResumeCatchUp,     // CatchingUp: reattach to the slot and apply from applied_position
  kRestartVerify,     // Verifying: verify every table again (read-only)
  kAbortCutover,      // CuttingOver, catalog at source (T held or not): lower the fence,
                      // ReleaseHoldChange, AbortCutover
  kAdoptFlip,         // CuttingOver, catalog at target: the flip committed; MarkFlipped
  kContinueCleanup,   // Flipped, CleaningUp: drop the forward stream; purge after grace
  kAwaitUndo,         // Failed: nothing runs until StartRollback (operator or auto-rollback)
  kReverseCutover,    // RollingBack, catalog at target (T held or not): hold, drain, fence
                      // the target, flip back
  kFinishRollback,    // RollingBack, catalog at source: clean the target, FinishRollback
  kNothing,           // Done, RolledBack
};
std::string_view ResumeActionName(ResumeAction action);

struct ResumeDecision {
  ResumeAction action = ResumeAction::kNothing;
  std::string why;  // one line for the log and `domicile tenant moves`
};

// Pure: reads the record and where the catalog points, changes nothing. Fails (with
// CheckCatalogNotAhead's status) instead of deciding when the invariant does not hold.
Result<ResumeDecision> DecideResume(const TenantMove& move, CatalogHome home);

// --- Plan ----------------------------------------------------------------------------------
struct MoveOptions {
  std::string move_id;                 // required, an id (see NormalizeId)
  std::vector<std::string> tables;     // T's tables on the source, as the adapter listed them
  int64_t grace_ms = 24LL * 3600 * 1000;
  std::string relay_jurisdiction;      // where this process runs, if known: rows pass here
};

// Checks a move of `tenant` to `target_shard` against `map` and returns the Planned record.
// kNotFound: unknown tenant or shard. kInvalidArgument: bad ids or options, target is the
// home. kConflict: T is already moving or frozen. kPolicyRefused: target not active or full,
// residency R2 (target's jurisdiction) or R3 (source -> relay -> target flow), naming the rule.
Result<TenantMove> PlanMove(const ShardMap& map, std::string_view tenant,
                            std::string_view target_shard, int64_t now_ms,
                            const MoveOptions& options);

// --- Catalog changes ------------------------------------------------------------------------
// Each goes through ShardMap::Apply and CatalogStore::Commit (compare-and-set) like any change.
// Marks T moving (frozen for a freeze move) at its source. Guard: T at the source, active or
// already so marked (then the change is a no-op).
Result<CatalogChange> MarkMovingChange(const ShardMap& map, const TenantMove& move);
// The hold that opens a cutover: T becomes held, so every router parks T's new transactions
// (others flow on) until the state changes again. CuttingOver: T marked at the source ->
// held. RollingBack before the flip back (the reverse cutover): T active at the target ->
// held. Already held: a no-op change. Contract: the hold is in force once every router has
// seen this version, i.e. after the routers' catalog TTL; fence only after that.
Result<CatalogChange> HoldChange(const ShardMap& map, const TenantMove& move);
// Ends a hold without a flip (the cutover was aborted): held -> MarkedState() at the source
// in CuttingOver, held -> active at the target in RollingBack. Not held: a no-op change.
// Held transactions then run where they were going.
Result<CatalogChange> ReleaseHoldChange(const ShardMap& map, const TenantMove& move);
// The flip: T's home becomes the target, state active (this also releases the hold: held
// transactions go to the target). Guard: CuttingOver, fenced, drained, T still at the source
// held or marked by this move (or already flipped: a no-op change).
Result<CatalogChange> FlipChange(const ShardMap& map, const TenantMove& move);
// The undo: T at the source, state active, whatever it was (held included). From the target
// only after RecordReverseCutover.
Result<CatalogChange> RollbackChange(const ShardMap& map, const TenantMove& move);

}  // namespace domicile
