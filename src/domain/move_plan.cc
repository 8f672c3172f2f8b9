// Move planning, the catalog-not-ahead invariant, resume decisions and the flip changes.
#include "domain/move_plan.h"

#include <algorithm>
#include <utility>

#include "domain/ids.h"
#include "domain/residency_policy.h"

namespace domicile {
namespace {

Status NeedState(const TenantMove& m, std::string_view what, MoveState state) {
  if (m.state == state) return Status::Ok();
  return Conflict(m.Label() + ": cannot " + std::string(what) + " in state " +
                  std::string(MoveStateName(m.state)) + " (needs " +
                  std::string(MoveStateName(state)) + ")");
}

Status Guard(const TenantMove& m, bool holds, std::string_view why) {
  return holds ? Status::Ok() : InvalidArgument(m.Label() + ": " + std::string(why));
}

CatalogChange OneTenant(Tenant t, std::string reason) {
  CatalogChange c;
  c.ops.push_back(PutTenant{std::move(t)});
  c.reason = std::move(reason);
  return c;
}

// The reverse cutover's window: undo after the flip, the catalog not yet back at the source.
bool InReverseCutover(const TenantMove& m) {
  return m.state == MoveState::kRollingBack && m.flips_back && !m.flipped_back;
}

// Where a hold applies for `move` now, and the state T returns to when it is released;
// kConflict outside a cutover (forward or reverse).
struct HoldSite {
  std::string shard;
  TenantState released;
};
Result<HoldSite> HoldSiteOf(const TenantMove& move, std::string_view what) {
  if (move.state == MoveState::kCuttingOver) {
    return HoldSite{move.source_shard, move.MarkedState()};
  }
  if (InReverseCutover(move)) return HoldSite{move.target_shard, TenantState::kActive};
  return Conflict(move.Label() + ": cannot " + std::string(what) + " in state " +
                  std::string(MoveStateName(move.state)) +
                  " (needs cutting-over, or rolling-back before the flip back)");
}

// T must be at the hold's shard in the state it is released to, or held.
Result<Tenant> TenantAtHoldSite(const ShardMap& map, const TenantMove& move, const HoldSite& site,
                                std::string_view what) {
  const Tenant* t = map.FindTenant(move.tenant);
  if (t == nullptr) return NotFound("unknown tenant '" + move.tenant + "'");
  if (t->home_shard != site.shard ||
      (t->state != site.released && t->state != TenantState::kHeld)) {
    return Conflict(move.Label() + ": cannot " + std::string(what) + ": tenant is " +
                    std::string(TenantStateName(t->state)) + " on " + t->home_shard +
                    ", expected " + std::string(TenantStateName(site.released)) + " or held on " +
                    site.shard);
  }
  return *t;
}

}  // namespace
// --- Invariant and resume --------------------------------------------------------------------

std::string_view CatalogHomeName(CatalogHome home) {
  switch (home) {
    case CatalogHome::kSource: return "source";
    case CatalogHome::kTarget: return "target";
    case CatalogHome::kElsewhere: return "another shard";
    case CatalogHome::kMissing: return "nowhere (tenant removed)";
  }
  return "unknown";
}

CatalogHome WhereCatalogPoints(const ShardMap& map, const TenantMove& move) {
  const Tenant* t = map.FindTenant(move.tenant);
  if (t == nullptr) return CatalogHome::kMissing;
  if (t->home_shard == move.source_shard) return CatalogHome::kSource;
  if (t->home_shard == move.target_shard) return CatalogHome::kTarget;
  return CatalogHome::kElsewhere;
}

Status CheckCatalogNotAhead(const TenantMove& move, CatalogHome home) {
  // A finished move is history: the tenant may have moved again since.
  if (IsTerminal(move.state)) return Status::Ok();
  std::string where = move.Label() + " in state " + std::string(MoveStateName(move.state)) +
                      ": the catalog points at " + std::string(CatalogHomeName(home));
  if (home == CatalogHome::kElsewhere || home == CatalogHome::kMissing) {
    return Conflict(where + ", which this move did not do");
  }
  bool ok = false;
  switch (move.state) {
    case MoveState::kPlanned:
    case MoveState::kCopying:
    case MoveState::kCatchingUp:
    case MoveState::kVerifying:
    case MoveState::kFailed:
      ok = home == CatalogHome::kSource;
      break;
    case MoveState::kCuttingOver:  // the flip may have committed before MarkFlipped
      ok = home == CatalogHome::kSource || move.ReadyToFlip();
      break;
    case MoveState::kFlipped:
    case MoveState::kCleaningUp:
      ok = home == CatalogHome::kTarget;
      break;
    case MoveState::kRollingBack:
      if (!move.flips_back) {
        ok = home == CatalogHome::kSource;
      } else if (move.flipped_back) {
        ok = home == CatalogHome::kSource;
      } else {  // the flip back may have committed before RecordFlippedBack
        ok = home == CatalogHome::kTarget || move.ReadyToFlipBack();
      }
      break;
    case MoveState::kDone:
    case MoveState::kRolledBack:
      ok = true;
      break;
  }
  if (ok) return Status::Ok();
  return Internal(where + ": the catalog is ahead of the data (verified " +
                  (move.AllTablesMatch() ? "yes" : "no") + ", source fenced " +
                  (move.source_fenced ? "yes" : "no") + ", drained " +
                  (move.drained_position.empty() ? "no" : "yes") + ")");
}

std::string_view ResumeActionName(ResumeAction action) {
  switch (action) {
    case ResumeAction::kStartCopy: return "start-copy";
    case ResumeAction::kRestartCopy: return "restart-copy";
    case ResumeAction::kResumeCatchUp: return "resume-catch-up";
    case ResumeAction::kRestartVerify: return "restart-verify";
    case ResumeAction::kAbortCutover: return "abort-cutover";
    case ResumeAction::kAdoptFlip: return "adopt-flip";
    case ResumeAction::kContinueCleanup: return "continue-cleanup";
    case ResumeAction::kAwaitUndo: return "await-undo";
    case ResumeAction::kReverseCutover: return "reverse-cutover";
    case ResumeAction::kFinishRollback: return "finish-rollback";
    case ResumeAction::kNothing: return "nothing";
  }
  return "unknown";
}

Result<ResumeDecision> DecideResume(const TenantMove& move, CatalogHome home) {
  DOMICILE_RETURN_IF_ERROR(CheckCatalogNotAhead(move, home));
  using A = ResumeAction;
  switch (move.state) {
    case MoveState::kPlanned:
      return ResumeDecision{A::kStartCopy, "mark the tenant (idempotent), snapshot and copy"};
    case MoveState::kCopying:
      return ResumeDecision{A::kRestartCopy,
                            "the snapshot died with its session: delete T's rows on the target, "
                            "drop slot " + move.slot + ", copy again"};
    case MoveState::kCatchingUp:
      return ResumeDecision{A::kResumeCatchUp, "apply from " + move.applied_position};
    case MoveState::kVerifying:
      return ResumeDecision{A::kRestartVerify, "verification is read-only: run it again"};
    case MoveState::kCuttingOver:
      if (home == CatalogHome::kTarget) {
        return ResumeDecision{A::kAdoptFlip, "the flip committed: record it, release to target"};
      }
      return ResumeDecision{A::kAbortCutover,
                            std::string(move.source_fenced ? "lower the source fence, " : "") +
                                "release the hold (if held), catch up again"};
    case MoveState::kFlipped:
    case MoveState::kCleaningUp:
      return ResumeDecision{A::kContinueCleanup,
                            move.source_purged ? "finish purging the source"
                                               : "drop the forward stream; purge after grace"};
    case MoveState::kFailed:
      return ResumeDecision{A::kAwaitUndo,
                            "failed: " + move.failure +
                                (move.source_fenced ? " (source still fenced)" : "")};
    case MoveState::kRollingBack:
      if (home == CatalogHome::kTarget) {
        return ResumeDecision{A::kReverseCutover, "hold, drain back, fence target, flip back"};
      }
      return ResumeDecision{A::kFinishRollback, "delete T's rows on the target, drop fences"};
    case MoveState::kDone:
    case MoveState::kRolledBack:
      break;
  }
  return ResumeDecision{A::kNothing, "the move has ended"};
}

// --- Plan and catalog changes ----------------------------------------------------------------

Result<TenantMove> PlanMove(const ShardMap& map, std::string_view tenant_raw,
                            std::string_view target_raw, int64_t now_ms,
                            const MoveOptions& options) {
  auto move_id = NormalizeId("move", options.move_id);
  if (!move_id.ok()) return move_id.status();
  auto tenant_id = NormalizeId("tenant", tenant_raw);
  if (!tenant_id.ok()) return tenant_id.status();
  auto target_id = NormalizeId("shard", target_raw);
  if (!target_id.ok()) return target_id.status();
  if (options.grace_ms < 0) return InvalidArgument("grace period must be >= 0");
  std::vector<std::string> tables = options.tables;
  std::sort(tables.begin(), tables.end());
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].empty()) return InvalidArgument("empty table name");
    if (i > 0 && tables[i] == tables[i - 1]) {
      return InvalidArgument("table " + tables[i] + " listed twice");
    }
  }

  const Tenant* tenant = map.FindTenant(*tenant_id);
  if (tenant == nullptr) return NotFound("unknown tenant '" + *tenant_id + "'");
  const Shard* target = map.FindShard(*target_id);
  if (target == nullptr) return NotFound("unknown shard '" + *target_id + "'");
  const Shard* source = map.FindShard(tenant->home_shard);
  if (source == nullptr) return Internal("tenant " + tenant->id + " has no home shard");
  if (source->id == target->id) {
    return InvalidArgument("tenant " + tenant->id + " already lives on shard " + target->id);
  }
  if (tenant->state != TenantState::kActive) {
    return Conflict("tenant " + tenant->id + " is " + std::string(TenantStateName(tenant->state)) +
                    ": another move holds it, or an operator froze it");
  }
  if (target->state != ShardState::kActive) {
    return PolicyRefused("shard " + target->id + " is " +
                         std::string(ShardStateName(target->state)) + " and takes no new tenants");
  }
  if (auto refusal = ResidencyPolicy::CheckPlacement(*tenant, *target)) return refusal->ToStatus();
  // R3 on every hop the rows take: directly, or through the process that copies them.
  const std::string& relay = options.relay_jurisdiction;
  if (relay.empty()) {
    if (auto r = ResidencyPolicy::CheckFlow(*tenant, source->jurisdiction, target->jurisdiction)) {
      return r->ToStatus();
    }
  } else {
    if (auto r = ResidencyPolicy::CheckFlow(*tenant, source->jurisdiction, relay)) {
      return r->ToStatus();
    }
    if (auto r = ResidencyPolicy::CheckFlow(*tenant, relay, target->jurisdiction)) {
      return r->ToStatus();
    }
  }
  // Whatever else the flip would hit (capacity) is refused now, not after the copy.
  Tenant flipped = *tenant;
  flipped.home_shard = target->id;
  std::vector<Problem> problems = map.Check(OneTenant(flipped, "plan"));
  if (!problems.empty()) return Status(problems.front().code, problems.front().message);

  TenantMove move;
  move.id = *move_id;
  move.tenant = tenant->id;
  move.source_shard = source->id;
  move.target_shard = target->id;
  move.planned_version = map.version();
  move.requires_freeze = source->engine != target->engine;
  move.relay_jurisdiction = relay;
  move.grace_ms = options.grace_ms;
  for (auto& name : tables) {
    TableProgress t;
    t.table = std::move(name);
    move.tables.push_back(std::move(t));
  }
  move.planned_at_ms = move.updated_at_ms = now_ms;
  return move;
}

