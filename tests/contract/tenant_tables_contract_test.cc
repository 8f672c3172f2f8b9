// The TenantTables contract: one typed suite that every adapter must pass (the fake records
// fences without enforcing them, so it is not run here). Writes go through the shard's own
// ShardStorage adapter, as a router's would.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/move/postgres/pg_tenant_tables.h"
#include "adapters/move/sqlite/sqlite_tenant_tables.h"
#include "adapters/storage/postgres/postgres_shard_storage.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "ports/tenant_tables.h"
#include "support/pg_server.h"
#include "support/temp_dir.h"

namespace domicile {
namespace {

using namespace std::string_literals;
using testing::SharedPgServer;
using testing::TempDir;

// A fresh SQLite file per test.
class SqliteTablesBackend {
 public:
  static constexpr Engine kEngine = Engine::kSqlite;
  static constexpr Engine kOther = Engine::kPostgres;
  static void SetUpSuite() {}
  static void TearDownSuite() {}
  std::string Prepare() { return ""; }
  std::unique_ptr<TenantTables> MakeTables() {
    return std::make_unique<sqlitemove::SqliteTenantTables>(path_, "shard lite");
  }
  std::unique_ptr<ShardStorage> MakeStorage() {
    return std::make_unique<SqliteShardStorage>(path_);
  }
  // What counts as fence machinery left behind.
  static constexpr const char* kMachinerySql =
      "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
      "name LIKE 'domicile_fence%') + (SELECT count(*) FROM sqlite_master WHERE "
      "name = 'domicile_fence')";
  // A type this engine declares and keeps verbatim, and its kind.
  static constexpr const char* kNativeType = "VARCHAR(20)";
  // Declared types of the other engine, per kind, as its List would report them.
  static std::string OtherType(ColumnType kind) { return pgmove::PgTypeFor(kind); }

 private:
  TempDir dir_{"domicile-tables-contract"};
  std::string path_ = dir_.Sub("shard.db");
};

// One server for the suite; every test starts from an empty public schema.
class PostgresTablesBackend {
 public:
  static constexpr Engine kEngine = Engine::kPostgres;
  static constexpr Engine kOther = Engine::kSqlite;
  static void SetUpSuite() { shared_.Start(); }
  static void TearDownSuite() { shared_.Stop(); }
  std::string Prepare() {
    if (!shared_.ok()) return shared_.error();
    shared_.server().Exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    return "";
  }
  std::unique_ptr<TenantTables> MakeTables() {
    return std::make_unique<pgmove::PostgresTenantTables>(shared_.server().Dsn(), "shard pg");
  }
  std::unique_ptr<ShardStorage> MakeStorage() {
    return std::make_unique<PostgresShardStorage>(shared_.server().Dsn());
  }
  static constexpr const char* kMachinerySql =
      "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'domicile_fence') + "
      "(SELECT count(*) FROM domicile_fence WHERE fenced)";
  static constexpr const char* kNativeType = "character varying(20)";
  static std::string OtherType(ColumnType kind) { return sqlitemove::SqliteTypeFor(kind); }

 private:
  static inline SharedPgServer shared_;
};

class Collect final : public RowSink {
 public:
  void OnColumns(const std::vector<Column>&) override {}
  bool OnRow(std::span<const Value> row) override {
    rows.emplace_back(row.begin(), row.end());
    return true;
  }
  std::vector<std::vector<Value>> rows;
};

#define ASSERT_STATUS_OK(expr)             \
  do {                                     \
    ::domicile::Status _s = (expr);        \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

const std::vector<std::string> kSchema = {
    "CREATE TABLE accounts (tenant_id text NOT NULL, id integer NOT NULL, balance bigint, "
    "note text, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE events (tenant_id text NOT NULL, id integer NOT NULL, kind text NOT NULL, "
    "PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE settings (name text PRIMARY KEY, value text)",
    "CREATE TABLE orgs (org text, title text)",
};

template <typename Backend>
class TenantTablesContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::SetUpSuite(); }
  static void TearDownTestSuite() { Backend::TearDownSuite(); }

