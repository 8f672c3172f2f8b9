// SqliteCatalogStore on real files: opening, refusing foreign files, migrations, crash safety.
#include "adapters/catalog/sqlite/sqlite_catalog_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "adapters/catalog/sqlite/sqlite_catalog_schema.h"
#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "contract/catalog_store_fixtures.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

uintmax_t SizeOrZero(const std::string& path) {
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::unique_ptr<SqliteCatalogStore> OpenOrFail(const std::string& path) {
  auto store = SqliteCatalogStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Commits DemoCatalogChange on a new catalog at `path` and returns what was committed.
ShardMap MakeDemoCatalog(const std::string& path) {
  auto store = OpenOrFail(path);
  if (store == nullptr) return {};
  AppliedChange applied = ApplyOrFail(ShardMap(), DemoCatalogChange());
  Status st = store->Commit(0, applied, "demo");
  EXPECT_TRUE(st.ok()) << st.ToString();
  return applied.map;
}

// Runs `sql` on `path` through a plain connection, outside the store.
void RawExec(const std::string& path, const std::string& sql) {
  auto db = sqlite::Db::Open(path, /*create=*/true);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status st = db->Exec(sql);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST(SqliteCatalogStoreTest, NewFileGetsTheLatestSchemaAndIsEmpty) {
  TempDir dir("catalog-open");
  auto store = OpenOrFail(dir.Sub("catalog.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), 0u);
  auto db = sqlite::Db::Open(dir.Sub("catalog.db"), false);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*sqlite::StoredSchemaVersion(*db), sqlite::LatestSchemaVersion());
  auto mode = sqlite::Stmt::Prepare(*db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
}

TEST(SqliteCatalogStoreTest, MissingParentDirectoryIsAClearErrorAndIsNotCreated) {
  TempDir dir("catalog-nodir");
  std::string path = dir.Sub("no/such/dir/catalog.db");
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("does not exist"), std::string::npos)
      << store.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("no")));
}

TEST(SqliteCatalogStoreTest, TextFileIsNotACatalogAndIsLeftUntouched) {
  TempDir dir("catalog-text");
  std::string path = dir.Sub("notes.txt");
  std::ofstream(path) << "shard eu-1 lives in Frankfurt\nthis is not a database\n";
  std::string before = ReadBytes(path);
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(store.status().message().find(path + " is not a domicile catalog"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(ReadBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteCatalogStoreTest, ForeignSqliteDatabaseIsNotACatalogAndIsLeftUntouched) {
  TempDir dir("catalog-foreign");
  std::string path = dir.Sub("app.db");
  RawExec(path,
          "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
          "INSERT INTO invoices VALUES (1, 9.5);");
  std::string before = ReadBytes(path);
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(store.status().message().find(path + " is not a domicile catalog"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(ReadBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteCatalogStoreTest, CatalogFromANewerDomicileIsRefused) {
  TempDir dir("catalog-future");
  std::string path = dir.Sub("catalog.db");
  MakeDemoCatalog(path);
  RawExec(path, "INSERT INTO schema_migrations VALUES (" +
                    std::to_string(sqlite::LatestSchemaVersion() + 41) + ", 0)");
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("newer than this domicile understands"),
            std::string::npos)
      << store.status().message();
}

TEST(SqliteCatalogStoreTest, ReopeningMigratesNothingAndLoadsTheSameCatalog) {
  TempDir dir("catalog-reopen");
  std::string path = dir.Sub("catalog.db");
  ShardMap committed = MakeDemoCatalog(path);
  auto read_migrations = [&] {
    auto db = sqlite::Db::Open(path, false);
    EXPECT_TRUE(db.ok());
    auto st = sqlite::Stmt::Prepare(*db, "SELECT version, applied_at_ms FROM schema_migrations");
    EXPECT_TRUE(st.ok());
    std::string rows;
    while (*st->Step()) rows += std::to_string(st->Int(0)) + "@" + std::to_string(st->Int(1)) + ";";
    return rows;
  };
  std::string migrations = read_migrations();
  for (int i = 0; i < 2; ++i) {
    auto store = OpenOrFail(path);
    ASSERT_NE(store, nullptr);
    auto loaded = store->Load();
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ExpectSameCatalog(*loaded, committed);
  }
  EXPECT_EQ(read_migrations(), migrations);
}

// A router polls CurrentVersion on a store that keeps the query prepared, while another
// process (the CLI, another router) commits: every poll sees the newest version, and the kept
// statement holds no read snapshot that would stop the writer's checkpoint.
TEST(SqliteCatalogStoreTest, PolledVersionSeesCommitsFromAnotherConnection) {
  TempDir dir("catalog-poll");
  std::string path = dir.Sub("catalog.db");
  auto poller = OpenOrFail(path);
  ASSERT_NE(poller, nullptr);
  ASSERT_EQ(*poller->CurrentVersion(), 0u);
  ShardMap first = MakeDemoCatalog(path);  // a second store on the same file commits
  EXPECT_EQ(*poller->CurrentVersion(), first.version());
  auto writer = OpenOrFail(path);
  ASSERT_NE(writer, nullptr);
  AppliedChange applied = ApplyOrFail(first, NewEuTenantChange("initech"));
  ASSERT_TRUE(writer->Commit(first.version(), applied, "new tenant").ok());
  EXPECT_EQ(*poller->CurrentVersion(), first.version() + 1);
  EXPECT_EQ(*poller->CurrentVersion(), first.version() + 1);  // a repeated poll, same answer
  RawExec(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(SizeOrZero(path + "-wal"), 0u) << "a kept statement pinned the WAL";
}

// A catalog written before the 'held' state (schema 1) keeps every tenant and its allowed
// jurisdictions through migration 2, which rebuilds both tables, and then stores 'held'.
TEST(SqliteCatalogStoreTest, SchemaOneCatalogMigratesAndThenStoresAHeldTenant) {
  TempDir dir("catalog-held");
  std::string path = dir.Sub("catalog.db");
  {
    auto db = sqlite::Db::Open(path, /*create=*/true);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status st = sqlite::MigrateTo(*db, 1);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  RawExec(path,
          "INSERT INTO jurisdictions VALUES ('EU', 'European Union');"
          "INSERT INTO jurisdictions VALUES ('BR', 'Brazil');"
          "INSERT INTO jurisdiction_regions VALUES ('EU', 'aws:eu-central-1');"
          "INSERT INTO jurisdiction_regions VALUES ('BR', 'aws:sa-east-1');"
          "INSERT INTO shards VALUES ('eu-1', 'postgres', 'aws:eu-central-1', 'EU', 'h', "
          "'active', 1, 0);"
          "INSERT INTO tenants VALUES ('acme', 'eu-1', 'frozen', 1);"
          "INSERT INTO tenant_allowed VALUES ('acme', 'BR'), ('acme', 'EU');"
          "UPDATE catalog_meta SET version = 1;");
  {
    auto db = sqlite::Db::Open(path, false);
    ASSERT_TRUE(db.ok());
    EXPECT_FALSE(db->Exec("UPDATE tenants SET state = 'held'").ok());  // schema 1's CHECK
  }
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Tenant* acme = loaded->FindTenant("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->allowed, (std::vector<std::string>{"BR", "EU"}));
  EXPECT_EQ(acme->state, TenantState::kFrozen);

  AppliedChange held = ApplyOrFail(*loaded, {{SetTenantState{"acme", TenantState::kHeld}}, "hold"});
  Status st = store->Commit(loaded->version(), held, "hold");
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto reloaded = store->Load();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  ExpectSameCatalog(*reloaded, held.map);
  EXPECT_EQ(reloaded->FindTenant("acme")->state, TenantState::kHeld);
}

TEST(SqliteCatalogStoreTest, RowsThatBreakAnInvariantLoadAsCorrupt) {
  TempDir dir("catalog-broken");
  std::string path = dir.Sub("catalog.db");
  MakeDemoCatalog(path);
  RawExec(path, "DELETE FROM tenant_allowed WHERE tenant_id = 'acme'");
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  auto loaded = store->Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt) << loaded.status().ToString();
  EXPECT_NE(loaded.status().message().find("acme"), std::string::npos);
}

// A write that fails halfway (here a trigger refuses the second tenant) rolls the whole
// commit back in-process too, and leaves the connection usable for the next commit.
TEST(SqliteCatalogStoreTest, FailedWriteRollsBackTheWholeCommit) {
  TempDir dir("catalog-rollback");
  std::string path = dir.Sub("catalog.db");
  ShardMap before = MakeDemoCatalog(path);
  RawExec(path,
          "CREATE TRIGGER refuse_boom BEFORE INSERT ON tenants WHEN NEW.id = 'boom' "
          "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  CatalogChange change = NewEuTenantChange("fine");
  change.ops.push_back(NewEuTenantChange("boom").ops[0]);
  AppliedChange applied = ApplyOrFail(before, change);
  Status st = store->Commit(before.version(), applied, "half");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("boom refused"), std::string::npos) << st.ToString();
  EXPECT_EQ(*store->CurrentVersion(), before.version());
  ExpectSameCatalog(*store->Load(), before);
  EXPECT_TRUE(store->ChangesSince(before.version(), 10)->empty());

  AppliedChange next = ApplyOrFail(before, NewEuTenantChange("fine"));
  ASSERT_TRUE(store->Commit(before.version(), next, "retry").ok());
  ExpectSameCatalog(*store->Load(), next.map);
}

// The child starts a commit of many tenants and is SIGKILLed by the commit hook halfway
// through writing them, while it holds the write lock with uncommitted pages in the WAL.
TEST(SqliteCatalogStoreTest, CrashInTheMiddleOfACommitLeavesTheOldVersionIntact) {
  TempDir dir("catalog-crash");
  std::string path = dir.Sub("catalog.db");
  ShardMap before = MakeDemoCatalog(path);
  // Enough rows that the page cache (2 MB) spills uncommitted pages into the WAL.
  constexpr int kTenants = 200000;
  uintmax_t wal_before = SizeOrZero(path + "-wal");

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(60);
    auto store = SqliteCatalogStore::Open(path);
    if (!store.ok()) _exit(2);
    auto map = (*store)->Load();
    if (!map.ok()) _exit(3);
    CatalogChange big;
    for (int i = 0; i < kTenants; ++i) {
      Tenant t;
      t.id = "bulk-" + std::to_string(i);
      t.allowed = {"BR"};
      t.home_shard = "br-1";
      big.ops.push_back(PutTenant{t});
    }
    auto applied = map->Apply(big);
    if (!applied.ok()) _exit(4);
    (*store)->SetCommitHookForTesting([](int step) {
      if (step == kTenants / 2) raise(SIGKILL);
    });
    (*store)->Commit(map->version(), *applied, "never lands");
    _exit(5);  // the hook should have killed us
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // Half a commit's pages did reach the WAL before the kill: the test really crashed mid-write.
  EXPECT_GT(SizeOrZero(path + "-wal"), wal_before);

  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), before.version());
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameCatalog(*loaded, before);
  EXPECT_TRUE(store->ChangesSince(before.version(), 10)->empty());
  // The dead writer's lock died with it: the next commit goes through.
  AppliedChange next = ApplyOrFail(*loaded, NewEuTenantChange("after-crash"));
  ASSERT_TRUE(store->Commit(before.version(), next, "after crash").ok());
  EXPECT_EQ(*store->CurrentVersion(), before.version() + 1);
}

// Not a benchmark (see bench/catalog_load_bench.cc for 1M): checks that a large catalog
// round-trips and prints how long Load takes.
TEST(SqliteCatalogStoreTest, LargeCatalogRoundTrips) {
  TempDir dir("catalog-large");
  std::string path = dir.Sub("catalog.db");
  MakeDemoCatalog(path);
  auto store = OpenOrFail(path);
  ASSERT_NE(store, nullptr);
  CatalogChange many;
  for (int i = 0; i < 50000; ++i) {
    Tenant t;
    t.id = "t" + std::to_string(i);
    t.allowed = i % 2 ? std::vector<std::string>{"BR", "EU"} : std::vector<std::string>{"BR"};
    t.home_shard = "br-1";
    many.ops.push_back(PutTenant{t});
  }
  AppliedChange applied = ApplyOrFail(*store->Load(), many);
  ASSERT_TRUE(store->Commit(1, applied, "many").ok());
  auto start = std::chrono::steady_clock::now();
  auto loaded = store->Load();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameCatalog(*loaded, applied.map);
  std::cout << "[ info     ] Load of " << loaded->tenant_count() << " tenants: " << ms << " ms\n";
}

}  // namespace
}  // namespace domicile::testing
