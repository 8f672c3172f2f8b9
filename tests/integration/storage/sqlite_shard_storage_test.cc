// SqliteShardStorage against real files: opening, WAL, locking between sessions, corruption.
#include "adapters/storage/sqlite/sqlite_shard_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace domicile {
namespace {

using testing::TempDir;

class RowsSink : public RowSink {
 public:
  void OnColumns(const std::vector<Column>& columns) override { columns_ = columns; }
  bool OnRow(std::span<const Value> row) override {
    rows_.emplace_back(row.begin(), row.end());
    return true;
  }
  std::vector<Column> columns_;
  std::vector<std::vector<Value>> rows_;
};

std::unique_ptr<ShardSession> MustOpen(ShardStorage& storage) {
  auto session = storage.Open();
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

Value QueryOne(ShardSession& session, std::string_view sql) {
  RowsSink sink;
  auto r = session.Execute(sql, {}, &sink);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (sink.rows_.empty()) return Value{};
  return sink.rows_[0][0];
}

TEST(SqliteShardStorageTest, MissingDirectoryIsUnavailableAndCreatesNothing) {
  TempDir dir;
  std::string path = dir.Sub("no/such/dir/shard.db");
  SqliteShardStorage storage(path);
  auto session = storage.Open();
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("does not exist"), std::string::npos)
      << session.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("no")));
}

TEST(SqliteShardStorageTest, EmptyPathIsInvalidArgument) {
  SqliteShardStorage storage("");
  EXPECT_EQ(storage.Open().status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteShardStorageTest, CreatesTheFileInWalModeWithForeignKeys) {
  TempDir dir;
  SqliteShardStorage storage(dir.Sub("shard.db"));
  auto session = MustOpen(storage);
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("shard.db")));
  EXPECT_EQ(QueryOne(*session, "PRAGMA journal_mode"), Value(std::string("wal")));
  EXPECT_EQ(QueryOne(*session, "PRAGMA foreign_keys"), Value(int64_t{1}));
  EXPECT_EQ(QueryOne(*session, "PRAGMA busy_timeout"), Value(int64_t{5000}));

  ASSERT_TRUE(session->Execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", {}, nullptr).ok());
  ASSERT_TRUE(
      session->Execute("CREATE TABLE child (pid INTEGER REFERENCES parent (id))", {}, nullptr)
          .ok());
  auto orphan = session->Execute("INSERT INTO child VALUES (42)", {}, nullptr);
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(orphan.status().message().find("FOREIGN KEY"), std::string::npos)
      << orphan.status().ToString();
}

TEST(SqliteShardStorageTest, NotADatabaseIsCorrupt) {
  TempDir dir;
  std::ofstream(dir.Sub("shard.db")) << "this is not an sqlite file, just some text that is long "
                                        "enough to have a header of one hundred bytes or more..";
  SqliteShardStorage storage(dir.Sub("shard.db"));
  auto session = storage.Open();
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kCorrupt) << session.status().ToString();
}

TEST(SqliteShardStorageTest, DataOutlivesTheStorageObject) {
  TempDir dir;
  {
    SqliteShardStorage storage(dir.Sub("shard.db"));
    auto session = MustOpen(storage);
    ASSERT_NE(session, nullptr);
    ASSERT_TRUE(session->Execute("CREATE TABLE t (v TEXT)", {}, nullptr).ok());
    std::vector<Value> params = {std::string("kept")};
    ASSERT_TRUE(session->Execute("INSERT INTO t VALUES ($1)", params, nullptr).ok());
  }
  SqliteShardStorage reopened(dir.Sub("shard.db"));
  auto session = MustOpen(reopened);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(QueryOne(*session, "SELECT v FROM t"), Value(std::string("kept")));
}

TEST(SqliteShardStorageTest, WriterBlocksOtherWritersUntilBusyTimeout) {
  TempDir dir;
  SqliteShardStorageOptions options;
  options.busy_timeout = std::chrono::milliseconds(100);
  SqliteShardStorage storage(dir.Sub("shard.db"), options);
  auto a = MustOpen(storage);
  auto b = MustOpen(storage);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Execute("CREATE TABLE t (v INTEGER)", {}, nullptr).ok());

  ASSERT_TRUE(a->Begin().ok());
  ASSERT_TRUE(a->Execute("INSERT INTO t VALUES (1)", {}, nullptr).ok());
  EXPECT_EQ(QueryOne(*b, "SELECT COUNT(*) FROM t"), Value(int64_t{0}));  // WAL: readers go on
  auto blocked = b->Execute("INSERT INTO t VALUES (2)", {}, nullptr);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
  ASSERT_TRUE(a->Commit().ok());
  ASSERT_TRUE(b->Execute("INSERT INTO t VALUES (2)", {}, nullptr).ok());
  EXPECT_EQ(QueryOne(*a, "SELECT COUNT(*) FROM t"), Value(int64_t{2}));
}

