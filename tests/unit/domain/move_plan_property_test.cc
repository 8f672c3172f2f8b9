// Property test of the move saga: random runner behaviour and crashes never flip the catalog
// before verify, drain and fence, and never leave the catalog ahead of the data.
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
  kDrain, kFence, kCommitFlip, kMarkFlipped, kAbort, kCleanup, kTick, kPurge, kFinish, kFail,
  kUndo, kReverse, kCommitBack, kFlippedBack, kFinishBack, kCrash, kCmdCount
};

// The step a diligent runner takes next, so random sequences also get far into the saga.
Cmd NextStep(const Saga& r, CatalogHome home) {
  const TenantMove& m = r.move;
  switch (m.state) {
    case MoveState::kPlanned: return kCopy;
    case MoveState::kCopying: return kFinishCopy;
    case MoveState::kCatchingUp: return kVerify;
    case MoveState::kVerifying: return m.AllTablesMatch() ? kCutover : kVerifyMatch;
    case MoveState::kCuttingOver:
      if (m.drained_position.empty()) return kDrain;
      if (!m.source_fenced) return kFence;
      return home == CatalogHome::kSource ? kCommitFlip : kMarkFlipped;
    case MoveState::kFlipped: return kCleanup;
    case MoveState::kCleaningUp:
      if (m.source_purged) return kFinish;
      return r.now >= m.grace_end_ms ? kPurge : kTick;
    case MoveState::kFailed: return kUndo;
    case MoveState::kRollingBack:
      if (m.flips_back && !m.flipped_back) {
        if (!m.target_fenced) return kReverse;
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
      case kDrain: st = RecordLagDrained(r.move, "0/3", r.now); break;
      case kFence: st = RecordSourceFence(r.move, r.move.fence_epoch + 1, r.now); break;
      case kCommitFlip: {
        auto change = FlipChange(r.map, r.move);
        if (change.ok()) {
          RC_ASSERT(r.move.ReadyToFlip());
          auto applied = r.map.Apply(*change);
          RC_ASSERT(applied.ok());
          r.map = applied->map;
        }
        break;
      }
      // The runner records a flip (or a flip back, or a failure) only after reading the
      // catalog: that is the contract the named functions state.
      case kMarkFlipped:
        if (home == CatalogHome::kTarget) st = MarkFlipped(r.move, r.map.version(), 1, r.now);
        break;
      case kAbort:
        if (home == CatalogHome::kSource) st = AbortCutover(r.move, "bound", r.now);
        break;
      case kCleanup: st = StartCleanup(r.move, r.now); break;
      case kTick: r.now += kGrace / 2; break;
      case kPurge: st = RecordSourcePurge(r.move, r.now); break;
      case kFinish: st = FinishMove(r.move, r.now); break;
      case kFail:
        if (home == CatalogHome::kSource) st = FailMove(r.move, "boom", r.now);
        break;
      case kUndo: st = StartRollback(r.move, r.now); break;
      case kReverse: st = RecordReverseCutover(r.move, "1/1", r.move.fence_epoch + 1, r.now); break;
      case kCommitBack: {
        auto change = RollbackChange(r.map, r.move);
        if (change.ok()) {
          auto applied = r.map.Apply(*change);
          RC_ASSERT(applied.ok());
          r.map = applied->map;
        }
        break;
      }
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
    const Tenant* t = r.map.FindTenant("acme");
    if (t->home_shard == "eu-2" && !IsTerminal(r.move.state)) {
      RC_ASSERT(t->state == TenantState::kActive);
      RC_ASSERT(r.move.AllTablesMatch() && !r.move.drained_position.empty());
    }
  }
  RC_CLASSIFY(flipped, "flipped");
  RC_CLASSIFY(r.move.state == MoveState::kDone, "done");
  RC_CLASSIFY(r.move.state == MoveState::kRolledBack, "rolled back");
}

}  // namespace
}  // namespace domicile
