// GenericTenantMover over two SQLite files (ShardStorage has no in-memory fake: SQLite files
// in a temp dir are as fast) and InMemoryTenantTables describing them.
#include "app/generic_tenant_mover.h"

#include <gtest/gtest.h>

#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "fakes/in_memory_tenant_tables.h"
#include "support/temp_dir.h"

namespace domicile {
namespace {

using namespace std::string_literals;
using testing::DescribeTable;
using testing::InMemoryTenantTables;

constexpr const char* kSchema =
    "CREATE TABLE accounts (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, note TEXT, "
    "PRIMARY KEY (tenant_id, id))";

TenantTable Accounts(Engine engine = Engine::kSqlite) {
  return DescribeTable("accounts", engine,
                       {{"tenant_id", "TEXT", ColumnType::kText, true},
                        {"id", "INTEGER", ColumnType::kInt64, true},
                        {"note", "TEXT", ColumnType::kText, false}},
                       {"tenant_id", "id"});
}

class Collect final : public RowSink {
 public:
  void OnColumns(const std::vector<Column>&) override {}
  bool OnRow(std::span<const Value> row) override {
    rows.emplace_back(row.begin(), row.end());
    return true;
  }
  std::vector<std::vector<Value>> rows;
};

// Two SQLite shards with `accounts`; the mover built over them, fakes kept for inspection.
class GenericTenantMoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Exec(source_path_, kSchema);
    Exec(target_path_, kSchema);
  }

  static void Exec(const std::string& path, const std::string& sql,
                   std::vector<Value> params = {}) {
    SqliteShardStorage storage(path);
    auto session = storage.Open();
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto r = (*session)->Execute(sql, params, nullptr);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  }

  static std::vector<std::vector<Value>> Rows(const std::string& path, const std::string& sql) {
    SqliteShardStorage storage(path);
    auto session = storage.Open();
    Collect sink;
    auto r = (*session)->Execute(sql, {}, &sink);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return sink.rows;
  }

  void Seed(const std::string& path, const std::string& tenant, int from, int to) {
    Exec(path, "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) +
                   " UNION ALL SELECT i + 1 FROM n "
                   "WHERE i < " +
                   std::to_string(to) + ") INSERT INTO accounts SELECT '" + tenant +
                   "', i, 'note ' || i FROM n");
  }

  // Builds the mover; `target_tables` describe the target (default: like the source).
  std::unique_ptr<GenericTenantMover> Make(std::vector<TenantTable> source_tables,
                                           std::vector<TenantTable> target_tables,
                                           std::vector<std::string> record_tables = {}) {
    GenericMoveShard source{"shard src", std::make_unique<SqliteShardStorage>(source_path_),
                            nullptr};
    GenericMoveShard target{"shard dst", std::make_unique<SqliteShardStorage>(target_path_),
                            nullptr};
    auto st =
        std::make_unique<InMemoryTenantTables>(std::move(source_tables), source.storage.get());
    auto tt =
        std::make_unique<InMemoryTenantTables>(std::move(target_tables), target.storage.get());
    source_tables_ = st.get();
    target_tables_ = tt.get();
    source.tables = std::move(st);
    target.tables = std::move(tt);
    GenericMoveOptions options;
    options.page_rows = 64;  // several pages and a partial last one
    options.batch_rows = 7;
    GenericMoveContext context{"m1", "t1", std::move(record_tables), RoutingRules{}};
    return std::make_unique<GenericTenantMover>(std::move(source), std::move(target),
                                                std::move(context), options);
  }

  // Copies with a mover that planned first; returns the progress reports' total rows.
  uint64_t PlanAndCopy(GenericTenantMover& mover) {
    auto planned = mover.PlanTables(false);
    EXPECT_TRUE(planned.ok()) << planned.status().ToString();
    uint64_t rows = 0;
    int snapshots = 0;
    Status copied = mover.Copy(
        [&](const SnapshotPoint& p) {
          ++snapshots;
          EXPECT_TRUE(p.snapshot.empty() && p.slot.empty() && p.start_position.empty());
          return Status();
        },
        [&](const CopyProgress& p) {
          EXPECT_EQ(p.table, "accounts");
          if (p.expected_rows) expected_rows_ = p.expected_rows;
          rows += p.rows;
          return Status();
        });
    EXPECT_TRUE(copied.ok()) << copied.ToString();
    EXPECT_EQ(snapshots, 1);
    return rows;
  }

  std::vector<TableCheck> Verify(GenericTenantMover& mover) {
    auto checks = mover.VerifyFrozen({"accounts"});
    EXPECT_TRUE(checks.ok()) << checks.status().ToString();
    return checks.ok() ? *checks : std::vector<TableCheck>{};
  }

