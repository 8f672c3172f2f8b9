// The ShardStorage contract: one typed suite that every storage adapter must pass.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "adapters/storage/postgres/postgres_shard_storage.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "ports/shard_storage.h"
#include "support/pg_server.h"
#include "support/temp_dir.h"

namespace domicile {
namespace {

using testing::PgServer;
using testing::SharedPgServer;
using testing::TempDir;

// A fresh, empty SQLite file per test.
class SqliteBackend {
 public:
  static void SetUpSuite() {}
  static void TearDownSuite() {}
  std::string Prepare() { return ""; }
  std::unique_ptr<ShardStorage> MakeStorage() {
    return std::make_unique<SqliteShardStorage>(dir_.Sub("shard.db"));
  }

 private:
  TempDir dir_{"domicile-sqlite-contract"};
};

// One server for the suite; every test starts from an empty public schema.
class PostgresBackend {
 public:
  static void SetUpSuite() { shared_.Start(); }
  static void TearDownSuite() { shared_.Stop(); }
  std::string Prepare() {
    if (!shared_.ok()) return shared_.error();
    shared_.server().Exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    return "";
  }
  std::unique_ptr<ShardStorage> MakeStorage() {
    return std::make_unique<PostgresShardStorage>(shared_.server().Dsn());
  }

 private:
  static inline SharedPgServer shared_;
};

class CollectingSink : public RowSink {
 public:
  explicit CollectingSink(size_t stop_after = SIZE_MAX) : stop_after_(stop_after) {}
  void OnColumns(const std::vector<Column>& columns) override {
    columns_ = columns;
    ++on_columns_calls_;
  }
  bool OnRow(std::span<const Value> row) override {
    rows_.emplace_back(row.begin(), row.end());
    return rows_.size() < stop_after_;
  }

  std::vector<Column> columns_;
  std::vector<std::vector<Value>> rows_;
  int on_columns_calls_ = 0;

 private:
  size_t stop_after_;
};

#define ASSERT_OK(expr)                             \
  do {                                              \
    auto&& _r = (expr);                             \
    ASSERT_TRUE(_r.ok()) << _r.status().ToString(); \
  } while (0)
#define ASSERT_STATUS_OK(expr)             \
  do {                                     \
    ::domicile::Status _s = (expr);        \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

constexpr const char* kCreateItems =
    "CREATE TABLE items (id BIGINT PRIMARY KEY, flag BOOLEAN, n BIGINT, "
    "x DOUBLE PRECISION, name TEXT, payload BYTEA)";
constexpr const char* kInsertItem =
    "INSERT INTO items (id, flag, n, x, name, payload) VALUES ($1, $2, $3, $4, $5, $6)";

template <typename Backend>
class ShardStorageContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::SetUpSuite(); }
  static void TearDownTestSuite() { Backend::TearDownSuite(); }

  void SetUp() override {
    std::string error = backend_.Prepare();
    ASSERT_EQ(error, "");
    storage_ = backend_.MakeStorage();
    session_ = OpenSession();
    ASSERT_NE(session_, nullptr);
  }

  std::unique_ptr<ShardSession> OpenSession() {
    Result<std::unique_ptr<ShardSession>> session = storage_->Open();
    if (!session.ok()) {
      ADD_FAILURE() << "Open: " << session.status().ToString();
      return nullptr;
    }
    return std::move(session).value();
  }

  Result<ExecResult> Exec(std::string_view sql, std::vector<Value> params = {},
                          RowSink* sink = nullptr, ShardSession* session = nullptr) {
    return (session ? session : session_.get())->Execute(sql, params, sink);
  }

  // COUNT(*) of items seen by `session`, or -1 on error.
  int64_t CountItems(ShardSession* session) {
    CollectingSink sink;
    Result<ExecResult> r = Exec("SELECT COUNT(*) FROM items", {}, &sink, session);
    if (!r.ok() || sink.rows_.size() != 1) return -1;
    return std::get<int64_t>(sink.rows_[0][0]);
  }

  Backend backend_;
  std::unique_ptr<ShardStorage> storage_;
  std::unique_ptr<ShardSession> session_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Postgres";
  }
};
TYPED_TEST_SUITE(ShardStorageContractTest, Backends, BackendNames);

TYPED_TEST(ShardStorageContractTest, CreateTableReportsItsTag) {
  Result<ExecResult> r = this->Exec(kCreateItems);
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "CREATE TABLE");
  EXPECT_EQ(r->rows_affected, 0);
}