TEST(SqliteShardStorageTest, StaleReadSnapshotThatWritesIsConflict) {
  TempDir dir;
  SqliteShardStorage storage(dir.Sub("shard.db"));
  auto a = MustOpen(storage);
  auto b = MustOpen(storage);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Execute("CREATE TABLE t (v INTEGER)", {}, nullptr).ok());
  ASSERT_TRUE(a->Begin().ok());
  EXPECT_EQ(QueryOne(*a, "SELECT COUNT(*) FROM t"), Value(int64_t{0}));  // snapshot taken
  ASSERT_TRUE(b->Execute("INSERT INTO t VALUES (1)", {}, nullptr).ok());
  auto stale = a->Execute("INSERT INTO t VALUES (2)", {}, nullptr);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict) << stale.status().ToString();
  EXPECT_FALSE(a->Commit().ok());  // the transaction is aborted, as in PostgreSQL
  EXPECT_EQ(QueryOne(*a, "SELECT COUNT(*) FROM t"), Value(int64_t{1}));
}

TEST(SqliteShardStorageTest, DeclaredBooleanAndUntypedColumns) {
  TempDir dir;
  SqliteShardStorage storage(dir.Sub("shard.db"));
  auto s = MustOpen(storage);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->Execute("CREATE TABLE t (b BOOLEAN, anything, r REAL)", {}, nullptr).ok());
  ASSERT_TRUE(s->Execute("INSERT INTO t VALUES (1, x'00ff', 2)", {}, nullptr).ok());
  RowsSink sink;
  ASSERT_TRUE(s->Execute("SELECT b, anything, r FROM t", {}, &sink).ok());
  ASSERT_EQ(sink.columns_.size(), 3u);
  EXPECT_EQ(sink.columns_[0].type, ColumnType::kBool);
  EXPECT_EQ(sink.columns_[1].type, ColumnType::kBytes);  // from the first row's value
  EXPECT_EQ(sink.columns_[2].type, ColumnType::kFloat64);
  EXPECT_EQ(sink.columns_[0].engine_type_id, 0u);
  EXPECT_EQ(sink.rows_.at(0)[0], Value(true));
  EXPECT_EQ(sink.rows_.at(0)[1], Value(Bytes{std::string("\0\xff", 2)}));
  EXPECT_EQ(sink.rows_.at(0)[2], Value(2.0));
}

// SQLite numbers `$N` by first appearance, so "$2 ... $1" must be bound by name.
TEST(SqliteShardStorageTest, ParametersBindByNumberNotByAppearance) {
  TempDir dir;
  SqliteShardStorage storage(dir.Sub("shard.db"));
  auto s = MustOpen(storage);
  ASSERT_NE(s, nullptr);
  std::vector<Value> params = {int64_t{1}, int64_t{2}};
  RowsSink sink;
  ASSERT_TRUE(s->Execute("SELECT $2 * 10 + $1, $1 + $1", params, &sink).ok());
  // ?N is SQLite's own numbered form (do not mix it with $N in one statement).
  ASSERT_TRUE(s->Execute("SELECT ?2 * 10 + ?1", params, &sink).ok());
  ASSERT_EQ(sink.rows_.size(), 2u);
  EXPECT_EQ(sink.rows_[0][0], Value(int64_t{21}));
  EXPECT_EQ(sink.rows_[0][1], Value(int64_t{2}));
  EXPECT_EQ(sink.rows_[1][0], Value(int64_t{21}));
  auto bad = s->Execute("SELECT :name", params, nullptr);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
}

TEST(SqliteShardStorageTest, OpenIsSafeFromManyThreads) {
  TempDir dir;
  SqliteShardStorage storage(dir.Sub("shard.db"));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&storage, &ok, i] {
      auto session = storage.Open();
      if (!session.ok()) return;
      std::string table = "t" + std::to_string(i);
      if ((*session)->Execute("CREATE TABLE " + table + " (v INTEGER)", {}, nullptr).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

}  // namespace
}  // namespace domicile