  void SetUp() override {
    ASSERT_EQ(backend_.Prepare(), "");
    storage_ = backend_.MakeStorage();
    tables_ = backend_.MakeTables();
    rules_.table_key_columns["orgs"] = "org";
    for (const std::string& sql : kSchema) ASSERT_STATUS_OK(Exec(sql));
  }

  std::unique_ptr<ShardSession> Session() {
    auto session = storage_->Open();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(*session) : nullptr;
  }

  Status Exec(const std::string& sql, std::vector<Value> params = {}) {
    return Session()->Execute(sql, params, nullptr).status();
  }

  int64_t Count(const std::string& sql) {
    Collect sink;
    auto r = Session()->Execute(sql, {}, &sink);
    if (!r.ok() || sink.rows.size() != 1) {
      ADD_FAILURE() << sql << ": " << r.status().ToString();
      return -1;
    }
    return std::get<int64_t>(sink.rows[0][0]);
  }

  void Seed(const std::string& tenant, int rows) {
    for (int i = 1; i <= rows; ++i) {
      ASSERT_STATUS_OK(Exec("INSERT INTO accounts VALUES ($1, $2, $3, $4)",
                            {tenant, int64_t{i}, int64_t{i * 10}, "n"s}));
      ASSERT_STATUS_OK(Exec("INSERT INTO events VALUES ($1, $2, $3)", {tenant, int64_t{i}, "k"s}));
    }
  }

  std::vector<MoveTable> MoveTables() {
    auto listed = tables_->List(rules_);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    std::vector<MoveTable> out;
    for (const TenantTable& t : *listed) {
      if (t.move.name != "orgs") out.push_back(t.move);
    }
    return out;
  }

  // Expects every write of `tenant`'s rows to be refused by its fence.
  void ExpectFenced(const std::string& tenant) {
    for (const std::string& sql :
         {"INSERT INTO accounts VALUES ('" + tenant + "', 999, 0, 'late')",
          "UPDATE accounts SET balance = balance + 1 WHERE tenant_id = '" + tenant + "'",
          "DELETE FROM events WHERE tenant_id = '" + tenant + "'"}) {
      Status s = Exec(sql);
      EXPECT_FALSE(s.ok()) << sql;
      EXPECT_NE(s.message().find("tenant " + tenant + " is fenced on this shard"),
                std::string::npos)
          << sql << ": " << s.ToString();
    }
  }

  Backend backend_;
  std::unique_ptr<ShardStorage> storage_;
  std::unique_ptr<TenantTables> tables_;
  RoutingRules rules_;
};

using Backends = ::testing::Types<SqliteTablesBackend, PostgresTablesBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteTablesBackend> ? "Sqlite" : "Postgres";
  }
};
TYPED_TEST_SUITE(TenantTablesContractTest, Backends, BackendNames);