TYPED_TEST(ShardStorageContractTest, EveryValueTypeRoundTrips) {
  ASSERT_OK(this->Exec(kCreateItems));
  const std::string tricky = "ünïcødé ✓ 'single' \"double\" \\ back; -- not a comment";
  const std::string with_zeros("\0a\0\xff\x01\0", 6);
  std::vector<std::vector<Value>> rows = {
      {int64_t{1}, true, std::numeric_limits<int64_t>::max(), 3.141592653589793,
       std::string("plain"), Bytes{with_zeros}},
      {int64_t{2}, false, std::numeric_limits<int64_t>::min(), -1e300, tricky, Bytes{"\x7f"}},
      {int64_t{3}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{},
       std::monostate{}},
      {int64_t{4}, true, int64_t{0}, 0.0, std::string(""), Bytes{""}},  // empty is not NULL
  };
  for (const std::vector<Value>& row : rows) {
    Result<ExecResult> r = this->Exec(kInsertItem, row);
    ASSERT_OK(r);
    EXPECT_EQ(r->command_tag, "INSERT 0 1");
    EXPECT_EQ(r->rows_affected, 1);
  }

  CollectingSink sink;
  Result<ExecResult> r =
      this->Exec("SELECT id, flag, n, x, name, payload FROM items ORDER BY id", {}, &sink);
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "SELECT 4");
  EXPECT_EQ(r->rows_affected, 4);
  EXPECT_EQ(sink.on_columns_calls_, 1);
  std::vector<std::pair<std::string, ColumnType>> expected_columns = {
      {"id", ColumnType::kInt64},  {"flag", ColumnType::kBool}, {"n", ColumnType::kInt64},
      {"x", ColumnType::kFloat64}, {"name", ColumnType::kText}, {"payload", ColumnType::kBytes}};
  ASSERT_EQ(sink.columns_.size(), expected_columns.size());
  for (size_t i = 0; i < expected_columns.size(); ++i) {
    EXPECT_EQ(sink.columns_[i].name, expected_columns[i].first);
    EXPECT_EQ(sink.columns_[i].type, expected_columns[i].second)
        << "column " << sink.columns_[i].name << " is " << ColumnTypeName(sink.columns_[i].type);
  }
  ASSERT_EQ(sink.rows_.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c) {
      EXPECT_EQ(sink.rows_[i][c], rows[i][c]) << "row " << i << " column " << c;
    }
  }
}

TYPED_TEST(ShardStorageContractTest, ParametersWorkInWhereClauses) {
  ASSERT_OK(this->Exec(kCreateItems));
  const std::string tricky = "O'Brien \"quoted\" ✓";
  ASSERT_OK(this->Exec(kInsertItem, {int64_t{1}, true, int64_t{5}, 1.5, tricky, Bytes{"a"}}));
  CollectingSink sink;
  ASSERT_OK(this->Exec("SELECT id FROM items WHERE name = $1 AND n > $2 AND flag = $3",
                       {tricky, int64_t{4}, true}, &sink));
  ASSERT_EQ(sink.rows_.size(), 1u);
  EXPECT_EQ(sink.rows_[0][0], Value(int64_t{1}));
}

TYPED_TEST(ShardStorageContractTest, ExpressionColumnsAreTyped) {
  CollectingSink sink;
  ASSERT_OK(this->Exec("SELECT 1 + 1 AS two, 'x' AS s", {}, &sink));
  ASSERT_EQ(sink.columns_.size(), 2u);
  EXPECT_EQ(sink.columns_[0].name, "two");
  EXPECT_EQ(sink.columns_[0].type, ColumnType::kInt64);
  EXPECT_EQ(sink.columns_[1].type, ColumnType::kText);
  ASSERT_EQ(sink.rows_.size(), 1u);
  EXPECT_EQ(sink.rows_[0][0], Value(int64_t{2}));
  EXPECT_EQ(sink.rows_[0][1], Value(std::string("x")));
}