Result<CatalogChange> MarkMovingChange(const ShardMap& map, const TenantMove& move) {
  DOMICILE_RETURN_IF_ERROR(NeedState(move, "mark the tenant", MoveState::kPlanned));
  const Tenant* t = map.FindTenant(move.tenant);
  if (t == nullptr) return NotFound("unknown tenant '" + move.tenant + "'");
  if (t->home_shard != move.source_shard ||
      (t->state != TenantState::kActive && t->state != move.MarkedState())) {
    return Conflict(move.Label() + ": tenant is " + std::string(TenantStateName(t->state)) +
                    " on " + t->home_shard + ", not active on " + move.source_shard);
  }
  Tenant marked = *t;
  marked.state = move.MarkedState();
  return OneTenant(std::move(marked), move.Label() + ": mark " +
                                          std::string(TenantStateName(move.MarkedState())));
}

Result<CatalogChange> HoldChange(const ShardMap& map, const TenantMove& move) {
  auto site = HoldSiteOf(move, "hold the tenant");
  if (!site.ok()) return site.status();
  auto t = TenantAtHoldSite(map, move, *site, "hold the tenant");
  if (!t.ok()) return t.status();
  t->state = TenantState::kHeld;
  return OneTenant(std::move(*t), move.Label() + ": hold on " + site->shard);
}

