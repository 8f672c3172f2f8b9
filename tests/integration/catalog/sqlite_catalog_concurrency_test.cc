// SqliteCatalogStore under concurrent writers: threads and processes racing on one file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "contract/catalog_store_fixtures.h"
#include "support/forked_race.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

std::unique_ptr<SqliteCatalogStore> OpenOrFail(const std::string& path) {
  auto store = SqliteCatalogStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string WriterReason(int writer) { return "writer " + std::to_string(writer); }
std::string WriterTenant(int writer, int n) {
  return "w" + std::to_string(writer) + "-" + std::to_string(n);
}

struct WriterTally {
  int wins = 0;
  int conflicts = 0;
  Status unexpected;  // the first error other than kConflict
};

// One writer: {load, apply, commit} until it has `wins` commits, retrying after kConflict.
WriterTally RunWriter(CatalogStore& store, int writer, int wins) {
  WriterTally tally;
  while (tally.wins < wins) {
    auto map = store.Load();
    if (!map.ok()) {
      tally.unexpected = map.status();
      return tally;
    }
    auto applied = map->Apply(NewEuTenantChange(WriterTenant(writer, tally.wins)));
    if (!applied.ok()) {
      tally.unexpected = applied.status();
      return tally;
    }
    Status st = store.Commit(map->version(), *applied, WriterReason(writer));
    if (st.ok()) {
      ++tally.wins;
    } else if (st.code() == StatusCode::kConflict) {
      ++tally.conflicts;
    } else {
      tally.unexpected = st;
      return tally;
    }
  }
  return tally;
}

// The change log after `base` has each version once, contiguous, `wins` per writer, and each
// logged tenant carries the version of the commit that created it.
void ExpectEveryVersionHadOneWinner(CatalogStore& store, uint64_t base, int writers, int wins) {
  auto log = store.ChangesSince(base, 1000000);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), static_cast<size_t>(writers * wins));
  auto map = store.Load();
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->version(), base + writers * wins);
  std::map<std::string, int> per_writer;
  for (size_t i = 0; i < log->size(); ++i) {
    const ChangeRecord& rec = (*log)[i];
    EXPECT_EQ(rec.version, base + 1 + i);
    ++per_writer[rec.reason];
    ASSERT_EQ(rec.ops.size(), 1u);
    // "put tenant wX-N on eu-1"
    std::string id = rec.ops[0].substr(std::string("put tenant ").size());
    id = id.substr(0, id.find(' '));
    const Tenant* t = map->FindTenant(id);
    ASSERT_NE(t, nullptr) << id;
    EXPECT_EQ(t->version, rec.version) << id;
  }
  for (int w = 0; w < writers; ++w) EXPECT_EQ(per_writer[WriterReason(w)], wins);
}

uint64_t MakeDemoCatalog(const std::string& path) {
  auto store = OpenOrFail(path);
  if (store == nullptr) return 0;
  AppliedChange applied = ApplyOrFail(ShardMap(), DemoCatalogChange());
  EXPECT_TRUE(store->Commit(0, applied, "demo").ok());
  return applied.map.version();
}

// Lockstep rounds: every thread loads the same version, then all commit at once. Each round
// must have exactly one winner; the others must see kConflict.
TEST(SqliteCatalogConcurrencyTest, ThreadsCommittingTheSameVersionHaveExactlyOneWinner) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  TempDir dir("catalog-lockstep");
  std::string path = dir.Sub("catalog.db");
  uint64_t base = MakeDemoCatalog(path);
  std::barrier sync(kThreads);
  std::vector<std::vector<StatusCode>> codes(kThreads, std::vector<StatusCode>(kRounds));
  std::vector<std::vector<uint64_t>> loaded(kThreads, std::vector<uint64_t>(kRounds));
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      // Each thread has its own store, hence its own connections: real SQLite locking.
      auto opened = SqliteCatalogStore::Open(path);
      for (int r = 0; r < kRounds; ++r) {
        sync.arrive_and_wait();  // the previous round's commits are done
        auto map = opened.ok() ? (*opened)->Load() : Result<ShardMap>(opened.status());
        sync.arrive_and_wait();  // everybody has loaded
        if (!map.ok()) {
          codes[w][r] = map.status().code();
          continue;
        }
        loaded[w][r] = map->version();
        auto applied = map->Apply(NewEuTenantChange(WriterTenant(w, r)));
        codes[w][r] = applied.ok() ? (*opened)->Commit(map->version(), *applied, "lockstep").code()
                                   : applied.status().code();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kRounds; ++r) {
    int winners = 0;
    for (int w = 0; w < kThreads; ++w) {
      EXPECT_EQ(loaded[w][r], base + r) << "thread " << w << " round " << r;
      if (codes[w][r] == StatusCode::kOk) {
        ++winners;
      } else {
        EXPECT_EQ(codes[w][r], StatusCode::kConflict) << "thread " << w << " round " << r;
      }
    }
    EXPECT_EQ(winners, 1) << "round " << r;
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  auto log = store->ChangesSince(base, 1000);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), static_cast<size_t>(kRounds));
  for (int r = 0; r < kRounds; ++r) EXPECT_EQ((*log)[r].version, base + 1 + r);
}

