// Tests for the move saga's domain core: transitions, resume decisions, plan refusals, flips.
#include "domain/move_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "test_catalog.h"

namespace domicile {
namespace {

using testing::BaseMap;
using testing::MakeShard;
using testing::MakeTenant;
using testing::With;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kGrace = 60'000;

constexpr MoveState kAllStates[] = {
    MoveState::kPlanned,    MoveState::kCopying,    MoveState::kCatchingUp, MoveState::kVerifying,
    MoveState::kCuttingOver, MoveState::kFlipped,   MoveState::kCleaningUp, MoveState::kDone,
    MoveState::kFailed,     MoveState::kRollingBack, MoveState::kRolledBack};

// EU tenant "acme" on eu-1 (tables a, b); eu-lite is an EU SQLite shard.
ShardMap MoveMap() {
  ShardMap map = BaseMap();
  Shard lite = MakeShard("eu-lite", "aws:eu-central-1");
  lite.engine = Engine::kSqlite;
  map = With(map, PutShard{lite});
  return With(map, PutTenant{MakeTenant("acme", {"EU"}, "eu-1")});
}

MoveOptions Options() {
  MoveOptions o;
  o.move_id = "m1";
  o.tables = {"b", "a"};
  o.grace_ms = kGrace;
  return o;
}

void Commit(ShardMap& map, const Result<CatalogChange>& change) {
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  auto applied = map.Apply(*change);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  map = applied->map;
}

// A move driven the way a runner drives it: each step, then the catalog change it needs.
struct Saga {
  ShardMap map = MoveMap();
  TenantMove move;
  int64_t now = kT0;

  Saga() {
    auto planned = PlanMove(map, "acme", "eu-2", now, Options());
    EXPECT_TRUE(planned.ok()) << planned.status().ToString();
    move = *planned;
    Commit(map, MarkMovingChange(map, move));
  }
  CatalogHome Home() const { return WhereCatalogPoints(map, move); }

  void Step(MoveState to) {
    now += 10;
    switch (to) {
      case MoveState::kCopying: Ok(StartCopy(move, "snap-1", "slot_m1", "0/100", now)); break;
      case MoveState::kCatchingUp:
        Ok(RecordCopyProgress(move, "a", 10, 1000, now));
        Ok(FinishCopy(move, now));
        break;
      case MoveState::kVerifying: Ok(StartVerify(move, now)); break;
      case MoveState::kCuttingOver:
        for (const char* t : {"a", "b"}) Ok(RecordVerification(move, t, 10, "x", 10, "x", now));
        Ok(BeginCutover(move, now));
        break;
      case MoveState::kFlipped:
        Ok(RecordLagDrained(move, "0/200", now));
        Ok(RecordSourceFence(move, move.fence_epoch + 1, now));
        Commit(map, FlipChange(map, move));
        Ok(MarkFlipped(move, map.version(), 7, now));
        break;
      case MoveState::kCleaningUp: Ok(StartCleanup(move, now)); break;
      case MoveState::kDone:
        now = move.grace_end_ms;
        Ok(RecordSourcePurge(move, now));
        Ok(FinishMove(move, now));
        break;
      case MoveState::kFailed: Ok(FailMove(move, "source down", now)); break;
      case MoveState::kRollingBack: Ok(StartRollback(move, now)); break;
      case MoveState::kRolledBack:
        if (move.flips_back) {
          Ok(RecordReverseCutover(move, "1/10", move.fence_epoch + 1, now));
          Commit(map, RollbackChange(map, move));
          Ok(RecordFlippedBack(move, now));
        } else {
          Commit(map, RollbackChange(map, move));
        }
        Ok(FinishRollback(move, now));
        break;
      case MoveState::kPlanned: break;
    }
    EXPECT_EQ(move.state, to);
  }
  void Ok(const Status& st) { EXPECT_TRUE(st.ok()) << st.ToString(); }

  // The shortest runner path to `state` (failure from Copying; undo from Failed).
  void Reach(MoveState state) {
    static const MoveState kForward[] = {MoveState::kCopying, MoveState::kCatchingUp,
                                         MoveState::kVerifying, MoveState::kCuttingOver,
                                         MoveState::kFlipped, MoveState::kCleaningUp,
                                         MoveState::kDone};
    if (state == MoveState::kFailed || state == MoveState::kRollingBack ||
        state == MoveState::kRolledBack) {
      Step(MoveState::kCopying);
      Step(MoveState::kFailed);
      if (state != MoveState::kFailed) Step(MoveState::kRollingBack);
      if (state == MoveState::kRolledBack) Step(MoveState::kRolledBack);
      return;
    }
    for (MoveState s : kForward) {
      if (move.state == state) return;
      if (s > move.state) Step(s);  // the forward states are declared in saga order
    }
  }
};

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
  r.Ok(RecordLagDrained(r.move, "0/150", r.now));
  r.Ok(RecordSourceFence(r.move, 1, r.now));
  r.Ok(AbortCutover(r.move, "hold bound passed", r.now));
  EXPECT_EQ(r.move.state, MoveState::kCatchingUp);
  EXPECT_FALSE(r.move.source_fenced);
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
  EXPECT_EQ(RecordSourceFence(r.move, 1, r.now).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FlipChange(r.map, r.move).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MarkFlipped(r.move, 99, 1, r.now).code(), StatusCode::kInvalidArgument);
  r.Ok(RecordLagDrained(r.move, "0/300", r.now));
  r.Ok(RecordSourceFence(r.move, 5, r.now));
  EXPECT_EQ(RecordSourceFence(r.move, 5, r.now).code(), StatusCode::kInvalidArgument);
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
  r.Ok(RecordLagDrained(r.move, "0/200", r.now));
  r.Ok(RecordSourceFence(r.move, 1, r.now));
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
  r.Ok(RecordReverseCutover(r.move, "1/1", 2, r.now));
  Commit(r.map, RollbackChange(r.map, r.move));
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
  r.Ok(RecordLagDrained(r.move, "0/200", r.now));
  r.Ok(RecordSourceFence(r.move, 1, r.now));
  EXPECT_EQ(FlipChange(elsewhere, r.move).status().code(), StatusCode::kConflict);
  ShardMap unmarked = With(r.map, SetTenantState{"acme", TenantState::kActive});
  EXPECT_EQ(FlipChange(unmarked, r.move).status().code(), StatusCode::kConflict);
  Commit(r.map, FlipChange(r.map, r.move));
  auto again = FlipChange(r.map, r.move);  // a retried commit is a no-op
  ASSERT_TRUE(again.ok());
  auto applied = r.map.Apply(*again);
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(applied->changed());
  EXPECT_EQ(MarkMovingChange(r.map, r.move).status().code(), StatusCode::kConflict);
}

// --- Property: random runner behaviour, crashes included -----------------------------------

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
