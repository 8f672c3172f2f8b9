// SqliteMoveStore on real files: reopening, sharing the catalog file, migration, bad rows, races.
#include "adapters/catalog/sqlite/sqlite_move_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_catalog_schema.h"
#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "contract/catalog_store_fixtures.h"
#include "contract/move_store_fixtures.h"
#include "support/forked_race.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

std::unique_ptr<SqliteMoveStore> OpenOrFail(const std::string& path) {
  auto store = SqliteMoveStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs `sql` on `path` through a plain connection, outside the stores.
void RawExec(const std::string& path, const std::string& sql) {
  auto db = sqlite::Db::Open(path, /*create=*/false);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status st = db->Exec(sql);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST(SqliteMoveStoreTest, RecordSurvivesReopeningTheFile) {
  TempDir dir("moves-reopen");
  std::string path = dir.Sub("catalog.db");
  TenantMove move = SampleMove("m1", "acme");
  TenantMove copying = InState(move, MoveState::kCopying, move.updated_at_ms + 1);
  {
    auto store = OpenOrFail(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Create(move).ok());
    ASSERT_TRUE(store->Save(move, copying).ok());
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  auto got = store->Get("m1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, copying);
  // The unique index came back with the file.
  EXPECT_EQ(store->Create(SampleMove("m2", "acme")).code(), StatusCode::kConflict);
}

TEST(SqliteMoveStoreTest, SharesTheFileWithTheCatalogWhicheverOpensItFirst) {
  TempDir dir("moves-shared");
  std::string path = dir.Sub("catalog.db");
  auto moves = OpenOrFail(path);  // a new file: the move store migrates it
  ASSERT_NE(moves, nullptr);
  auto catalog = SqliteCatalogStore::Open(path);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  AppliedChange demo = ApplyOrFail(ShardMap(), DemoCatalogChange());
  ASSERT_TRUE((*catalog)->Commit(0, demo, "demo").ok());
  ASSERT_TRUE(moves->Create(SampleMove("m1", "acme")).ok());
  auto loaded = (*catalog)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameCatalog(*loaded, demo.map);
  EXPECT_TRUE(moves->Get("m1").ok());
}

// A catalog written before the move tables existed gets them on open, catalog rows intact.
TEST(SqliteMoveStoreTest, CatalogFromBeforeTheMoveTablesIsMigratedOnOpen) {
  TempDir dir("moves-migrate");
  std::string path = dir.Sub("catalog.db");
  {
    auto db = sqlite::Db::Open(path, /*create=*/true);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("PRAGMA foreign_keys = ON").ok());
    Status st = sqlite::MigrateTo(*db, sqlite::LatestSchemaVersion() - 1);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  RawExec(path,
          "INSERT INTO jurisdictions VALUES ('EU', 'European Union');"
          "INSERT INTO jurisdiction_regions VALUES ('EU', 'aws:eu-central-1');"
          "INSERT INTO shards VALUES ('eu-1', 'postgres', 'aws:eu-central-1', 'EU', 'h', "
          "'active', 1, 0);"
          "INSERT INTO tenants VALUES ('acme', 'eu-1', 'active', 1);"
          "INSERT INTO tenant_allowed VALUES ('acme', 'EU');"
          "UPDATE catalog_meta SET version = 1;");
  {
    auto db = sqlite::Db::Open(path, false);
    ASSERT_TRUE(db.ok());
    EXPECT_FALSE(db->Exec("SELECT * FROM tenant_move").ok());
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  {
    auto db = sqlite::Db::Open(path, false);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(*sqlite::StoredSchemaVersion(*db), sqlite::LatestSchemaVersion());
  }
  TenantMove move = SampleMove("m1", "acme");
  ASSERT_TRUE(store->Create(move).ok());
  EXPECT_EQ(*store->Get("m1"), move);
  auto catalog = SqliteCatalogStore::Open(path);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto loaded = (*catalog)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->version(), 1u);
  ASSERT_NE(loaded->FindTenant("acme"), nullptr);
  EXPECT_EQ(loaded->FindTenant("acme")->home_shard, "eu-1");
}

TEST(SqliteMoveStoreTest, ForeignDatabaseIsRefusedLikeTheCatalogDoes) {
  TempDir dir("moves-foreign");
  std::string path = dir.Sub("app.db");
  {
    auto db = sqlite::Db::Open(path, /*create=*/true);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").ok());
  }
  auto store = SqliteMoveStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorrupt) << store.status().ToString();
  EXPECT_NE(store.status().message().find("is not a domicile catalog"), std::string::npos);
}

TEST(SqliteMoveStoreTest, UnknownStateWordIsCorrupt) {
  TempDir dir("moves-corrupt");
  std::string path = dir.Sub("catalog.db");
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  TenantMove move = SampleMove("m1", "acme");
  ASSERT_TRUE(store->Create(move).ok());
  RawExec(path, "UPDATE tenant_move SET state = 'sideways' WHERE id = 'm1'");

  auto got = store->Get("m1");
  EXPECT_EQ(got.status().code(), StatusCode::kCorrupt) << got.status().ToString();
  EXPECT_NE(got.status().message().find("move m1 has a bad state 'sideways'"), std::string::npos)
      << got.status().message();
  EXPECT_EQ(store->List(true).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(store->Unfinished("acme").status().code(), StatusCode::kCorrupt);
  Status saved = store->Save(move, InState(move, MoveState::kCopying, 1));
  EXPECT_EQ(saved.code(), StatusCode::kCorrupt) << saved.ToString();
}

TEST(SqliteMoveStoreTest, AttemptCountBeyondIntIsCorrupt) {
  TempDir dir("moves-range");
  std::string path = dir.Sub("catalog.db");
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create(SampleMove("m1", "acme")).ok());
  RawExec(path, "UPDATE tenant_move SET cutover_attempts = 4294967296 WHERE id = 'm1'");
  auto got = store->Get("m1");
  EXPECT_EQ(got.status().code(), StatusCode::kCorrupt) << got.status().ToString();
}

// Two processes plan a move of the same tenant at the same moment (released together by the
// parent): exactly one Create wins and the other gets kConflict, round after round.
TEST(SqliteMoveStoreTest, TwoProcessesCreatingAMoveOfOneTenantExactlyOneWins) {
  constexpr int kRounds = 5;
  TempDir dir("moves-race");
  std::string path = dir.Sub("catalog.db");
  ASSERT_NE(OpenOrFail(path), nullptr);
  for (int r = 0; r < kRounds; ++r) {
    std::string tenant = "tenant-" + std::to_string(r);
    std::unique_ptr<SqliteMoveStore> store;  // each child's own
    std::vector<int> exits = RaceForkedChildren(
        2,
        [&](int w) {
          auto opened = SqliteMoveStore::Open(path);
          if (!opened.ok()) return 11;
          store = std::move(opened).value();
          return 0;
        },
        [&](int w) {
          std::string id = "m" + std::to_string(r) + "-w" + std::to_string(w);
          return RaceExitCode(store->Create(SampleMove(id, tenant)));
        });
    // One 0 (won) and one 1 (kConflict).
    EXPECT_EQ(std::min(exits[0], exits[1]), 0) << "round " << r;
    EXPECT_EQ(std::max(exits[0], exits[1]), 1) << "round " << r;
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  auto all = store->List(true);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), static_cast<size_t>(kRounds));
  for (int r = 0; r < kRounds; ++r) {
    auto open = store->Unfinished("tenant-" + std::to_string(r));
    ASSERT_TRUE(open.ok());
    EXPECT_TRUE(open->has_value()) << "round " << r;
  }
}

}  // namespace
}  // namespace domicile::testing