// Free-running threads, each with its own store, retrying after every lost race.
TEST(SqliteCatalogConcurrencyTest, ThreadsRetryingAfterConflictsLoseNoCommit) {
  constexpr int kThreads = 4;
  constexpr int kWins = 15;
  TempDir dir("catalog-threads");
  std::string path = dir.Sub("catalog.db");
  uint64_t base = MakeDemoCatalog(path);
  std::vector<WriterTally> tallies(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      auto store = SqliteCatalogStore::Open(path);
      if (!store.ok()) {
        tallies[w].unexpected = store.status();
        return;
      }
      tallies[w] = RunWriter(**store, w, kWins);
    });
  }
  for (auto& t : threads) t.join();
  int conflicts = 0;
  for (const auto& tally : tallies) {
    EXPECT_TRUE(tally.unexpected.ok()) << tally.unexpected.ToString();
    conflicts += tally.conflicts;
  }
  std::cout << "[ info     ] " << kThreads * kWins << " commits, " << conflicts
            << " conflicts retried\n";
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  ExpectEveryVersionHadOneWinner(*store, base, kThreads, kWins);
}

// Two processes on the same file. Each child reports "wins conflicts" through a pipe and
// exits 0, or exits non-zero on any error other than kConflict.
TEST(SqliteCatalogConcurrencyTest, TwoProcessesRetryingAfterConflictsLoseNoCommit) {
  constexpr int kProcesses = 2;
  constexpr int kWins = 25;
  TempDir dir("catalog-procs");
  std::string path = dir.Sub("catalog.db");
  uint64_t base = MakeDemoCatalog(path);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> pids;
  std::vector<int> reports;
  for (int w = 0; w < kProcesses; ++w) {
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(120);
      close(go[1]);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(10);  // starts when the parent closes the pipe
      auto store = SqliteCatalogStore::Open(path);
      if (!store.ok()) _exit(11);
      WriterTally tally = RunWriter(**store, w, kWins);
      if (!tally.unexpected.ok()) _exit(12);
      int out[2] = {tally.wins, tally.conflicts};
      if (write(report[1], out, sizeof(out)) != static_cast<ssize_t>(sizeof(out))) _exit(13);
      _exit(0);
    }
    close(report[1]);
    pids.push_back(pid);
    reports.push_back(report[0]);
  }
  close(go[0]);
  close(go[1]);  // both children start now
  int conflicts = 0;
  for (int w = 0; w < kProcesses; ++w) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[w], &status, 0), pids[w]);
    ASSERT_TRUE(WIFEXITED(status)) << "writer " << w << " was killed";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "writer " << w;
    int in[2] = {0, 0};
    EXPECT_EQ(read(reports[w], in, sizeof(in)), static_cast<ssize_t>(sizeof(in)));
    close(reports[w]);
    EXPECT_EQ(in[0], kWins);
    conflicts += in[1];
  }
  std::cout << "[ info     ] " << kProcesses * kWins << " commits, " << conflicts
            << " conflicts retried\n";
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  ExpectEveryVersionHadOneWinner(*store, base, kProcesses, kWins);
}

// Two processes load the same version, then commit at the same moment (released together by
// the parent): exactly one wins and the other gets kConflict, round after round.
TEST(SqliteCatalogConcurrencyTest, TwoProcessesAtTheSameVersionExactlyOneWins) {
  constexpr int kRounds = 5;
  TempDir dir("catalog-race");
  std::string path = dir.Sub("catalog.db");
  uint64_t base = MakeDemoCatalog(path);
  for (int r = 0; r < kRounds; ++r) {
    // Each child's own copies, filled by its prepare.
    std::unique_ptr<SqliteCatalogStore> store;
    uint64_t loaded = 0;
    AppliedChange applied;
    std::vector<int> exits = RaceForkedChildren(
        2,
        [&](int w) {
          auto opened = SqliteCatalogStore::Open(path);
          if (!opened.ok()) return 11;
          store = std::move(opened).value();
          auto map = store->Load();
          if (!map.ok()) return 12;
          auto change = map->Apply(NewEuTenantChange(WriterTenant(w, r)));
          if (!change.ok()) return 13;
          loaded = map->version();
          applied = std::move(change).value();
          return 0;
        },
        [&](int w) {  // both have loaded version base + r and commit together
          return RaceExitCode(store->Commit(loaded, applied, WriterReason(w)));
        });
    // One 0 (won) and one 1 (kConflict).
    EXPECT_EQ(std::min(exits[0], exits[1]), 0) << "round " << r;
    EXPECT_EQ(std::max(exits[0], exits[1]), 1) << "round " << r;
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), base + kRounds);
  auto log = store->ChangesSince(base, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), static_cast<size_t>(kRounds));
  for (int r = 0; r < kRounds; ++r) EXPECT_EQ((*log)[r].version, base + 1 + r);
}

}  // namespace
}  // namespace domicile::testing
