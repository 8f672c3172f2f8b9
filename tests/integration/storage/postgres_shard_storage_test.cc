// PostgresShardStorage against real servers: reachability, broken connections, types, SQLSTATEs.
#include "adapters/storage/postgres/postgres_shard_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/loopback_socket.h"
#include "support/pg_server.h"

namespace domicile {
namespace {

using Clock = std::chrono::steady_clock;
using testing::LoopbackSocket;
using testing::PgServer;

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

std::string LoopbackDsn(int port) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=postgres";
}

TEST(PostgresShardStorageTest, RefusedPortIsUnavailableFastAndNamesTheAddress) {
  LoopbackSocket bound_only(/*listen_too=*/false);  // holds the port so nobody listens on it
  PostgresShardStorage storage(LoopbackDsn(bound_only.port()));
  auto start = Clock::now();
  auto session = storage.Open();
  ASSERT_FALSE(session.ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(session.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_NE(session.status().message().find(std::to_string(bound_only.port())), std::string::npos)
      << session.status().ToString();
}

TEST(PostgresShardStorageTest, SilentServerHitsTheConnectTimeout) {
  LoopbackSocket silent(/*listen_too=*/true);  // completes TCP handshakes, never speaks
  PostgresShardStorageOptions options;
  options.connect_timeout_seconds = 2;  // libpq's minimum
  PostgresShardStorage storage(LoopbackDsn(silent.port()), options);
  auto start = Clock::now();
  auto session = storage.Open();
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kUnavailable) << session.status().ToString();
  // libpq counts the timeout in whole seconds of wall-clock time (time(NULL)): when a second
  // ticks over between its start and its wait, 2 s is a little over 1 s (seen under load).
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(6));
}

TEST(PostgresShardStorageTest, MalformedDsnIsInvalidArgument) {
  PostgresShardStorage storage("host=127.0.0.1 port");
  auto session = storage.Open();
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kInvalidArgument) << session.status().ToString();
}

TEST(PostgresShardStorageTest, KilledServerMakesTheSessionUnavailableNotACrash) {
  PgServer pg;
  pg.Exec("CREATE TABLE t (v int); INSERT INTO t VALUES (1)");
  PostgresShardStorage storage(pg.Dsn());
  auto session = storage.Open();
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  ASSERT_TRUE((*session)->Execute("SELECT v FROM t", {}, nullptr).ok());

  pg.Kill();
  auto r = (*session)->Execute("SELECT v FROM t", {}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  r = (*session)->Execute("SELECT 1", {}, nullptr);  // stays broken, still no crash
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ((*session)->Begin().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*session)->Rollback().code(), StatusCode::kUnavailable);
  EXPECT_EQ(storage.Open().status().code(), StatusCode::kUnavailable);

  pg.Restart();
  auto fresh = storage.Open();
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  RowsSink sink;
  ASSERT_TRUE((*fresh)->Execute("SELECT v FROM t", {}, &sink).ok());
  ASSERT_EQ(sink.rows_.size(), 1u);
}

class PostgresShardStorageSharedTest
    : public testing::PgServerTest<PostgresShardStorageSharedTest> {
 protected:
  std::unique_ptr<ShardSession> Open() {
    auto session = PostgresShardStorage(pg().Dsn()).Open();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(session).value() : nullptr;
  }
};

TEST_F(PostgresShardStorageSharedTest, TerminatedBackendIsUnavailable) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  RowsSink sink;
  ASSERT_TRUE(session->Execute("SELECT pg_backend_pid()", {}, &sink).ok());
  int64_t backend = std::get<int64_t>(sink.rows_.at(0).at(0));
  pg().Exec("SELECT pg_terminate_backend(" + std::to_string(backend) + ")");
  auto r = session->Execute("SELECT 1", {}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST_F(PostgresShardStorageSharedTest, ErrorsCarryTheSqlState) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->Execute("CREATE TEMP TABLE u (id int PRIMARY KEY)", {}, nullptr).ok());
  ASSERT_TRUE(session->Execute("INSERT INTO u VALUES (1)", {}, nullptr).ok());
  auto dup = session->Execute("INSERT INTO u VALUES (1)", {}, nullptr);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message().rfind("[23505] duplicate key value", 0), 0u)
      << dup.status().message();
  EXPECT_NE(dup.status().message().find("Key (id)=(1) already exists"), std::string::npos);
  auto syntax = session->Execute("SELEC 1", {}, nullptr);
  EXPECT_EQ(syntax.status().message().rfind("[42601]", 0), 0u) << syntax.status().message();
  auto division = session->Execute("SELECT 1 / 0", {}, nullptr);
  EXPECT_EQ(division.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(division.status().message().rfind("[22012]", 0), 0u) << division.status().message();
}

