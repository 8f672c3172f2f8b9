// TenantMove transitions: the saga's graph and the guard on each edge.
#include "domain/move_state.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

namespace domicile {
namespace {

struct StateName {
  MoveState state;
  std::string_view name;
};
constexpr std::array<StateName, 11> kStateNames{{
    {MoveState::kPlanned, "planned"},
    {MoveState::kCopying, "copying"},
    {MoveState::kCatchingUp, "catching-up"},
    {MoveState::kVerifying, "verifying"},
    {MoveState::kCuttingOver, "cutting-over"},
    {MoveState::kFlipped, "flipped"},
    {MoveState::kCleaningUp, "cleaning-up"},
    {MoveState::kDone, "done"},
    {MoveState::kFailed, "failed"},
    {MoveState::kRollingBack, "rolling-back"},
    {MoveState::kRolledBack, "rolled-back"},
}};

// The graph of move_plan.h, one row per edge.
constexpr std::array<std::pair<MoveState, MoveState>, 18> kEdges{{
    {MoveState::kPlanned, MoveState::kCopying},
    {MoveState::kCopying, MoveState::kCatchingUp},
    {MoveState::kCatchingUp, MoveState::kVerifying},
    {MoveState::kVerifying, MoveState::kCuttingOver},
    {MoveState::kCuttingOver, MoveState::kFlipped},
    {MoveState::kFlipped, MoveState::kCleaningUp},
    {MoveState::kCleaningUp, MoveState::kDone},
    {MoveState::kCuttingOver, MoveState::kCatchingUp},
    {MoveState::kPlanned, MoveState::kFailed},
    {MoveState::kCopying, MoveState::kFailed},
    {MoveState::kCatchingUp, MoveState::kFailed},
    {MoveState::kVerifying, MoveState::kFailed},
    {MoveState::kCuttingOver, MoveState::kFailed},
    {MoveState::kFailed, MoveState::kRollingBack},
    {MoveState::kFlipped, MoveState::kRollingBack},
    {MoveState::kCleaningUp, MoveState::kRollingBack},
    {MoveState::kRollingBack, MoveState::kRolledBack},
    // A restarted copy takes a new snapshot: the only self-edge.
    {MoveState::kCopying, MoveState::kCopying},
}};

Status Illegal(const TenantMove& m, MoveState to) {
  return Conflict(m.Label() + ": cannot go from " + std::string(MoveStateName(m.state)) + " to " +
                  std::string(MoveStateName(to)));
}

Status Edge(const TenantMove& m, MoveState to) {
  return IsLegalTransition(m.state, to) ? Status::Ok() : Illegal(m, to);
}

// For steps that record progress without changing state.
Status In(const TenantMove& m, std::string_view what, std::initializer_list<MoveState> states) {
  for (MoveState s : states) {
    if (m.state == s) return Status::Ok();
  }
  std::string need;
  for (MoveState s : states) need += (need.empty() ? "" : " or ") + std::string(MoveStateName(s));
  return Conflict(m.Label() + ": cannot " + std::string(what) + " in state " +
                  std::string(MoveStateName(m.state)) + " (needs " + need + ")");
}

Status Guard(const TenantMove& m, bool holds, std::string_view why) {
  return holds ? Status::Ok() : InvalidArgument(m.Label() + ": " + std::string(why));
}

Status UnknownTable(const TenantMove& m, std::string_view table) {
  return InvalidArgument(m.Label() + ": unknown table '" + std::string(table) + "'");
}

TableProgress MakeTable(std::string name) {
  TableProgress t;
  t.table = std::move(name);
  return t;
}

}  // namespace

std::string_view MoveStateName(MoveState state) {
  for (const auto& n : kStateNames) {
    if (n.state == state) return n.name;
  }
  return "unknown";
}

std::optional<MoveState> ParseMoveState(std::string_view text) {
  for (const auto& n : kStateNames) {
    if (n.name == text) return n.state;
  }
  return std::nullopt;
}

bool IsTerminal(MoveState state) {
  return state == MoveState::kDone || state == MoveState::kRolledBack;
}

bool IsLegalTransition(MoveState from, MoveState to) {
  return std::find(kEdges.begin(), kEdges.end(), std::pair{from, to}) != kEdges.end();
}

TableProgress* TenantMove::FindTable(std::string_view table) {
  for (auto& t : tables) {
    if (t.table == table) return &t;
  }
  return nullptr;
}

std::string TenantMove::Label() const { return "move " + id + " of tenant " + tenant; }

bool TenantMove::ReadyToFlip() const {
  return AllTablesMatch() && !drained_position.empty() && source_fenced;
}

bool TenantMove::ReadyToFlipBack() const { return flips_back && reverse_drained && target_fenced; }

TenantState TenantMove::MarkedState() const {
  return requires_freeze ? TenantState::kFrozen : TenantState::kMoving;
}

bool TenantMove::Owns(TenantState state) const {
  return state == MarkedState() || state == TenantState::kHeld;
}

bool TenantMove::AllTablesMatch() const {
  return std::all_of(tables.begin(), tables.end(), [](const auto& t) { return t.Matches(); });
}

// --- Transitions ---------------------------------------------------------------------------

Status StartCopy(TenantMove& move, std::string snapshot, std::string slot,
                 std::string start_position, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kCopying));
  DOMICILE_RETURN_IF_ERROR(Guard(
      move, move.requires_freeze || (!snapshot.empty() && !slot.empty() && !start_position.empty()),
      "a streamed copy needs a snapshot, a slot and its start position"));
  move.state = MoveState::kCopying;
  move.snapshot = std::move(snapshot);
  move.slot = std::move(slot);
  move.start_position = std::move(start_position);
  move.applied_position = move.start_position;
  for (auto& t : move.tables) t = MakeTable(t.table);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordCopyProgress(TenantMove& move, std::string_view table, uint64_t rows, uint64_t bytes,
                          int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record copy progress", {MoveState::kCopying}));
  TableProgress* t = move.FindTable(table);
  if (t == nullptr) return UnknownTable(move, table);
  t->rows_copied += rows;
  t->bytes_copied += bytes;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status FinishCopy(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kCatchingUp));
  DOMICILE_RETURN_IF_ERROR(In(move, "finish the copy", {MoveState::kCopying}));
  move.state = MoveState::kCatchingUp;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordCatchUp(TenantMove& move, std::string position, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record catch-up",
                              {MoveState::kCatchingUp, MoveState::kVerifying,
                               MoveState::kCuttingOver}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, !position.empty(), "catch-up position is empty"));
  move.applied_position = std::move(position);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status StartVerify(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kVerifying));
  DOMICILE_RETURN_IF_ERROR(In(move, "start verifying", {MoveState::kCatchingUp}));
  move.state = MoveState::kVerifying;
  for (auto& t : move.tables) {
    t.verified = false;
    t.source_rows = t.target_rows = 0;
    t.source_checksum.clear();
    t.target_checksum.clear();
  }
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordVerification(TenantMove& move, std::string_view table, uint64_t source_rows,
                          std::string source_checksum, uint64_t target_rows,
                          std::string target_checksum, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record a verification", {MoveState::kVerifying}));
  TableProgress* t = move.FindTable(table);
  if (t == nullptr) return UnknownTable(move, table);
  t->verified = true;
  t->source_rows = source_rows;
  t->target_rows = target_rows;
  t->source_checksum = std::move(source_checksum);
  t->target_checksum = std::move(target_checksum);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status BeginCutover(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kCuttingOver));
  for (const auto& t : move.tables) {
    if (!t.verified) return InvalidArgument(move.Label() + ": table " + t.table + " not verified");
    if (!t.Matches()) {
      return InvalidArgument(move.Label() + ": table " + t.table + " differs (source " +
                             std::to_string(t.source_rows) + " rows, target " +
                             std::to_string(t.target_rows) + " rows)");
    }
  }
  move.state = MoveState::kCuttingOver;
  move.drained_position.clear();
  move.source_fenced = false;
  ++move.cutover_attempts;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordLagDrained(TenantMove& move, std::string position, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record the drained lag", {MoveState::kCuttingOver}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.source_fenced,
                                 "drain before the source fence (a writer could still land)"));
  DOMICILE_RETURN_IF_ERROR(Guard(move, !position.empty(), "drained position is empty"));
  move.applied_position = position;
  move.drained_position = std::move(position);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordSourceFence(TenantMove& move, uint64_t epoch, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "fence the source", {MoveState::kCuttingOver}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, epoch > move.fence_epoch,
                                 "fence epoch " + std::to_string(epoch) + " is not above " +
                                     std::to_string(move.fence_epoch)));
  move.fence_epoch = epoch;
  move.source_fenced = true;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status AbortCutover(TenantMove& move, std::string reason, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kCatchingUp));
  DOMICILE_RETURN_IF_ERROR(In(move, "abort a cutover", {MoveState::kCuttingOver}));
  move.state = MoveState::kCatchingUp;
  move.source_fenced = false;
  move.drained_position.clear();
  move.failure = std::move(reason);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status MarkFlipped(TenantMove& move, uint64_t flip_version, int64_t hold_ms, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kFlipped));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.ReadyToFlip(),
                                 "flip before verify, drain and fence completed"));
  DOMICILE_RETURN_IF_ERROR(Guard(move, flip_version > move.planned_version && hold_ms >= 0,
                                 "flip version must follow the plan's and hold time be >= 0"));
  move.state = MoveState::kFlipped;
  move.flip_version = flip_version;
  move.hold_ms = hold_ms;
  move.flipped_at_ms = now_ms;
  move.grace_end_ms = now_ms + move.grace_ms;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status StartCleanup(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kCleaningUp));
  move.state = MoveState::kCleaningUp;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordSourcePurge(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "purge the source", {MoveState::kCleaningUp}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, now_ms >= move.grace_end_ms,
                                 "grace period runs until " + std::to_string(move.grace_end_ms)));
  move.source_purged = true;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status FinishMove(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kDone));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.source_purged, "source rows not purged yet"));
  move.state = MoveState::kDone;
  move.ended_at_ms = move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status FailMove(TenantMove& move, std::string reason, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kFailed));
  DOMICILE_RETURN_IF_ERROR(Guard(move, !reason.empty(), "a failure needs a reason"));
  move.state = MoveState::kFailed;
  move.failure = std::move(reason);
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status StartRollback(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kRollingBack));
  bool after_flip = move.state != MoveState::kFailed;
  if (after_flip && move.source_purged) {
    return Conflict(move.Label() + ": cannot undo: T's rows on the source are being deleted");
  }
  if (after_flip && now_ms >= move.grace_end_ms) {
    return Conflict(move.Label() + ": cannot undo: the grace period ended at " +
                    std::to_string(move.grace_end_ms));
  }
  move.state = MoveState::kRollingBack;
  move.flips_back = after_flip;
  move.reverse_position.clear();
  move.target_fenced = move.reverse_drained = move.flipped_back = false;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordReverseCutover(TenantMove& move, std::string position, uint64_t epoch,
                            int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record the reverse cutover", {MoveState::kRollingBack}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.flips_back && !move.flipped_back,
                                 "no flip back pending"));
  DOMICILE_RETURN_IF_ERROR(Guard(move, !position.empty() && epoch > move.fence_epoch,
                                 "reverse cutover needs a position and a newer fence epoch"));
  move.reverse_position = std::move(position);
  move.reverse_drained = true;
  move.fence_epoch = epoch;
  move.target_fenced = true;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status RecordFlippedBack(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(In(move, "record the flip back", {MoveState::kRollingBack}));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.ReadyToFlipBack(),
                                 "flip back before the reverse drain and target fence"));
  move.flipped_back = true;
  move.updated_at_ms = now_ms;
  return Status::Ok();
}

Status FinishRollback(TenantMove& move, int64_t now_ms) {
  DOMICILE_RETURN_IF_ERROR(Edge(move, MoveState::kRolledBack));
  DOMICILE_RETURN_IF_ERROR(Guard(move, !move.flips_back || move.flipped_back,
                                 "the catalog still points at the target"));
  move.state = MoveState::kRolledBack;
  move.source_fenced = move.target_fenced = false;
  move.ended_at_ms = move.updated_at_ms = now_ms;
  return Status::Ok();
}

}  // namespace domicile