TYPED_TEST(ShardStorageContractTest, DmlReportsCountsInPostgresTags) {
  ASSERT_OK(this->Exec(kCreateItems));
  Result<ExecResult> r = this->Exec("INSERT INTO items (id, n) VALUES (1, 10), (2, 20), (3, 30)");
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "INSERT 0 3");
  EXPECT_EQ(r->rows_affected, 3);
  r = this->Exec("UPDATE items SET n = n + 1 WHERE id >= $1", {int64_t{2}});
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "UPDATE 2");
  EXPECT_EQ(r->rows_affected, 2);
  r = this->Exec("UPDATE items SET n = 0 WHERE id > 100");
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "UPDATE 0");
  r = this->Exec("DELETE FROM items WHERE id = $1", {int64_t{1}});
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "DELETE 1");
  EXPECT_EQ(r->rows_affected, 1);
  CollectingSink sink;
  r = this->Exec("SELECT n FROM items ORDER BY id", {}, &sink);
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "SELECT 2");
  ASSERT_EQ(sink.rows_.size(), 2u);
  EXPECT_EQ(sink.rows_[0][0], Value(int64_t{21}));
  EXPECT_EQ(sink.rows_[1][0], Value(int64_t{31}));
}

TYPED_TEST(ShardStorageContractTest, EmptyResultStillDescribesColumns) {
  ASSERT_OK(this->Exec(kCreateItems));
  CollectingSink sink;
  Result<ExecResult> r = this->Exec("SELECT id, name FROM items", {}, &sink);
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "SELECT 0");
  EXPECT_EQ(sink.on_columns_calls_, 1);
  ASSERT_EQ(sink.columns_.size(), 2u);
  EXPECT_EQ(sink.columns_[1].name, "name");
  EXPECT_EQ(sink.columns_[1].type, ColumnType::kText);
  EXPECT_TRUE(sink.rows_.empty());
  // A null sink discards rows but still counts them.
  EXPECT_EQ(this->Exec("SELECT id FROM items")->command_tag, "SELECT 0");
}

TYPED_TEST(ShardStorageContractTest, SinkCanStopAQueryEarly) {
  ASSERT_OK(this->Exec(kCreateItems));
  Result<ExecResult> r = this->Exec(
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) "
      "INSERT INTO items (id, n) SELECT i, i * 2 FROM s");
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "INSERT 0 100");
  CollectingSink sink(/*stop_after=*/3);
  r = this->Exec("SELECT id FROM items ORDER BY id", {}, &sink);
  ASSERT_OK(r);
  ASSERT_EQ(sink.rows_.size(), 3u);
  EXPECT_EQ(sink.rows_[2][0], Value(int64_t{3}));
  EXPECT_EQ(r->rows_affected, 3);  // rows delivered
  EXPECT_EQ(r->command_tag, "SELECT 3");
  EXPECT_EQ(this->CountItems(this->session_.get()), 100);  // session still usable
}

TYPED_TEST(ShardStorageContractTest, ReturningRunsToCompletionWhenTheSinkStops) {
  ASSERT_OK(this->Exec(kCreateItems));
  CollectingSink sink(/*stop_after=*/1);
  Result<ExecResult> r =
      this->Exec("INSERT INTO items (id) VALUES (1), (2), (3) RETURNING id", {}, &sink);
  ASSERT_OK(r);
  EXPECT_EQ(sink.rows_.size(), 1u);
  EXPECT_EQ(r->command_tag, "INSERT 0 3");
  EXPECT_EQ(r->rows_affected, 3);
  EXPECT_EQ(this->CountItems(this->session_.get()), 3);
}

TYPED_TEST(ShardStorageContractTest, CommitIsVisibleToOtherSessionsAndRollbackIsNot) {
  ASSERT_OK(this->Exec(kCreateItems));
  std::unique_ptr<ShardSession> other = this->OpenSession();
  ASSERT_NE(other, nullptr);

  ASSERT_STATUS_OK(this->session_->Begin());
  ASSERT_OK(this->Exec("INSERT INTO items (id) VALUES (1)"));
  EXPECT_EQ(this->CountItems(this->session_.get()), 1);  // own writes are visible
  EXPECT_EQ(this->CountItems(other.get()), 0);           // others' are not, yet
  ASSERT_STATUS_OK(this->session_->Commit());
  EXPECT_EQ(this->CountItems(other.get()), 1);

  ASSERT_STATUS_OK(this->session_->Begin());
  ASSERT_OK(this->Exec("INSERT INTO items (id) VALUES (2)"));
  ASSERT_STATUS_OK(this->session_->Rollback());
  EXPECT_EQ(this->CountItems(other.get()), 1);
  EXPECT_EQ(this->CountItems(this->session_.get()), 1);
}

