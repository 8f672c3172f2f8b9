// Property test of the move saga: random runner behaviour and crashes never flip the catalog
// before verify, fence and drain, never leave the catalog ahead of the data, and never leave
// the tenant held outside a cutover.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "domain/move_plan.h"
#include "move_saga_fixture.h"

namespace domicile {
namespace {

using testing::kGrace;
using testing::Saga;

enum Cmd {
  kCopy, kProgress, kFinishCopy, kCatchUp, kVerify, kVerifyMatch, kVerifyMismatch, kCutover,
  kHold, kRelease, kFence, kDrain, kCommitFlip, kMarkFlipped, kAbort, kCleanup, kTick, kPurge,
  kFinish, kFail, kUndo, kReverse, kCommitBack, kFlippedBack, kFinishBack, kCrash, kCmdCount
};

// Commits `change` when it builds (a refused change commits nothing).
void CommitIfOk(Saga& r, const Result<CatalogChange>& change) {
  if (!change.ok()) return;
  auto applied = r.map.Apply(*change);
  RC_ASSERT(applied.ok());
  r.map = applied->map;
}

// The step a diligent runner takes next, so random sequences also get far into the saga.
Cmd NextStep(const Saga& r, CatalogHome home) {
  const TenantMove& m = r.move;
  switch (m.state) {
    case MoveState::kPlanned: return kCopy;
    case MoveState::kCopying: return kFinishCopy;
    case MoveState::kCatchingUp: return kVerify;
    case MoveState::kVerifying: return m.AllTablesMatch() ? kCutover : kVerifyMatch;
    case MoveState::kCuttingOver:
      if (home == CatalogHome::kTarget) return kMarkFlipped;
      if (!m.source_fenced) return r.State() == TenantState::kHeld ? kFence : kHold;
      return m.drained_position.empty() ? kDrain : kCommitFlip;
    case MoveState::kFlipped: return kCleanup;
    case MoveState::kCleaningUp:
      if (m.source_purged) return kFinish;
      return r.now >= m.grace_end_ms ? kPurge : kTick;
    case MoveState::kFailed: return kUndo;
    case MoveState::kRollingBack:
      if (m.flips_back && !m.flipped_back) {
        if (!m.target_fenced) return r.State() == TenantState::kHeld ? kReverse : kHold;
        return home == CatalogHome::kTarget ? kCommitBack : kFlippedBack;
      }
      return r.map.FindTenant(m.tenant)->state == TenantState::kActive ? kFinishBack
                                                                         : kCommitBack;
    case MoveState::kDone:
    case MoveState::kRolledBack: break;
  }
  return kCrash;
}

RC_GTEST_PROP(MovePlanProperty, NeverFlipsWithoutVerifyNorLetsTheCatalogRunAhead, ()) {
  // Values past kCmdCount stand for "the runner's next step": about two commands in three.
  const auto raw = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 3 * int(kCmdCount)));
  Saga r;
  bool verified_before_flip = false;
  bool flipped = false;
  bool held_seen = false;
  for (int pick : raw) {
    r.now += 1000;
    TenantMove before = r.move;
    const CatalogHome home = r.Home();
    const int cmd = pick < kCmdCount ? pick : NextStep(r, home);
    Status st;
    switch (static_cast<Cmd>(cmd)) {
      case kCopy: st = StartCopy(r.move, "s", "slot", "0/1", r.now); break;
      case kProgress: st = RecordCopyProgress(r.move, "a", 1, 10, r.now); break;
      case kFinishCopy: st = FinishCopy(r.move, r.now); break;
      case kCatchUp: st = RecordCatchUp(r.move, "0/2", r.now); break;
      case kVerify: st = StartVerify(r.move, r.now); break;
      case kVerifyMatch:
      case kVerifyMismatch:
        for (const char* t : {"a", "b"}) {
          st = RecordVerification(r.move, t, 5, "x", 5, cmd == kVerifyMatch ? "x" : "y", r.now);
        }
        break;
      case kCutover:
        st = BeginCutover(r.move, r.now);
        if (st.ok()) verified_before_flip = before.state == MoveState::kVerifying;
        break;
      case kHold: CommitIfOk(r, HoldChange(r.map, r.move)); break;
      case kRelease: CommitIfOk(r, ReleaseHoldChange(r.map, r.move)); break;
      case kFence: st = RecordSourceFence(r.move, r.move.fence_epoch + 1, r.now); break;
      case kDrain: st = RecordLagDrained(r.move, "0/3", r.now); break;
      case kCommitFlip: {
        auto change = FlipChange(r.map, r.move);
        if (change.ok()) RC_ASSERT(r.move.ReadyToFlip());
        CommitIfOk(r, change);
        break;
      }
      // The runner records a flip (or a flip back, or a failure) only after reading the
      // catalog: that is the contract the named functions state.
      case kMarkFlipped:
        if (home == CatalogHome::kTarget) st = MarkFlipped(r.move, r.map.version(), 1, r.now);
        break;
      // AbortCutover and FailMove release the hold first, as their contracts say.
      case kAbort:
        if (home == CatalogHome::kSource) {
          if (r.move.state == MoveState::kCuttingOver) {
            CommitIfOk(r, ReleaseHoldChange(r.map, r.move));
          }
          st = AbortCutover(r.move, "bound", r.now);
        }
        break;
      case kCleanup: st = StartCleanup(r.move, r.now); break;
      case kTick: r.now += kGrace / 2; break;
      case kPurge: st = RecordSourcePurge(r.move, r.now); break;
      case kFinish: st = FinishMove(r.move, r.now); break;
      case kFail:
        if (home == CatalogHome::kSource) {
          if (r.move.state == MoveState::kCuttingOver) {
            CommitIfOk(r, ReleaseHoldChange(r.map, r.move));
          }
          st = FailMove(r.move, "boom", r.now);
        }
        break;
      case kUndo: st = StartRollback(r.move, r.now); break;
      case kReverse: st = RecordReverseCutover(r.move, "1/1", r.move.fence_epoch + 1, r.now); break;
      case kCommitBack: CommitIfOk(r, RollbackChange(r.map, r.move)); break;
      case kFlippedBack:
        if (home == CatalogHome::kSource) st = RecordFlippedBack(r.move, r.now);
        break;
      case kFinishBack:
        if (home == CatalogHome::kSource) st = FinishRollback(r.move, r.now);
        break;
      case kCrash: {
        auto d = DecideResume(r.move, home);
        RC_ASSERT(d.ok());
        if (d->action == ResumeAction::kAdoptFlip) {
          RC_ASSERT(MarkFlipped(r.move, r.map.version(), 1, r.now).ok());
        } else if (d->action == ResumeAction::kAbortCutover) {
          auto release = ReleaseHoldChange(r.map, r.move);
          RC_ASSERT(release.ok());
          CommitIfOk(r, release);
          RC_ASSERT(AbortCutover(r.move, "crash", r.now).ok());
        } else if (d->action == ResumeAction::kRestartCopy) {
          RC_ASSERT(StartCopy(r.move, "s2", "slot2", "0/9", r.now).ok());
        }
        break;
      }
      case kCmdCount: break;
    }
    if (!st.ok()) RC_ASSERT(r.move == before);  // a refused step changes nothing
    if (r.move.state != before.state) {
      RC_ASSERT(IsLegalTransition(before.state, r.move.state));
    }
    if (r.move.state == MoveState::kFlipped && before.state != MoveState::kFlipped) {
      flipped = true;
      RC_ASSERT(verified_before_flip);
      RC_ASSERT(r.move.AllTablesMatch());
    }
    RC_ASSERT(CheckCatalogNotAhead(r.move, r.Home()).ok());
    // A drain recorded before the fence would prove nothing.
    RC_ASSERT(r.move.drained_position.empty() || r.move.source_fenced ||
              r.move.state != MoveState::kCuttingOver);
    const Tenant* t = r.map.FindTenant("acme");
    if (t->state == TenantState::kHeld) {
      const bool forward = r.move.state == MoveState::kCuttingOver && t->home_shard == "eu-1";
      const bool reverse = r.move.state == MoveState::kRollingBack && r.move.flips_back &&
                           !r.move.flipped_back && t->home_shard == "eu-2";
      RC_ASSERT(forward || reverse);
      held_seen = true;
    }
    if (t->home_shard == "eu-2" && !IsTerminal(r.move.state)) {
      RC_ASSERT(t->state == TenantState::kActive || t->state == TenantState::kHeld);
      RC_ASSERT(r.move.AllTablesMatch() && r.move.source_fenced &&
                !r.move.drained_position.empty());
    }
  }
  RC_CLASSIFY(flipped, "flipped");
  RC_CLASSIFY(held_seen, "held");
  RC_CLASSIFY(r.move.state == MoveState::kDone, "done");
  RC_CLASSIFY(r.move.state == MoveState::kRolledBack, "rolled back");
}

}  // namespace
}  // namespace domicile