TEST_F(PostgresShardStorageSharedTest, ColumnTypesCarryTheirOids) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  RowsSink sink;
  auto r = session->Execute(
      "SELECT true AS b, 2::int2 AS s, 4::int4 AS i, 8::int8 AS l, 1.5::float4 AS f, "
      "2.25::float8 AS d, 12.50::numeric AS n, 'v'::varchar AS vc, 'nm'::name AS nm, "
      "'\\x00ff'::bytea AS by, 'tx'::text AS tx",
      {}, &sink);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  struct Expected {
    ColumnType type;
    uint32_t oid;
    Value value;
  };
  std::vector<Expected> expected = {
      {ColumnType::kBool, 16, true},
      {ColumnType::kInt64, 21, int64_t{2}},
      {ColumnType::kInt64, 23, int64_t{4}},
      {ColumnType::kInt64, 20, int64_t{8}},
      {ColumnType::kFloat64, 700, 1.5},
      {ColumnType::kFloat64, 701, 2.25},
      {ColumnType::kText, 1700, std::string("12.50")},
      {ColumnType::kText, 1043, std::string("v")},
      {ColumnType::kText, 19, std::string("nm")},
      {ColumnType::kBytes, 17, Bytes{std::string("\0\xff", 2)}},
      {ColumnType::kText, 25, std::string("tx")},
  };
  ASSERT_EQ(sink.columns_.size(), expected.size());
  ASSERT_EQ(sink.rows_.size(), 1u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(sink.columns_[i].type, expected[i].type) << sink.columns_[i].name;
    EXPECT_EQ(sink.columns_[i].engine_type_id, expected[i].oid) << sink.columns_[i].name;
    EXPECT_EQ(sink.rows_[0][i], expected[i].value) << sink.columns_[i].name;
  }
}

TEST_F(PostgresShardStorageSharedTest, ParametersLandAsTheRightServerValues) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  pg().Exec("DROP TABLE IF EXISTS p; CREATE TABLE p (id int, d float8, b bytea, t text)");
  std::vector<Value> params = {int64_t{1}, 0.1, Bytes{std::string("\0a\0\0\xff", 5)},
                               std::string("it's")};
  ASSERT_TRUE(session->Execute("INSERT INTO p VALUES ($1, $2, $3, $4)", params, nullptr).ok());
  std::vector<Value> specials = {int64_t{2}, std::numeric_limits<double>::infinity(), Value{},
                                 std::string("")};
  ASSERT_TRUE(session->Execute("INSERT INTO p VALUES ($1, $2, $3, $4)", specials, nullptr).ok());
  // Checked from outside the adapter, through the server's own rendering.
  EXPECT_EQ(pg().Scalar("SELECT encode(b, 'hex') FROM p WHERE id = 1"), "00610000ff");
  EXPECT_EQ(pg().Scalar("SELECT d = 0.1::float8 FROM p WHERE id = 1"), "t");
  EXPECT_EQ(pg().Scalar("SELECT t FROM p WHERE id = 1"), "it's");
  EXPECT_EQ(pg().Scalar("SELECT d::text FROM p WHERE id = 2"), "Infinity");
  EXPECT_EQ(pg().Scalar("SELECT (b IS NULL)::text FROM p WHERE id = 2"), "true");
  RowsSink sink;
  ASSERT_TRUE(session->Execute("SELECT d FROM p WHERE id = 2", {}, &sink).ok());
  EXPECT_EQ(sink.rows_.at(0).at(0), Value(std::numeric_limits<double>::infinity()));
}

TEST_F(PostgresShardStorageSharedTest, TextWithAZeroByteIsRefusedNotTruncated) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  std::vector<Value> params = {std::string("ab\0cd", 5)};
  auto r = session->Execute("SELECT $1::text", params, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
}

TEST_F(PostgresShardStorageSharedTest, OpenIsSafeFromManyThreads) {
  PostgresShardStorage storage(pg().Dsn());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&storage, &ok] {
      auto session = storage.Open();
      if (session.ok() && (*session)->Execute("SELECT 1", {}, nullptr).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

}  // namespace
}  // namespace domicile
