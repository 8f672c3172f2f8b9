// SqliteCatalogWatch on real files: another connection's commit wakes it, nothing else does.
#include "adapters/catalog/sqlite/sqlite_catalog_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "contract/catalog_store_fixtures.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class SqliteCatalogWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteCatalogStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    CommitOrFail(*store_, DemoCatalogChange());
    auto watch = store_->WatchChanges();
    ASSERT_TRUE(watch.ok()) << watch.status().ToString();
    ASSERT_NE(*watch, nullptr);
    watch_ = std::move(*watch);
    while (watch_->Wait(milliseconds(0))) {
    }  // whatever opening and the first commit left queued
  }

  TempDir dir_;
  const std::string path_ = dir_.Sub("catalog.db");
  std::unique_ptr<SqliteCatalogStore> store_;
  std::unique_ptr<CatalogChangeWatch> watch_;
};

// A router's watch and an operator's `catalog apply` in another process are two connections
// to one file: the kernel reports the writer's commit to the watcher.
TEST_F(SqliteCatalogWatchTest, ACommitThroughAnotherConnectionWakesIt) {
  auto other = SqliteCatalogStore::Open(path_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    CommitOrFail(**other, NewEuTenantChange("late-tenant"));
  });
  auto start = Clock::now();
  bool woken = watch_->Wait(milliseconds(10000));
  auto waited = Clock::now() - start;
  writer.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(waited, milliseconds(5000));
  EXPECT_GE(waited, milliseconds(50));  // not before the commit
}

// The watching router's own reads, and other files in the directory, wake nothing: an idle
// router sleeps through its whole wait.
TEST_F(SqliteCatalogWatchTest, ReadsAndOtherFilesWakeNothing) {
  ASSERT_TRUE(store_->Load().ok());
  ASSERT_TRUE(store_->CurrentVersion().ok());
  std::ofstream(dir_.Sub("catalog.db.bak")) << "a copy";
  std::ofstream(dir_.Sub("notes.txt")) << "x";
  auto start = Clock::now();
  EXPECT_FALSE(watch_->Wait(milliseconds(300)));
  EXPECT_GE(Clock::now() - start, milliseconds(290));
}

TEST_F(SqliteCatalogWatchTest, InterruptEndsAWaitAndTheNextOne) {
  std::thread interrupter([&] {
    std::this_thread::sleep_for(milliseconds(100));
    watch_->Interrupt();
  });
  auto start = Clock::now();
  EXPECT_TRUE(watch_->Wait(milliseconds(10000)));
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
  interrupter.join();
  // Before a Wait: that Wait returns at once (a Stop racing the refresher's loop is not lost).
  watch_->Interrupt();
  start = Clock::now();
  EXPECT_TRUE(watch_->Wait(milliseconds(10000)));
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
  EXPECT_FALSE(watch_->Wait(milliseconds(50)));  // and only that one
}

TEST(SqliteCatalogWatchOpenTest, AMissingDirectoryIsUnavailableAndSaysWhy) {
  TempDir dir;
  auto watch = SqliteCatalogWatch::Open(dir.Sub("gone") + "/catalog.db");
  ASSERT_FALSE(watch.ok());
  EXPECT_EQ(watch.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(watch.status().message().find("inotify_add_watch"), std::string::npos)
      << watch.status().message();
  EXPECT_NE(watch.status().message().find("gone"), std::string::npos);
}

}  // namespace
}  // namespace domicile::testing