  testing::TempDir dir_{"domicile-generic-mover"};
  std::string source_path_ = dir_.Sub("source.db");
  std::string target_path_ = dir_.Sub("target.db");
  InMemoryTenantTables* source_tables_ = nullptr;
  InMemoryTenantTables* target_tables_ = nullptr;
  uint64_t expected_rows_ = 0;  // as the last copy announced it
};

TEST_F(GenericTenantMoverTest, CopiesTheTenantsRowsReplacingTheTargetsAndVerifiesEqual) {
  Seed(source_path_, "t1", 1, 1000);
  Seed(source_path_, "t2", 1, 10);
  Seed(target_path_, "t1", 5000, 5004);  // a stale earlier copy: replaced
  Seed(target_path_, "t3", 1, 3);        // another tenant: untouched
  auto mover = Make({Accounts()}, {Accounts()});
  EXPECT_FALSE(mover->streams_changes());
  EXPECT_EQ(PlanAndCopy(*mover), 1000u);
  EXPECT_EQ(expected_rows_, 1000u);

  const std::string t1 =
      "SELECT tenant_id, id, note FROM accounts WHERE tenant_id = 't1' ORDER BY id";
  EXPECT_EQ(Rows(target_path_, t1), Rows(source_path_, t1));
  EXPECT_EQ(Rows(target_path_, "SELECT count(*) FROM accounts WHERE tenant_id = 't3'")[0][0],
            Value(int64_t{3}));
  EXPECT_TRUE(Rows(target_path_, "SELECT 1 FROM accounts WHERE tenant_id = 't2'").empty());

  auto checks = Verify(*mover);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].table, "accounts");
  EXPECT_EQ(checks[0].source_rows, 1000u);
  EXPECT_EQ(checks[0].target_rows, 1000u);
  EXPECT_EQ(checks[0].source_checksum, checks[0].target_checksum);
  EXPECT_EQ(checks[0].source_checksum.size(), 16u);
}

TEST_F(GenericTenantMoverTest, VerifySeesAChangedAMissingAndANullVersusEmptyRow) {
  Seed(source_path_, "t1", 1, 100);
  auto mover = Make({Accounts()}, {Accounts()});
  PlanAndCopy(*mover);

  Exec(target_path_, "UPDATE accounts SET note = 'changed' WHERE id = 50");
  auto changed = Verify(*mover);
  EXPECT_EQ(changed[0].source_rows, changed[0].target_rows);
  EXPECT_NE(changed[0].source_checksum, changed[0].target_checksum);

  Exec(target_path_, "UPDATE accounts SET note = 'note 50' WHERE id = 50");
  EXPECT_EQ(Verify(*mover)[0].source_checksum, Verify(*mover)[0].target_checksum);
  Exec(source_path_, "UPDATE accounts SET note = NULL WHERE id = 7");
  Exec(target_path_, "UPDATE accounts SET note = '' WHERE id = 7");
  EXPECT_NE(Verify(*mover)[0].source_checksum, Verify(*mover)[0].target_checksum);

  Exec(target_path_, "DELETE FROM accounts WHERE id = 8");
  auto missing = Verify(*mover);
  EXPECT_EQ(missing[0].source_rows, 100u);
  EXPECT_EQ(missing[0].target_rows, 99u);
}

TEST_F(GenericTenantMoverTest, TablesWithoutANotNullKeyAreReadInOnePass) {
  Exec(source_path_, "CREATE TABLE logs (tenant_id TEXT, line TEXT)");  // no key: no pages
  Exec(target_path_, "CREATE TABLE logs (tenant_id TEXT, line TEXT)");
  Exec(source_path_,
       "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 149) "
       "INSERT INTO logs SELECT 't1', 'line ' || (i % 70) FROM n");
  TenantTable logs = DescribeTable(
      "logs", Engine::kSqlite,
      {{"tenant_id", "TEXT", ColumnType::kText, false}, {"line", "TEXT", ColumnType::kText, false}},
      {});
  auto mover = Make({logs}, {logs});
  ASSERT_TRUE(mover->PlanTables(false).ok());
  uint64_t rows = 0;
  ASSERT_TRUE(mover
                  ->Copy([](const SnapshotPoint&) { return Status(); },
                         [&](const CopyProgress& p) {
                           rows += p.rows;
                           return Status();
                         })
                  .ok());
  EXPECT_EQ(rows, 150u);
  auto checks = mover->VerifyFrozen({"logs"});
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ((*checks)[0].target_rows, 150u);  // duplicates kept
  EXPECT_EQ((*checks)[0].source_checksum, (*checks)[0].target_checksum);
}

