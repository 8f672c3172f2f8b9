// A tenant move driven the way a runner drives it, shared by the move saga's unit tests.
#pragma once

#include <gtest/gtest.h>

#include "domain/move_plan.h"
#include "test_catalog.h"

namespace domicile::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000;
inline constexpr int64_t kGrace = 60'000;

// EU tenant "acme" on eu-1 (tables a, b); eu-lite is an EU SQLite shard.
inline ShardMap MoveMap() {
  ShardMap map = BaseMap();
  Shard lite = MakeShard("eu-lite", "aws:eu-central-1");
  lite.engine = Engine::kSqlite;
  map = With(map, PutShard{lite});
  return With(map, PutTenant{MakeTenant("acme", {"EU"}, "eu-1")});
}

inline MoveOptions Options() {
  MoveOptions o;
  o.move_id = "m1";
  o.tables = {"b", "a"};
  o.grace_ms = kGrace;
  return o;
}

inline void Commit(ShardMap& map, const Result<CatalogChange>& change) {
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
        Commit(map, HoldChange(map, move));
        Ok(RecordSourceFence(move, move.fence_epoch + 1, now));
        Ok(RecordLagDrained(move, "0/200", now));
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
          Commit(map, HoldChange(map, move));
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
  TenantState State() const { return map.FindTenant(move.tenant)->state; }

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

}  // namespace domicile::testing
