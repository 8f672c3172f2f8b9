// The MoveStore contract: one suite that every move store adapter (and the fake) must pass.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_move_store.h"
#include "contract/move_store_fixtures.h"
#include "fakes/in_memory_move_store.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

constexpr MoveState kAllStates[] = {
    MoveState::kPlanned,    MoveState::kCopying,     MoveState::kCatchingUp,
    MoveState::kVerifying,  MoveState::kCuttingOver, MoveState::kFlipped,
    MoveState::kCleaningUp, MoveState::kDone,        MoveState::kFailed,
    MoveState::kRollingBack, MoveState::kRolledBack,
};

struct StoreFactory {
  std::string name;
  // Makes an empty store; `dir` outlives it.
  std::function<std::unique_ptr<MoveStore>(const TempDir& dir)> make;
};
void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

class MoveStoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr);
  }

  void CreateOrFail(const TenantMove& move) {
    Status st = store_->Create(move);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Saves `move` in `state` over the stored `move`; returns what was saved.
  TenantMove SaveInStateOrFail(const TenantMove& move, MoveState state) {
    TenantMove next = InState(move, state, move.updated_at_ms + 1);
    Status st = store_->Save(move, next);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return next;
  }

  TenantMove GetOrFail(const std::string& id) {
    auto move = store_->Get(id);
    EXPECT_TRUE(move.ok()) << move.status().ToString();
    return move.ok() ? std::move(move).value() : TenantMove();
  }

  std::vector<std::string> ListedIds(bool include_ended) {
    auto moves = store_->List(include_ended);
    EXPECT_TRUE(moves.ok()) << moves.status().ToString();
    std::vector<std::string> ids;
    if (moves.ok()) {
      for (const auto& m : *moves) ids.push_back(m.id);
    }
    return ids;
  }

  TempDir dir_{"move-contract"};
  std::unique_ptr<MoveStore> store_;
};

