// Tests for the move saga's domain core: transitions, resume decisions, plan refusals, flips.
#include "domain/move_plan.h"

#include <gtest/gtest.h>

#include "move_saga_fixture.h"

namespace domicile {
namespace {

using testing::Commit;
using testing::kGrace;
using testing::kT0;
using testing::MakeTenant;
using testing::MoveMap;
using testing::Options;
using testing::Saga;
using testing::With;

constexpr MoveState kAllStates[] = {
    MoveState::kPlanned,    MoveState::kCopying,    MoveState::kCatchingUp, MoveState::kVerifying,
    MoveState::kCuttingOver, MoveState::kFlipped,   MoveState::kCleaningUp, MoveState::kDone,
    MoveState::kFailed,     MoveState::kRollingBack, MoveState::kRolledBack};

TEST(MovePlanTest, HappyPathWalksEveryForwardEdgeAndFlipsOnlyAfterVerify) {
  Saga r;
  EXPECT_EQ(r.map.FindTenant("acme")->state, TenantState::kMoving);
  for (MoveState s : {MoveState::kCopying, MoveState::kCatchingUp, MoveState::kVerifying,
                      MoveState::kCuttingOver}) {
    r.Step(s);
    EXPECT_EQ(r.Home(), CatalogHome::kSource) << MoveStateName(s);
  }
  r.Step(MoveState::kFlipped);
  const Tenant* t = r.map.FindTenant("acme");
  EXPECT_EQ(t->home_shard, "eu-2");
  EXPECT_EQ(t->state, TenantState::kActive);
  EXPECT_EQ(r.move.hold_ms, 7);
  EXPECT_EQ(r.move.grace_end_ms, r.now + kGrace);
  r.Step(MoveState::kCleaningUp);
  EXPECT_EQ(RecordSourcePurge(r.move, r.now).code(), StatusCode::kInvalidArgument);  // grace
  EXPECT_EQ(FinishMove(r.move, r.now).code(), StatusCode::kInvalidArgument);  // not purged
  r.Step(MoveState::kDone);
  EXPECT_EQ(r.move.ended_at_ms, r.now);
  EXPECT_EQ(r.move.FindTable("a")->rows_copied, 10u);
}

TEST(MovePlanTest, AbortedCutoverCatchesUpAgainAndLowersTheFence) {
  Saga r;
  r.Reach(MoveState::kCuttingOver);
  Commit(r.map, HoldChange(r.map, r.move));
  r.Ok(RecordSourceFence(r.move, 1, r.now));
  r.Ok(RecordLagDrained(r.move, "0/150", r.now));
  Commit(r.map, ReleaseHoldChange(r.map, r.move));
  EXPECT_EQ(r.State(), TenantState::kMoving);
  r.Ok(AbortCutover(r.move, "hold bound passed", r.now));
  EXPECT_EQ(r.move.state, MoveState::kCatchingUp);
  EXPECT_FALSE(r.move.source_fenced);
  EXPECT_TRUE(r.move.drained_position.empty());
  EXPECT_EQ(r.move.failure, "hold bound passed");
  r.Step(MoveState::kVerifying);
  EXPECT_FALSE(r.move.AllTablesMatch());  // verification starts over
  r.Step(MoveState::kCuttingOver);
  EXPECT_EQ(r.move.cutover_attempts, 2);
  r.Step(MoveState::kFlipped);
  EXPECT_EQ(r.move.fence_epoch, 2u);  // a new epoch beats the aborted one
}

TEST(MovePlanTest, EveryStepBeforeTheFlipCanFailAndRollBack) {
  for (MoveState s : {MoveState::kPlanned, MoveState::kCopying, MoveState::kCatchingUp,
                      MoveState::kVerifying, MoveState::kCuttingOver}) {
    Saga r;
    r.Reach(s);
    EXPECT_EQ(FailMove(r.move, "", r.now).code(), StatusCode::kInvalidArgument);
    r.Step(MoveState::kFailed);
    EXPECT_EQ(r.Home(), CatalogHome::kSource);
    r.Step(MoveState::kRollingBack);
    EXPECT_FALSE(r.move.flips_back);
    r.Step(MoveState::kRolledBack);
    EXPECT_EQ(r.map.FindTenant("acme")->state, TenantState::kActive);
    EXPECT_EQ(r.map.FindTenant("acme")->home_shard, "eu-1");
  }
}

TEST(MovePlanTest, UndoWithinGraceFlipsTheCatalogBackAfterTheReverseCutover) {
  for (MoveState s : {MoveState::kFlipped, MoveState::kCleaningUp}) {
    Saga r;
    r.Reach(s);
    r.Step(MoveState::kRollingBack);
    EXPECT_TRUE(r.move.flips_back);
    EXPECT_EQ(RollbackChange(r.map, r.move).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(FinishRollback(r.move, r.now).code(), StatusCode::kInvalidArgument);
    r.Step(MoveState::kRolledBack);
    EXPECT_EQ(r.map.FindTenant("acme")->home_shard, "eu-1");
  }
}

TEST(MovePlanTest, UndoIsRefusedAfterGraceOrOnceThePurgeBegan) {
  Saga r;
  r.Reach(MoveState::kCleaningUp);
  Status late = StartRollback(r.move, r.move.grace_end_ms);
  EXPECT_EQ(late.code(), StatusCode::kConflict);
  EXPECT_NE(late.message().find("grace period ended"), std::string::npos);
  r.Ok(RecordSourcePurge(r.move, r.move.grace_end_ms));
  EXPECT_EQ(StartRollback(r.move, r.now).code(), StatusCode::kConflict);
  EXPECT_EQ(r.move.state, MoveState::kCleaningUp);
}

// Calls every function whose edge ends in `to`; each must refuse when the edge is missing.
std::vector<Status> TryEdgesInto(TenantMove m, MoveState to, int64_t now) {
  TenantMove c = m;
  switch (to) {
    case MoveState::kCopying: return {StartCopy(c, "s", "slot", "0/1", now)};
    case MoveState::kCatchingUp: return {FinishCopy(c, now), AbortCutover(m, "x", now)};
    case MoveState::kVerifying: return {StartVerify(c, now)};
    case MoveState::kCuttingOver: return {BeginCutover(c, now)};
    case MoveState::kFlipped: return {MarkFlipped(c, 99, 1, now)};
    case MoveState::kCleaningUp: return {StartCleanup(c, now)};
    case MoveState::kDone: return {FinishMove(c, now)};
    case MoveState::kFailed: return {FailMove(c, "x", now)};
    case MoveState::kRollingBack: return {StartRollback(c, now)};
    case MoveState::kRolledBack: return {FinishRollback(c, now)};
    case MoveState::kPlanned: return {};  // nothing leads back to Planned
  }
  return {};
}

TEST(MovePlanTest, IllegalTransitionsAreConflictsNamingBothStates) {
  int refused = 0;
  for (MoveState from : kAllStates) {
    Saga r;
    r.Reach(from);
    ASSERT_EQ(r.move.state, from);
    for (MoveState to : kAllStates) {
      if (IsLegalTransition(from, to)) continue;
      for (const Status& st : TryEdgesInto(r.move, to, r.now)) {
        EXPECT_EQ(st.code(), StatusCode::kConflict) << MoveStateName(from) << "->"
                                                    << MoveStateName(to) << ": " << st.ToString();
        EXPECT_NE(st.message().find(std::string(MoveStateName(from))), std::string::npos);
        EXPECT_NE(st.message().find(std::string(MoveStateName(to))), std::string::npos);
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 90);
  EXPECT_FALSE(IsLegalTransition(MoveState::kVerifying, MoveState::kFlipped));
  EXPECT_FALSE(IsLegalTransition(MoveState::kFlipped, MoveState::kFailed));
  for (MoveState s : kAllStates) EXPECT_EQ(ParseMoveState(MoveStateName(s)), s);
}

TEST(MovePlanTest, GuardsRefuseWithInvalidArgument) {
  Saga r;
  EXPECT_EQ(StartCopy(r.move, "", "slot", "0/1", r.now).code(), StatusCode::kInvalidArgument);
  r.Reach(MoveState::kCopying);
  EXPECT_EQ(RecordCopyProgress(r.move, "zz", 1, 1, r.now).code(), StatusCode::kInvalidArgument);
  r.Reach(MoveState::kVerifying);
  r.Ok(RecordVerification(r.move, "a", 10, "x", 10, "x", r.now));
  EXPECT_EQ(BeginCutover(r.move, r.now).code(), StatusCode::kInvalidArgument);  // b unverified
  r.Ok(RecordVerification(r.move, "b", 10, "x", 9, "y", r.now));
  Status mismatch = BeginCutover(r.move, r.now);
  EXPECT_EQ(mismatch.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.message().find("table b differs"), std::string::npos);
  r.Ok(RecordVerification(r.move, "b", 10, "x", 10, "x", r.now));
  r.Ok(BeginCutover(r.move, r.now));
  Status early = RecordLagDrained(r.move, "0/300", r.now);  // before the fence: proves nothing
  EXPECT_EQ(early.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(early.message().find("before the source fence"), std::string::npos);
  EXPECT_EQ(FlipChange(r.map, r.move).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MarkFlipped(r.move, 99, 1, r.now).code(), StatusCode::kInvalidArgument);
  r.Ok(RecordSourceFence(r.move, 5, r.now));  // needs no drain
  EXPECT_EQ(RecordSourceFence(r.move, 5, r.now).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FlipChange(r.map, r.move).status().code(), StatusCode::kInvalidArgument);  // drain
  EXPECT_EQ(RecordLagDrained(r.move, "", r.now).code(), StatusCode::kInvalidArgument);
  r.Ok(RecordLagDrained(r.move, "0/300", r.now));
  EXPECT_EQ(MarkFlipped(r.move, r.move.planned_version, 1, r.now).code(),
            StatusCode::kInvalidArgument);
}

TEST(MovePlanTest, ResumeDecisionForACrashInEachState) {
  struct Case {
    MoveState state;
    ResumeAction action;
  };
  for (Case c : {Case{MoveState::kPlanned, ResumeAction::kStartCopy},
                 Case{MoveState::kCopying, ResumeAction::kRestartCopy},
                 Case{MoveState::kCatchingUp, ResumeAction::kResumeCatchUp},
                 Case{MoveState::kVerifying, ResumeAction::kRestartVerify},
                 Case{MoveState::kCuttingOver, ResumeAction::kAbortCutover},
                 Case{MoveState::kFlipped, ResumeAction::kContinueCleanup},
                 Case{MoveState::kCleaningUp, ResumeAction::kContinueCleanup},
                 Case{MoveState::kDone, ResumeAction::kNothing},
                 Case{MoveState::kFailed, ResumeAction::kAwaitUndo},
                 Case{MoveState::kRollingBack, ResumeAction::kFinishRollback},
                 Case{MoveState::kRolledBack, ResumeAction::kNothing}}) {
    Saga r;
    r.Reach(c.state);
    auto d = DecideResume(r.move, r.Home());
    ASSERT_TRUE(d.ok()) << MoveStateName(c.state) << ": " << d.status().ToString();
    EXPECT_EQ(d->action, c.action) << MoveStateName(c.state) << " -> "
                                   << ResumeActionName(d->action);
  }
}

TEST(MovePlanTest, CrashBetweenFlipCommitAndRecordAdoptsTheFlip) {
  Saga r;
  r.Reach(MoveState::kCuttingOver);
  Commit(r.map, HoldChange(r.map, r.move));
  r.Ok(RecordSourceFence(r.move, 1, r.now));
  r.Ok(RecordLagDrained(r.move, "0/200", r.now));
  auto before = DecideResume(r.move, r.Home());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->action, ResumeAction::kAbortCutover);
  EXPECT_NE(before->why.find("lower the source fence"), std::string::npos);
  Commit(r.map, FlipChange(r.map, r.move));  // ... and the runner dies here
  auto after = DecideResume(r.move, r.Home());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->action, ResumeAction::kAdoptFlip);
  r.Ok(MarkFlipped(r.move, r.map.version(), 0, r.now));
  // Undo after the flip, crash after the flip back committed: finish the rollback.
  r.Step(MoveState::kRollingBack);
  EXPECT_EQ(DecideResume(r.move, r.Home())->action, ResumeAction::kReverseCutover);
  Commit(r.map, HoldChange(r.map, r.move));  // the reverse hold, at the target
  EXPECT_EQ(r.State(), TenantState::kHeld);
  EXPECT_EQ(DecideResume(r.move, r.Home())->action, ResumeAction::kReverseCutover);
  r.Ok(RecordReverseCutover(r.move, "1/1", 2, r.now));
  Commit(r.map, RollbackChange(r.map, r.move));
  EXPECT_EQ(r.State(), TenantState::kActive);  // the flip back also ends the reverse hold
  EXPECT_EQ(DecideResume(r.move, r.Home())->action, ResumeAction::kFinishRollback);
}

TEST(MovePlanTest, ResumeRefusesWhenTheCatalogIsAheadOfTheData) {
  Saga r;
  r.Reach(MoveState::kVerifying);
  auto ahead = DecideResume(r.move, CatalogHome::kTarget);
  EXPECT_EQ(ahead.status().code(), StatusCode::kInternal);
  EXPECT_NE(ahead.status().message().find("ahead of the data"), std::string::npos);
  r.Step(MoveState::kCuttingOver);  // verified, but not drained nor fenced
  EXPECT_EQ(DecideResume(r.move, CatalogHome::kTarget).status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecideResume(r.move, CatalogHome::kElsewhere).status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(DecideResume(r.move, CatalogHome::kMissing).status().code(), StatusCode::kConflict);
  r.Step(MoveState::kFlipped);
  EXPECT_EQ(DecideResume(r.move, CatalogHome::kSource).status().code(), StatusCode::kInternal);
}

TEST(MovePlanTest, PlanRecordsTheMoveAtTheCatalogVersion) {
  ShardMap map = MoveMap();
  auto m = PlanMove(map, "ACME", "eu-2", kT0, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->state, MoveState::kPlanned);
  EXPECT_EQ(m->source_shard, "eu-1");
  EXPECT_EQ(m->planned_version, map.version());
  EXPECT_FALSE(m->requires_freeze);
  ASSERT_EQ(m->tables.size(), 2u);
  EXPECT_EQ(m->tables[0].table, "a");
  auto lite = PlanMove(map, "acme", "eu-lite", kT0, Options());
  ASSERT_TRUE(lite.ok()) << lite.status().ToString();
  EXPECT_TRUE(lite->requires_freeze);
  auto mark = MarkMovingChange(map, *lite);
  ASSERT_TRUE(mark.ok());
  EXPECT_EQ(std::get<PutTenant>(mark->ops[0]).tenant.state, TenantState::kFrozen);
}

void ExpectRefused(const ShardMap& map, std::string_view tenant, std::string_view target,
                   StatusCode code, std::string_view words, MoveOptions o = Options()) {
  auto m = PlanMove(map, tenant, target, kT0, o);
  ASSERT_FALSE(m.ok()) << tenant << " -> " << target << ": " << words;
  EXPECT_EQ(m.status().code(), code) << m.status().ToString();
  EXPECT_NE(m.status().message().find(words), std::string::npos) << m.status().ToString();
}

TEST(MovePlanTest, PlanRefusesEachRule) {
  ShardMap map = MoveMap();
  ExpectRefused(map, "nobody", "eu-2", StatusCode::kNotFound, "unknown tenant");
  ExpectRefused(map, "acme", "eu-9", StatusCode::kNotFound, "unknown shard");
  ExpectRefused(map, "acme", "eu-1", StatusCode::kInvalidArgument, "already lives");
  ExpectRefused(map, "acme", "us-1", StatusCode::kPolicyRefused, "R2");
  MoveOptions via_us = Options();
  via_us.relay_jurisdiction = "US";
  ExpectRefused(map, "acme", "eu-2", StatusCode::kPolicyRefused, "R3", via_us);
  MoveOptions bad = Options();
  bad.move_id = "";
  ExpectRefused(map, "acme", "eu-2", StatusCode::kInvalidArgument, "move", bad);
  bad = Options();
  bad.tables = {"a", "a"};
  ExpectRefused(map, "acme", "eu-2", StatusCode::kInvalidArgument, "twice", bad);

  ExpectRefused(With(map, SetShardState{"eu-2", ShardState::kDraining}), "acme", "eu-2",
                StatusCode::kPolicyRefused, "draining");
  ExpectRefused(With(map, SetTenantState{"acme", TenantState::kMoving}), "acme", "eu-2",
                StatusCode::kConflict, "moving");
  ExpectRefused(With(map, SetTenantState{"acme", TenantState::kFrozen}), "acme", "eu-2",
                StatusCode::kConflict, "frozen");
  ExpectRefused(With(map, SetTenantState{"acme", TenantState::kHeld}), "acme", "eu-2",
                StatusCode::kConflict, "held");
  Shard full = *map.FindShard("eu-2");
  full.capacity = 1;
  ShardMap crowded = With(With(map, PutShard{full}), PutTenant{MakeTenant("b", {"EU"}, "eu-2")});
  ExpectRefused(crowded, "acme", "eu-2", StatusCode::kPolicyRefused, "full");
}

TEST(MovePlanTest, CatalogChangesRefuseATenantThisMoveDoesNotHold) {
  Saga r;
  ShardMap elsewhere = With(r.map, PutTenant{MakeTenant("acme", {"EU"}, "eu-lite")});
  EXPECT_EQ(WhereCatalogPoints(elsewhere, r.move), CatalogHome::kElsewhere);
  r.Reach(MoveState::kCuttingOver);
  r.Ok(RecordSourceFence(r.move, 1, r.now));
  r.Ok(RecordLagDrained(r.move, "0/200", r.now));
  EXPECT_EQ(FlipChange(elsewhere, r.move).status().code(), StatusCode::kConflict);
  EXPECT_EQ(HoldChange(elsewhere, r.move).status().code(), StatusCode::kConflict);
  EXPECT_EQ(ReleaseHoldChange(elsewhere, r.move).status().code(), StatusCode::kConflict);
  ShardMap unmarked = With(r.map, SetTenantState{"acme", TenantState::kActive});
  EXPECT_EQ(FlipChange(unmarked, r.move).status().code(), StatusCode::kConflict);
  Commit(r.map, FlipChange(r.map, r.move));
  auto again = FlipChange(r.map, r.move);  // a retried commit is a no-op
  ASSERT_TRUE(again.ok());
  auto applied = r.map.Apply(*again);
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(applied->changed());
  EXPECT_EQ(MarkMovingChange(r.map, r.move).status().code(), StatusCode::kConflict);
  // After the flip the forward hold is gone for good: neither re-held nor released.
  EXPECT_EQ(HoldChange(r.map, r.move).status().code(), StatusCode::kConflict);
  EXPECT_EQ(ReleaseHoldChange(r.map, r.move).status().code(), StatusCode::kConflict);
}

// Applies `change` and says whether it changed anything (a no-op change is fine to retry).
bool Changes(const ShardMap& map, const Result<CatalogChange>& change) {
  EXPECT_TRUE(change.ok()) << change.status().ToString();
  if (!change.ok()) return false;
  auto applied = map.Apply(*change);
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return applied.ok() && applied->changed();
}

TEST(MovePlanTest, HoldIsOnlyForACutoverAndHoldAndReleaseRetryAsNoOps) {
  for (MoveState s : {MoveState::kPlanned, MoveState::kCopying, MoveState::kCatchingUp,
                      MoveState::kVerifying, MoveState::kFailed, MoveState::kRolledBack}) {
    Saga r;
    r.Reach(s);
    EXPECT_EQ(HoldChange(r.map, r.move).status().code(), StatusCode::kConflict)
        << MoveStateName(s);
    EXPECT_EQ(ReleaseHoldChange(r.map, r.move).status().code(), StatusCode::kConflict)
        << MoveStateName(s);
  }
  Saga r;
  r.Reach(MoveState::kCuttingOver);
  EXPECT_FALSE(Changes(r.map, ReleaseHoldChange(r.map, r.move)));  // moving: nothing to release
  auto hold = HoldChange(r.map, r.move);
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(std::get<PutTenant>(hold->ops[0]).tenant.home_shard, "eu-1");
  Commit(r.map, hold);
  EXPECT_EQ(r.State(), TenantState::kHeld);
  EXPECT_EQ(r.Home(), CatalogHome::kSource);
  EXPECT_FALSE(Changes(r.map, HoldChange(r.map, r.move)));  // already held
  Commit(r.map, ReleaseHoldChange(r.map, r.move));
  EXPECT_EQ(r.State(), TenantState::kMoving);
  // Only a tenant this move marked can be held: not one an operator set back to active.
  ShardMap active = With(r.map, SetTenantState{"acme", TenantState::kActive});
  Status not_marked = HoldChange(active, r.move).status();
  EXPECT_EQ(not_marked.code(), StatusCode::kConflict);
  EXPECT_NE(not_marked.message().find("tenant is active on eu-1"), std::string::npos)
      << not_marked.ToString();
}

TEST(MovePlanTest, FreezeMoveHoldsAFrozenTenantAndReleasesItFrozen) {
  ShardMap map = MoveMap();
  auto planned = PlanMove(map, "acme", "eu-lite", kT0, Options());
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  TenantMove m = *planned;
  Commit(map, MarkMovingChange(map, m));
  ASSERT_TRUE(StartCopy(m, "", "", "", kT0).ok());
  ASSERT_TRUE(FinishCopy(m, kT0).ok());
  ASSERT_TRUE(StartVerify(m, kT0).ok());
  for (const char* t : {"a", "b"}) {
    ASSERT_TRUE(RecordVerification(m, t, 1, "x", 1, "x", kT0).ok());
  }
  ASSERT_TRUE(BeginCutover(m, kT0).ok());
  Commit(map, HoldChange(map, m));
  EXPECT_EQ(map.FindTenant("acme")->state, TenantState::kHeld);
  Commit(map, ReleaseHoldChange(map, m));
  EXPECT_EQ(map.FindTenant("acme")->state, TenantState::kFrozen);
}

TEST(MovePlanTest, FlipAcceptsTheTenantHeldOrMovingAndReleasesItAtTheTarget) {
  for (bool held : {true, false}) {
    Saga r;
    r.Reach(MoveState::kCuttingOver);
    if (held) Commit(r.map, HoldChange(r.map, r.move));
    r.Ok(RecordSourceFence(r.move, 1, r.now));
    r.Ok(RecordLagDrained(r.move, "0/200", r.now));
    Commit(r.map, FlipChange(r.map, r.move));
    EXPECT_EQ(r.map.FindTenant("acme")->home_shard, "eu-2");
    EXPECT_EQ(r.State(), TenantState::kActive) << held;
  }
}

TEST(MovePlanTest, CrashInACutoverWithTheTenantHeldAbortsAndReleasesTheHold) {
  Saga r;
  r.Reach(MoveState::kCuttingOver);
  Commit(r.map, HoldChange(r.map, r.move));
  r.Ok(RecordSourceFence(r.move, 1, r.now));  // ... and the runner dies here
  auto d = DecideResume(r.move, r.Home());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->action, ResumeAction::kAbortCutover);
  EXPECT_NE(d->why.find("lower the source fence, release the hold"), std::string::npos) << d->why;
  Commit(r.map, ReleaseHoldChange(r.map, r.move));
  r.Ok(AbortCutover(r.move, "resumed after a crash", r.now));
  EXPECT_EQ(r.State(), TenantState::kMoving);
  EXPECT_TRUE(CheckCatalogNotAhead(r.move, r.Home()).ok());
}

TEST(MovePlanTest, RollbackChangeActivatesAHeldTenant) {
  Saga r;
  r.Reach(MoveState::kCuttingOver);
  Commit(r.map, HoldChange(r.map, r.move));
  r.Step(MoveState::kFailed);  // a runner that broke the contract and failed while holding
  r.Step(MoveState::kRollingBack);
  EXPECT_EQ(r.State(), TenantState::kHeld);
  r.Step(MoveState::kRolledBack);
  EXPECT_EQ(r.State(), TenantState::kActive);
  EXPECT_EQ(r.map.FindTenant("acme")->home_shard, "eu-1");
}

TEST(MovePlanTest, ReverseCutoverHoldsAtTheTargetAndAnAbortReleasesItThere) {
  Saga r;
  r.Reach(MoveState::kFlipped);
  r.Step(MoveState::kRollingBack);
  Commit(r.map, HoldChange(r.map, r.move));
  EXPECT_EQ(r.State(), TenantState::kHeld);
  EXPECT_EQ(r.Home(), CatalogHome::kTarget);
  Commit(r.map, ReleaseHoldChange(r.map, r.move));
  EXPECT_EQ(r.State(), TenantState::kActive);
  EXPECT_EQ(r.Home(), CatalogHome::kTarget);
}

}  // namespace
}  // namespace domicile