TYPED_TEST(TenantTablesContractTest, ListsTheTablesThatHaveTheTenantKey) {
  auto listed = this->tables_->List(this->rules_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  const TenantTable& accounts = (*listed)[0];
  EXPECT_EQ(accounts.move.name, "accounts");
  EXPECT_EQ(accounts.engine, TypeParam::kEngine);
  EXPECT_EQ(accounts.move.tenant_key, "tenant_id");
  EXPECT_EQ(accounts.move.columns,
            (std::vector<std::string>{"tenant_id", "id", "balance", "note"}));
  EXPECT_EQ(accounts.move.key_columns, (std::vector<std::string>{"tenant_id", "id"}));
  ASSERT_EQ(accounts.columns.size(), 4u);
  EXPECT_EQ(accounts.columns[0].kind, ColumnType::kText);
  EXPECT_EQ(accounts.columns[1].kind, ColumnType::kInt64);
  EXPECT_EQ(accounts.columns[2].kind, ColumnType::kInt64);
  EXPECT_TRUE(accounts.columns[1].not_null);
  EXPECT_FALSE(accounts.columns[3].not_null);
  EXPECT_EQ((*listed)[1].move.name, "events");
  EXPECT_EQ((*listed)[2].move.name, "orgs");  // by the rules' table entry
  EXPECT_EQ((*listed)[2].move.tenant_key, "org");
  EXPECT_TRUE((*listed)[2].move.key_columns.empty());
}

TYPED_TEST(TenantTablesContractTest, CheckTargetNamesMissingTablesAndColumns) {
  auto listed = this->tables_->List(this->rules_);
  ASSERT_TRUE(listed.ok());
  std::vector<TenantTable> wanted = *listed;
  wanted[0].columns.push_back({"extra", "text", ColumnType::kText, false});
  wanted[0].move.columns.push_back("extra");
  TenantTable missing = wanted[1];
  missing.move.name = "invoices";
  wanted.push_back(missing);
  auto checked = this->tables_->CheckTarget(wanted, this->rules_, false);
  EXPECT_EQ(checked.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(checked.status().message().find("invoices"), std::string::npos)
      << checked.status().message();
  EXPECT_NE(checked.status().message().find("extra"), std::string::npos);
  EXPECT_NE(checked.status().message().find("--create-schema"), std::string::npos);

  auto same = this->tables_->CheckTarget(*listed, this->rules_, false);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ((*same)[0].move.name, "accounts");
  EXPECT_EQ((*same)[0].move.key_columns, (std::vector<std::string>{"tenant_id", "id"}));
}

TYPED_TEST(TenantTablesContractTest, CreatesTablesOfTheOtherEngineWithMappedTypes) {
  const std::vector<std::pair<std::string, ColumnType>> columns = {
      {"tenant_id", ColumnType::kText}, {"id", ColumnType::kInt64},   {"flag", ColumnType::kBool},
      {"score", ColumnType::kFloat64},  {"blob", ColumnType::kBytes}, {"note", ColumnType::kText}};
  TenantTable wanted;
  wanted.engine = TypeParam::kOther;
  wanted.move = {"kinds", "tenant_id", {}, {"tenant_id", "id"}};
  for (const auto& [name, kind] : columns) {
    wanted.columns.push_back(
        {name, TypeParam::OtherType(kind), kind, name == "tenant_id" || name == "id"});
    wanted.move.columns.push_back(name);
  }
  auto refused = this->tables_->CheckTarget({wanted}, this->rules_, false);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  auto made = this->tables_->CheckTarget({wanted}, this->rules_, true);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto again = this->tables_->CheckTarget({wanted}, this->rules_, true);  // idempotent
  ASSERT_TRUE(again.ok()) << again.status().ToString();

  auto listed = this->tables_->List(this->rules_);
  ASSERT_TRUE(listed.ok());
  auto kinds = std::find_if(listed->begin(), listed->end(),
                            [](const TenantTable& t) { return t.move.name == "kinds"; });
  ASSERT_NE(kinds, listed->end());
  EXPECT_EQ(kinds->engine, TypeParam::kEngine);
  EXPECT_EQ(kinds->move.key_columns, (std::vector<std::string>{"tenant_id", "id"}));
  ASSERT_EQ(kinds->columns.size(), columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    EXPECT_EQ(kinds->columns[i].name, columns[i].first);
    EXPECT_EQ(kinds->columns[i].kind, columns[i].second)
        << columns[i].first << " " << kinds->columns[i].type;
  }
  EXPECT_TRUE(kinds->columns[1].not_null);

  // Values of each kind come back as that kind through the storage port.
  ASSERT_STATUS_OK(this->Exec("INSERT INTO kinds VALUES ($1, $2, $3, $4, $5, $6)",
                              {"t1"s, int64_t{7}, true, 2.5, Bytes{"\x00\x01"s}, "x"s}));
  Collect sink;
  ASSERT_TRUE(this->Session()->Execute("SELECT * FROM kinds", {}, &sink).ok());
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0],
            (std::vector<Value>{"t1"s, int64_t{7}, true, 2.5, Bytes{"\x00\x01"s}, "x"s}));

  // A table of the same engine keeps its declared types.
  TenantTable native;
  native.engine = TypeParam::kEngine;
  native.move = {"natives", "tenant_id", {"tenant_id", "note"}, {}};
  native.columns = {{"tenant_id", TypeParam::kNativeType, ColumnType::kText, false},
                    {"note", TypeParam::kNativeType, ColumnType::kText, false}};
  auto created = this->tables_->CheckTarget({native}, this->rules_, true);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)[0].columns[1].type, TypeParam::kNativeType);
}