TEST_P(MoveStoreContract, CreateThenGetRoundTripsEveryField) {
  TenantMove move = SampleMove("m1", "acme");
  CreateOrFail(move);
  TenantMove got = GetOrFail("m1");
  EXPECT_EQ(got, move);
  ASSERT_EQ(got.tables.size(), 3u);
  EXPECT_EQ(got.tables[1].table, "public.b_rows");
  EXPECT_FALSE(got.tables[1].verified);
  EXPECT_EQ(got.tables[2].bytes_copied, 64'002u);
}

TEST_P(MoveStoreContract, SaveRoundTripsEveryStateAndEveryField) {
  TenantMove move = SampleMove("m1", "acme");
  CreateOrFail(move);
  for (MoveState state : kAllStates) {
    TenantMove next = InState(move, state, move.updated_at_ms + 10);
    next.applied_position = "0/" + std::string(MoveStateName(state));
    next.fence_epoch = move.fence_epoch + 1;
    next.source_fenced = !move.source_fenced;
    next.cutover_attempts = move.cutover_attempts + 1;
    next.tables[0].rows_copied += 5;
    next.tables[2].verified = !move.tables[2].verified;
    ASSERT_TRUE(store_->Save(move, next).ok()) << MoveStateName(state);
    EXPECT_EQ(GetOrFail("m1"), next) << MoveStateName(state);
    move = next;
  }
}

TEST_P(MoveStoreContract, ExtremeValuesAndOddTextRoundTrip) {
  TenantMove move = SampleMove("m-odd", "acme");
  move.planned_version = std::numeric_limits<uint64_t>::max();
  move.fence_epoch = uint64_t{1} << 63;
  move.flip_version = 0;
  move.grace_ms = std::numeric_limits<int64_t>::min();
  move.hold_ms = std::numeric_limits<int64_t>::max();
  move.cutover_attempts = std::numeric_limits<int>::min();
  move.failure = "it's \"quoted\"; DROP TABLE tenant_move; --\nsecond line\tand caf\u00e9";
  move.relay_jurisdiction = "";
  move.snapshot = std::string("nul\0byte", 8);
  move.tables[0].rows_copied = std::numeric_limits<uint64_t>::max();
  move.tables[1].source_checksum = "";
  // Not sorted by name: the store keeps the order it was given.
  std::swap(move.tables[0], move.tables[2]);
  CreateOrFail(move);
  EXPECT_EQ(GetOrFail("m-odd"), move);

  TenantMove no_tables = SampleMove("m-empty", "globex");
  no_tables.tables.clear();
  CreateOrFail(no_tables);
  EXPECT_EQ(GetOrFail("m-empty"), no_tables);
}

TEST_P(MoveStoreContract, DuplicateIdIsAlreadyExists) {
  TenantMove move = SampleMove("m1", "acme");
  CreateOrFail(move);
  Status again = store_->Create(move);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_NE(again.message().find("m1"), std::string::npos) << again.message();
  // Even for another tenant, and even once the first move ended.
  Status other = store_->Create(SampleMove("m1", "globex"));
  EXPECT_EQ(other.code(), StatusCode::kAlreadyExists) << other.ToString();
  TenantMove done = SaveInStateOrFail(move, MoveState::kDone);
  Status after_end = store_->Create(SampleMove("m1", "acme"));
  EXPECT_EQ(after_end.code(), StatusCode::kAlreadyExists) << after_end.ToString();
  EXPECT_EQ(GetOrFail("m1"), done);
}

TEST_P(MoveStoreContract, SecondUnfinishedMoveOfATenantConflictsNamingTheFirst) {
  // Every state but Done and RolledBack holds the tenant; Failed too, until it is undone.
  for (MoveState state : kAllStates) {
    if (IsTerminal(state)) continue;
    std::string tenant = "t-" + std::string(MoveStateName(state));
    TenantMove first = SampleMove("first-" + tenant, tenant);
    CreateOrFail(first);
    if (state != MoveState::kPlanned) first = SaveInStateOrFail(first, state);
    Status st = store_->Create(SampleMove("second-" + tenant, tenant));
    EXPECT_EQ(st.code(), StatusCode::kConflict) << MoveStateName(state) << ": " << st.ToString();
    EXPECT_NE(st.message().find(first.id), std::string::npos) << st.message();
    EXPECT_EQ(store_->Get("second-" + tenant).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(GetOrFail(first.id), first);
  }
  // Another tenant is not held by any of them.
  CreateOrFail(SampleMove("m-other", "globex"));
}

TEST_P(MoveStoreContract, NewMoveIsAllowedOnceTheFirstIsDoneOrRolledBack) {
  TenantMove first = SampleMove("m1", "acme", 1000);
  CreateOrFail(first);
  SaveInStateOrFail(first, MoveState::kDone);
  TenantMove second = SampleMove("m2", "acme", 2000);
  CreateOrFail(second);
  SaveInStateOrFail(SaveInStateOrFail(second, MoveState::kFailed), MoveState::kRolledBack);
  CreateOrFail(SampleMove("m3", "acme", 3000));
  EXPECT_EQ(ListedIds(/*include_ended=*/true), (std::vector<std::string>{"m3", "m2", "m1"}));
}

TEST_P(MoveStoreContract, SaveCannotReopenAnEndedMoveWhileTheTenantHasAnother) {
  TenantMove first = SampleMove("m1", "acme", 1000);
  CreateOrFail(first);
  TenantMove done = SaveInStateOrFail(first, MoveState::kDone);
  CreateOrFail(SampleMove("m2", "acme", 2000));
  Status st = store_->Save(done, InState(done, MoveState::kRollingBack, done.updated_at_ms + 1));
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.ToString();
  EXPECT_NE(st.message().find("m2"), std::string::npos) << st.message();
  EXPECT_EQ(GetOrFail("m1"), done);
}

TEST_P(MoveStoreContract, StaleExpectedConflictsAndChangesNothing) {
  TenantMove planned = SampleMove("m1", "acme");
  CreateOrFail(planned);
  TenantMove copying = SaveInStateOrFail(planned, MoveState::kCopying);

  // A second runner still holding the Planned record.
  Status stale_state = store_->Save(planned, InState(planned, MoveState::kFailed, 99));
  EXPECT_EQ(stale_state.code(), StatusCode::kConflict) << stale_state.ToString();
  EXPECT_NE(stale_state.message().find("copying"), std::string::npos) << stale_state.message();
  // Same state, older stamp: progress recorded by another runner in between.
  TenantMove progressed = copying;
  progressed.tables[0].rows_copied += 100;
  progressed.updated_at_ms += 1;
  ASSERT_TRUE(store_->Save(copying, progressed).ok());
  Status stale_stamp = store_->Save(copying, InState(copying, MoveState::kCatchingUp, 5));
  EXPECT_EQ(stale_stamp.code(), StatusCode::kConflict) << stale_stamp.ToString();
  EXPECT_EQ(GetOrFail("m1"), progressed);
}

TEST_P(MoveStoreContract, UnknownIdIsNotFound) {
  auto got = store_->Get("nope");
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  EXPECT_NE(got.status().message().find("no move 'nope'"), std::string::npos);
  TenantMove ghost = SampleMove("nope", "acme");
  Status st = store_->Save(ghost, InState(ghost, MoveState::kCopying, 1));
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(MoveStoreContract, SaveUnderAnotherIdIsRefused) {
  TenantMove m1 = SampleMove("m1", "acme");
  CreateOrFail(m1);
  Status st = store_->Save(m1, SampleMove("m2", "acme"));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(store_->Get("m2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetOrFail("m1"), m1);
}

// The table rows are written after the move row: a refused table leaves nothing half-written.
TEST_P(MoveStoreContract, TableListedTwiceIsRefusedAndNothingIsWritten) {
  TenantMove twice = SampleMove("m1", "acme");
  twice.tables.push_back(twice.tables[0]);
  Status created = store_->Create(twice);
  EXPECT_EQ(created.code(), StatusCode::kInvalidArgument) << created.ToString();
  EXPECT_EQ(store_->Get("m1").status().code(), StatusCode::kNotFound);
  auto open = store_->Unfinished("acme");
  ASSERT_TRUE(open.ok());
  EXPECT_FALSE(open->has_value());

  TenantMove good = SampleMove("m1", "acme");
  CreateOrFail(good);
  TenantMove bad = InState(good, MoveState::kCopying, good.updated_at_ms + 1);
  bad.tables.push_back(bad.tables[1]);
  Status saved = store_->Save(good, bad);
  EXPECT_EQ(saved.code(), StatusCode::kInvalidArgument) << saved.ToString();
  EXPECT_EQ(GetOrFail("m1"), good);
}

TEST_P(MoveStoreContract, UnfinishedFindsTheTenantsOpenMoveOnly) {
  auto none = store_->Unfinished("acme");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  TenantMove m1 = SampleMove("m1", "acme");
  CreateOrFail(m1);
  CreateOrFail(SampleMove("m-globex", "globex"));
  auto planned = store_->Unfinished("acme");
  ASSERT_TRUE(planned.ok());
  ASSERT_TRUE(planned->has_value());
  EXPECT_EQ(**planned, m1);

  TenantMove failed = SaveInStateOrFail(m1, MoveState::kFailed);
  auto still = store_->Unfinished("acme");
  ASSERT_TRUE(still.ok());
  ASSERT_TRUE(still->has_value());
  EXPECT_EQ(**still, failed);

  SaveInStateOrFail(SaveInStateOrFail(failed, MoveState::kRollingBack), MoveState::kRolledBack);
  auto ended = store_->Unfinished("acme");
  ASSERT_TRUE(ended.ok());
  EXPECT_FALSE(ended->has_value());
}

TEST_P(MoveStoreContract, ListIsNewestPlannedFirstAndCanLeaveOutEndedMoves) {
  EXPECT_TRUE(ListedIds(true).empty());
  CreateOrFail(SampleMove("m-old", "a", 1000));
  TenantMove mid = SampleMove("m-mid", "b", 2000);
  CreateOrFail(mid);
  CreateOrFail(SampleMove("m-new", "c", 3000));
  // Same planned time as m-new: ties come in id order.
  CreateOrFail(SampleMove("m-new-2", "d", 3000));
  TenantMove rolled_back = SampleMove("m-oldest", "e", 500);
  CreateOrFail(rolled_back);
  SaveInStateOrFail(SaveInStateOrFail(rolled_back, MoveState::kFailed), MoveState::kRollingBack);
  SaveInStateOrFail(GetOrFail("m-oldest"), MoveState::kRolledBack);
  SaveInStateOrFail(mid, MoveState::kDone);

  EXPECT_EQ(ListedIds(true),
            (std::vector<std::string>{"m-new", "m-new-2", "m-mid", "m-old", "m-oldest"}));
  EXPECT_EQ(ListedIds(false), (std::vector<std::string>{"m-new", "m-new-2", "m-old"}));
  auto all = store_->List(true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[2], GetOrFail("m-mid"));
}

std::unique_ptr<MoveStore> MakeInMemory(const TempDir&) {
  return std::make_unique<InMemoryMoveStore>();
}

std::unique_ptr<MoveStore> MakeSqlite(const TempDir& dir) {
  auto store = SqliteMoveStore::Open(dir.Sub("catalog.db"));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(AllMoveStores, MoveStoreContract,
                         ::testing::Values(StoreFactory{"InMemory", MakeInMemory},
                                           StoreFactory{"Sqlite", MakeSqlite}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace domicile::testing