TEST_F(GenericTenantMoverTest, ValuesTakeTheTargetsKindsWhenEnginesDiffer) {
  // The target claims to be another engine whose `code` is an integer and `raw` bytes;
  // columns declared without a type in SQLite keep whatever storage class they are given.
  Exec(source_path_, "CREATE TABLE items (tenant_id TEXT, code TEXT, raw TEXT)");
  Exec(target_path_, "CREATE TABLE items (tenant_id TEXT, code, raw)");
  Exec(source_path_, "INSERT INTO items VALUES ('t1', '12', 'ab')");
  TenantTable source = DescribeTable("items", Engine::kSqlite,
                                     {{"tenant_id", "TEXT", ColumnType::kText, false},
                                      {"code", "TEXT", ColumnType::kText, false},
                                      {"raw", "TEXT", ColumnType::kText, false}},
                                     {});
  TenantTable target = DescribeTable("items", Engine::kPostgres,
                                     {{"tenant_id", "text", ColumnType::kText, false},
                                      {"code", "bigint", ColumnType::kInt64, false},
                                      {"raw", "bytea", ColumnType::kBytes, false}},
                                     {});
  auto mover = Make({source}, {target});
  ASSERT_TRUE(mover->PlanTables(false).ok());
  ASSERT_TRUE(mover
                  ->Copy([](const SnapshotPoint&) { return Status(); },
                         [](const CopyProgress&) { return Status(); })
                  .ok());
  EXPECT_EQ(Rows(target_path_, "SELECT typeof(code), typeof(raw) FROM items"),
            (std::vector<std::vector<Value>>{{"integer"s, "blob"s}}));
  // Compared as text (code) and bytes (raw): "12" and 12 are the same text, 'ab' the same bytes.
  auto checks = mover->VerifyFrozen({"items"});
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ((*checks)[0].source_checksum, (*checks)[0].target_checksum);
}

TEST_F(GenericTenantMoverTest, FencesPurgesAndCleansThroughEachShardsTables) {
  Seed(source_path_, "t1", 1, 5);
  Seed(target_path_, "t1", 1, 5);
  auto mover = Make({Accounts()}, {Accounts()}, {"accounts"});
  ASSERT_TRUE(mover->FenceSource(3, std::chrono::milliseconds(250)).ok());
  EXPECT_EQ(source_tables_->fences().at("t1").epoch, 3u);
  EXPECT_EQ(source_tables_->fences().at("t1").move_id, "m1");
  EXPECT_EQ(source_tables_->calls().back(), "RaiseFence t1 3 m1 [accounts]");
  ASSERT_TRUE(mover->UnfenceSource().ok());
  EXPECT_TRUE(source_tables_->fences().empty());

  source_tables_->RefuseNextFence();
  Status refused = mover->FenceSource(1, std::chrono::milliseconds(10));
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();

  ASSERT_TRUE(mover->CleanTarget().ok());
  EXPECT_EQ(target_tables_->calls().back(), "DeleteRows t1 [accounts]");
  EXPECT_TRUE(Rows(target_path_, "SELECT 1 FROM accounts").empty());
  ASSERT_TRUE(mover->PurgeSource().ok());
  EXPECT_EQ(source_tables_->calls().back(), "Purge t1 [accounts]");
  EXPECT_TRUE(Rows(source_path_, "SELECT 1 FROM accounts").empty());
  EXPECT_TRUE(mover->DropStream().ok());
  EXPECT_TRUE(mover->PrepareSource().ok());
}

TEST_F(GenericTenantMoverTest, RefusesStreamsAndPlansThatCannotWork) {
  auto mover = Make({Accounts()}, {Accounts()});
  EXPECT_EQ(mover->StartStreamHere().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mover->OpenStream().status().code(), StatusCode::kInvalidArgument);

  auto none = Make({}, {Accounts()});
  auto empty = none->PlanTables(false);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("tenant_id"), std::string::npos);

  auto missing = Make({Accounts()}, {});
  auto planned = missing->PlanTables(false);
  EXPECT_EQ(planned.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(planned.status().message().find("accounts"), std::string::npos);
  EXPECT_TRUE(missing->PlanTables(true).ok());  // the fake "creates" it
  EXPECT_EQ(target_tables_->calls().back(), "CheckTarget create");

  // A resumed mover reads the record's tables: one gone from the source is named.
  auto resumed = Make({Accounts()}, {Accounts()}, {"accounts", "gone"});
  Status fenced = resumed->FenceSource(1, std::chrono::milliseconds(10));
  EXPECT_EQ(fenced.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fenced.message().find("gone"), std::string::npos);
}

TEST_F(GenericTenantMoverTest, AFailingProgressCallbackStopsTheCopy) {
  Seed(source_path_, "t1", 1, 300);
  auto mover = Make({Accounts()}, {Accounts()});
  ASSERT_TRUE(mover->PlanTables(false).ok());
  Status copied = mover->Copy([](const SnapshotPoint&) { return Status(); },
                              [](const CopyProgress&) { return Conflict("record moved on"); });
  EXPECT_EQ(copied.code(), StatusCode::kConflict);
  Status snapshot = mover->Copy([](const SnapshotPoint&) { return Conflict("no"); },
                                [](const CopyProgress&) { return Status(); });
  EXPECT_EQ(snapshot.code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace domicile