TYPED_TEST(TenantTablesContractTest, AFenceRefusesOnlyItsTenantsWrites) {
  this->Seed("t1", 3);
  this->Seed("t2", 3);
  const auto tables = this->MoveTables();
  ASSERT_STATUS_OK(this->tables_->RaiseFence(tables, "t1", 1, "m1", std::chrono::seconds(2)));
  ASSERT_STATUS_OK(this->tables_->RaiseFence(tables, "t1", 2, "m1", std::chrono::seconds(2)));
  this->ExpectFenced("t1");
  // Moving another tenant's row into the fenced tenant is a write of the fenced tenant too.
  EXPECT_FALSE(this->Exec("UPDATE accounts SET tenant_id = 't1', id = 77 WHERE tenant_id = 't2' "
                          "AND id = 1")
                   .ok());
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts WHERE tenant_id = 't1'"), 3);  // reads go on
  ASSERT_STATUS_OK(this->Exec("UPDATE accounts SET balance = 0 WHERE tenant_id = 't2'"));
  ASSERT_STATUS_OK(this->Exec("INSERT INTO accounts VALUES ('t2', 50, 0, 'new')"));

  ASSERT_STATUS_OK(this->tables_->LowerFence("t1", "another-move"));  // not its fence
  this->ExpectFenced("t1");
  ASSERT_STATUS_OK(this->tables_->LowerFence("t1", "m1"));
  ASSERT_STATUS_OK(this->tables_->LowerFence("t1", "m1"));
  ASSERT_STATUS_OK(this->Exec("INSERT INTO accounts VALUES ('t1', 50, 0, 'new')"));
  EXPECT_EQ(this->Count(TypeParam::kMachinerySql), TypeParam::kEngine == Engine::kSqlite ? 1 : 2)
      << "SQLite drops a tenant's triggers with its fence; PostgreSQL keeps its checks";
}