Result<CatalogChange> ReleaseHoldChange(const ShardMap& map, const TenantMove& move) {
  auto site = HoldSiteOf(move, "release the hold");
  if (!site.ok()) return site.status();
  auto t = TenantAtHoldSite(map, move, *site, "release the hold");
  if (!t.ok()) return t.status();
  t->state = site->released;
  return OneTenant(std::move(*t), move.Label() + ": release the hold on " + site->shard);
}

Result<CatalogChange> FlipChange(const ShardMap& map, const TenantMove& move) {
  DOMICILE_RETURN_IF_ERROR(NeedState(move, "flip", MoveState::kCuttingOver));
  DOMICILE_RETURN_IF_ERROR(Guard(move, move.ReadyToFlip(),
                                 "flip before verify, fence and drain completed"));
  const Tenant* t = map.FindTenant(move.tenant);
  if (t == nullptr) return NotFound("unknown tenant '" + move.tenant + "'");
  bool marked_at_source = t->home_shard == move.source_shard && move.Owns(t->state);
  bool already_flipped = t->home_shard == move.target_shard && t->state == TenantState::kActive;
  if (!marked_at_source && !already_flipped) {
    return Conflict(move.Label() + ": tenant is " + std::string(TenantStateName(t->state)) +
                    " on " + t->home_shard + "; the flip needs it held or marked on " +
                    move.source_shard);
  }
  Tenant flipped = *t;
  flipped.home_shard = move.target_shard;
  flipped.state = TenantState::kActive;
  return OneTenant(std::move(flipped), move.Label() + ": flip to " + move.target_shard);
}

Result<CatalogChange> RollbackChange(const ShardMap& map, const TenantMove& move) {
  DOMICILE_RETURN_IF_ERROR(NeedState(move, "roll back the catalog", MoveState::kRollingBack));
  const Tenant* t = map.FindTenant(move.tenant);
  if (t == nullptr) return NotFound("unknown tenant '" + move.tenant + "'");
  if (t->home_shard == move.target_shard) {
    DOMICILE_RETURN_IF_ERROR(Guard(move, move.ReadyToFlipBack(),
                                   "flip back before the reverse drain and target fence"));
  } else if (t->home_shard != move.source_shard) {
    return Conflict(move.Label() + ": tenant lives on " + t->home_shard);
  }
  Tenant back = *t;
  back.home_shard = move.source_shard;
  back.state = TenantState::kActive;
  return OneTenant(std::move(back), move.Label() + ": back to " + move.source_shard);
}

}  // namespace domicile