TYPED_TEST(ShardStorageContractTest, ClosingASessionRollsBackItsTransaction) {
  ASSERT_OK(this->Exec(kCreateItems));
  {
    std::unique_ptr<ShardSession> doomed = this->OpenSession();
    ASSERT_NE(doomed, nullptr);
    ASSERT_STATUS_OK(doomed->Begin());
    ASSERT_OK(this->Exec("INSERT INTO items (id) VALUES (1)", {}, nullptr, doomed.get()));
  }
  EXPECT_EQ(this->CountItems(this->session_.get()), 0);
}

TYPED_TEST(ShardStorageContractTest, TransactionControlEdgeCases) {
  EXPECT_TRUE(this->session_->Commit().ok());  // nothing to commit: a warning, not an error
  EXPECT_TRUE(this->session_->Rollback().ok());
  ASSERT_STATUS_OK(this->session_->Begin());
  Status nested = this->session_->Begin();
  EXPECT_EQ(nested.code(), StatusCode::kInvalidArgument) << nested.ToString();
  EXPECT_TRUE(this->session_->Rollback().ok());
}

TYPED_TEST(ShardStorageContractTest, SqlErrorKeepsTheSessionUsable) {
  Result<ExecResult> r = this->Exec("SELEC 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("syntax error"), std::string::npos) << r.status().ToString();
  r = this->Exec("SELECT * FROM no_such_table");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no_such_table"), std::string::npos) << r.status().ToString();
  CollectingSink sink;
  ASSERT_OK(this->Exec("SELECT 42", {}, &sink));
  ASSERT_EQ(sink.rows_.size(), 1u);
  EXPECT_EQ(sink.rows_[0][0], Value(int64_t{42}));
}

TYPED_TEST(ShardStorageContractTest, UniqueViolationIsAlreadyExists) {
  ASSERT_OK(this->Exec(kCreateItems));
  ASSERT_OK(this->Exec("INSERT INTO items (id) VALUES ($1)", {int64_t{7}}));
  Result<ExecResult> r = this->Exec("INSERT INTO items (id) VALUES ($1)", {int64_t{7}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  EXPECT_EQ(this->CountItems(this->session_.get()), 1);
}

TYPED_TEST(ShardStorageContractTest, NotNullViolationIsInvalidArgument) {
  ASSERT_OK(this->Exec("CREATE TABLE strict_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"));
  Result<ExecResult> r =
      this->Exec("INSERT INTO strict_items (id, name) VALUES ($1, $2)", {int64_t{1}, Value{}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find("name"), std::string::npos) << r.status().ToString();
}

TYPED_TEST(ShardStorageContractTest, ErrorInsideATransactionAbortsIt) {
  ASSERT_OK(this->Exec(kCreateItems));
  ASSERT_STATUS_OK(this->session_->Begin());
  ASSERT_OK(this->Exec("INSERT INTO items (id) VALUES (1)"));
  ASSERT_FALSE(this->Exec("INSERT INTO items (id) VALUES (1)").ok());
  Result<ExecResult> ignored = this->Exec("INSERT INTO items (id) VALUES (2)");
  ASSERT_FALSE(ignored.ok());
  EXPECT_NE(ignored.status().message().find("aborted"), std::string::npos)
      << ignored.status().ToString();
  Status commit = this->session_->Commit();
  EXPECT_FALSE(commit.ok());
  EXPECT_NE(commit.message().find("rolled back"), std::string::npos) << commit.ToString();
  EXPECT_EQ(this->CountItems(this->session_.get()), 0);  // usable again, nothing committed
}

TYPED_TEST(ShardStorageContractTest, MissingParameterIsInvalidArgument) {
  Result<ExecResult> r = this->Exec("SELECT $2", {int64_t{1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
}

TYPED_TEST(ShardStorageContractTest, SeveralStatementsInOneExecuteAreRefused) {
  ASSERT_OK(this->Exec(kCreateItems));
  Result<ExecResult> r =
      this->Exec("INSERT INTO items (id) VALUES ($1); DELETE FROM items", {int64_t{1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(this->CountItems(this->session_.get()), 0);
}

TYPED_TEST(ShardStorageContractTest, EmptyStatementIsANoOp) {
  Result<ExecResult> r = this->Exec("  ");
  ASSERT_OK(r);
  EXPECT_EQ(r->command_tag, "");
  EXPECT_EQ(r->rows_affected, 0);
}

}  // namespace
}  // namespace domicile