TYPED_TEST(TenantTablesContractTest, ARaisedFenceWaitsForTheTenantsInFlightWriters) {
  this->Seed("t1", 1);
  const auto tables = this->MoveTables();
  auto writer = this->Session();
  ASSERT_STATUS_OK(writer->Begin());
  ASSERT_TRUE(
      writer->Execute("INSERT INTO accounts VALUES ('t1', 2, 0, 'in flight')", {}, nullptr).ok());
  std::atomic<bool> returned{false};
  Status fenced;
  std::thread fence([&] {
    fenced = this->tables_->RaiseFence(tables, "t1", 1, "m1", std::chrono::seconds(20));
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(returned.load()) << "the fence did not wait for the open write transaction";
  ASSERT_STATUS_OK(writer->Commit());
  fence.join();
  ASSERT_STATUS_OK(fenced);
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts WHERE tenant_id = 't1'"), 2);
  this->ExpectFenced("t1");
}

TYPED_TEST(TenantTablesContractTest, PurgeDeletesTheTenantAndItsFenceAndFinallyTheMachinery) {
  this->Seed("t1", 3);
  this->Seed("t2", 2);
  this->Seed("t3", 1);
  const auto tables = this->MoveTables();
  ASSERT_STATUS_OK(this->tables_->RaiseFence(tables, "t1", 1, "m1", std::chrono::seconds(2)));
  ASSERT_STATUS_OK(this->tables_->RaiseFence(tables, "t2", 1, "m2", std::chrono::seconds(2)));
  ASSERT_STATUS_OK(this->tables_->Purge(tables, "t1"));
  ASSERT_STATUS_OK(this->tables_->Purge(tables, "t1"));  // again: nothing left to do
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts WHERE tenant_id = 't1'"), 0);
  EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE tenant_id = 't1'"), 0);
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts WHERE tenant_id = 't2'"), 2);
  EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE tenant_id = 't3'"), 1);
  ASSERT_STATUS_OK(this->Exec("INSERT INTO accounts VALUES ('t1', 1, 0, 'back')"));
  this->ExpectFenced("t2");
  ASSERT_STATUS_OK(this->tables_->Purge(tables, "t2"));
  EXPECT_EQ(this->Count(TypeParam::kMachinerySql), 0);
  ASSERT_STATUS_OK(this->Exec("INSERT INTO accounts VALUES ('t2', 1, 0, 'back')"));
}

TYPED_TEST(TenantTablesContractTest, DeleteRowsWorksWhileFencedAndKeepsTheFence) {
  this->Seed("t1", 4);
  this->Seed("t2", 1);
  const auto tables = this->MoveTables();
  ASSERT_STATUS_OK(this->tables_->RaiseFence(tables, "t1", 1, "m1", std::chrono::seconds(2)));
  ASSERT_STATUS_OK(this->tables_->DeleteRows(tables, "t1"));
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts WHERE tenant_id = 't1'"), 0);
  EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE tenant_id = 't2'"), 1);
  // No rows left to update or delete: an insert is what the fence still refuses.
  Status s = this->Exec("INSERT INTO accounts VALUES ('t1', 1, 0, 'late')");
  EXPECT_NE(s.message().find("tenant t1 is fenced on this shard"), std::string::npos)
      << s.ToString();
}

TYPED_TEST(TenantTablesContractTest, CallsOnAShardThatNeverHadAFenceAreHarmless) {
  this->Seed("t1", 2);
  const auto tables = this->MoveTables();
  ASSERT_STATUS_OK(this->tables_->LowerFence("t1", "m1"));
  ASSERT_STATUS_OK(this->tables_->DeleteRows(tables, "t1"));
  ASSERT_STATUS_OK(this->tables_->Purge(tables, "t1"));
  EXPECT_EQ(this->Count("SELECT count(*) FROM accounts"), 0);
  ASSERT_STATUS_OK(this->Exec("INSERT INTO accounts VALUES ('t1', 1, 0, 'fine')"));
}

// SQLite only: its wait is the shard's write lock, bounded by `wait`. (PostgreSQL's first
// fence on a table also installs its trigger, which waits for the table's lock on a bound
// of its own.)
TEST(SqliteTenantTablesTest, AFenceThatCannotTakeTheWriteLockInTimeIsNotRaised) {
  SqliteTablesBackend backend;
  auto storage = backend.MakeStorage();
  auto tables = backend.MakeTables();
  auto setup = storage->Open();
  ASSERT_TRUE(setup.ok());
  ASSERT_TRUE((*setup)->Execute(kSchema[0], {}, nullptr).ok());
  auto writer = storage->Open();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Begin().ok());
  ASSERT_TRUE(
      (*writer)->Execute("INSERT INTO accounts VALUES ('t1', 1, 0, 'slow')", {}, nullptr).ok());
  auto listed = tables->List(RoutingRules{});
  ASSERT_TRUE(listed.ok());
  const std::vector<MoveTable> moved = {(*listed)[0].move};
  const auto started = std::chrono::steady_clock::now();
  Status fenced = tables->RaiseFence(moved, "t1", 1, "m1", std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(fenced.code(), StatusCode::kUnavailable) << fenced.ToString();
  EXPECT_NE(fenced.message().find("in flight after 200 ms"), std::string::npos)
      << fenced.ToString();
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_TRUE(
      (*setup)->Execute("INSERT INTO accounts VALUES ('t1', 2, 0, 'free')", {}, nullptr).ok());
}

}  // namespace
}  // namespace domicile
