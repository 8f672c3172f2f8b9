// `domicile tenant move` between a SQLite shard and a PostgreSQL shard of one jurisdiction,
// both ways, through the generic row path: the tenant is frozen (its writes refused on the
// source, also through the router) for the copy, and its rows end up exactly on the target.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "support/child_process.h"
#include "support/pg_client.h"
#include "support/pg_server.h"
#include "support/router_process.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

// id -> "balance|note" of one tenant's accounts; events as ids.
using Accounts = std::map<int, std::string>;

constexpr const char* kLiteSchema[] = {
    "CREATE TABLE accounts (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, balance INTEGER NOT "
    "NULL, note TEXT, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE events (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, id))",
};

class LiteRows final : public RowSink {
 public:
  void OnColumns(const std::vector<Column>&) override {}
  bool OnRow(std::span<const Value> row) override {
    std::vector<std::string> text;
    for (const Value& v : row) {
      if (const auto* i = std::get_if<int64_t>(&v)) {
        text.push_back(std::to_string(*i));
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        text.push_back(*s);
      } else {
        text.push_back("NULL");
      }
    }
    rows.push_back(std::move(text));
    return true;
  }
  std::vector<std::vector<std::string>> rows;
};

class CrossEngineMoveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      dir_ = new TempDir("domicile-cross-engine");
      lite_ = dir_->Sub("eu-lite.db");
      for (const char* sql : kLiteSchema) LiteExec(sql);
      pg_ = new PgServer();
      pg_->CreateDatabase("eupg");
      RouterOptions options;
      options.binary = DOMICILE_BINARY;
      options.topology = R"(
[[jurisdiction]]
code = "EU"
regions = ["aws:eu-central-1", "aws:eu-west-1"]

[[shard]]
id = "eu-lite"
engine = "sqlite"
region = "aws:eu-central-1"
path = ")" + lite_ + R"("

[[shard]]
id = "eu-pg"
engine = "postgres"
region = "aws:eu-west-1"
dsn = ")" + pg_->Dsn("eupg") +
                         R"("
)";
      for (const char* tenant : {"c1", "c2", "c3"}) {
        options.topology += "\n[[tenant]]\nid = \"" + std::string(tenant) +
                            "\"\nallow = [\"EU\"]\nshard = \"eu-lite\"\n";
      }
      options.settings = "[routing]\ncatalog_ttl_ms = 20\n";
      router_ = new RouterProcess(options);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete router_;
    delete pg_;
    delete dir_;
    router_ = nullptr;
    pg_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static void LiteExec(const std::string& sql) {
    SqliteShardStorage storage(lite_);
    auto session = storage.Open();
    if (!session.ok()) throw std::runtime_error(session.status().ToString());
    auto r = (*session)->Execute(sql, {}, nullptr);
    if (!r.ok()) throw std::runtime_error(sql + ": " + r.status().ToString());
  }
  static std::vector<std::vector<std::string>> LiteRowsOf(const std::string& sql) {
    SqliteShardStorage storage(lite_);
    auto session = storage.Open();
    LiteRows sink;
    auto r = (*session)->Execute(sql, {}, &sink);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return sink.rows;
  }

  // Seeds `rows` accounts and events of `tenant` on the SQLite shard, as an application had.
  static void SeedLite(const std::string& tenant, int rows) {
    LiteExec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
             std::to_string(rows) + ") INSERT INTO accounts SELECT '" + tenant +
             "', i, i * 10, CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ' || i END FROM n");
    LiteExec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
             std::to_string(rows) + ") INSERT INTO events SELECT '" + tenant +
             "', i, 'seed' FROM n");
  }

  Accounts LiteAccounts(const std::string& tenant) {
    Accounts out;
    for (const auto& r :
         LiteRowsOf("SELECT id, balance, note FROM accounts WHERE tenant_id = '" + tenant + "'")) {
      out[std::stoi(r[0])] = r[1] + "|" + r[2];
    }
    return out;
  }
  Accounts PgAccounts(const std::string& tenant) {
    Accounts out;
    for (const auto& r : pg_->Exec(
             "SELECT id, balance, note FROM accounts WHERE tenant_id = '" + tenant + "'", "eupg")) {
      out[std::stoi(*r[0])] = *r[1] + "|" + (r[2] ? *r[2] : "NULL");
    }
    return out;
  }
  size_t LiteEvents(const std::string& tenant) {
    return LiteRowsOf("SELECT id FROM events WHERE tenant_id = '" + tenant + "'").size();
  }
  std::string PgScalar(const std::string& sql) { return pg_->Scalar(sql, "eupg"); }

  ProcessResult Domicile(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {DOMICILE_BINARY, "--data", router_->dir().Sub("data")};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.env = std::move(env);
    return RunProcess(argv, options, std::chrono::seconds(120));
  }
  std::string HomeOf(const std::string& tenant) {
    ProcessResult r = Domicile({"where", tenant});
    const size_t at = r.out.find("shard ");
    if (r.exit_code != 0 || at == std::string::npos) return "?";
    return r.out.substr(at + 6, r.out.find(',', at) - at - 6);
  }

  // A statement through the router as `tenant`.
  PgResult Routed(const std::string& tenant, const std::string& sql) {
    PgClient client(router_->Conninfo() + " options='-c domicile.tenant=" + tenant + "'");
    if (!client.connected()) return PgResult{false, "08006", client.error(), {}};
    return client.Exec(sql);
  }
  // Retries while routers still send the tenant to its old shard (catalog TTL).
  PgResult RoutedEventually(const std::string& tenant, const std::string& sql) {
    PgResult r;
    for (int i = 0; i < 50; ++i) {
      r = Routed(tenant, sql);
      if (r.ok) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  static TempDir* dir_;
  static std::string lite_;
  static PgServer* pg_;
  static RouterProcess* router_;
  static std::string setup_error_;
};

TempDir* CrossEngineMoveTest::dir_ = nullptr;
std::string CrossEngineMoveTest::lite_;
PgServer* CrossEngineMoveTest::pg_ = nullptr;
RouterProcess* CrossEngineMoveTest::router_ = nullptr;
std::string CrossEngineMoveTest::setup_error_;

TEST_F(CrossEngineMoveTest, MovesSqliteToPostgresFrozenAndBackWithEveryRowExactlyOnce) {
  SeedLite("c1", 2000);
  SeedLite("c2", 50);
  ASSERT_TRUE(Routed("c1", "INSERT INTO accounts VALUES ('c1', 5001, 7, 'via router')").ok);
  const Accounts c1 = LiteAccounts("c1");
  ASSERT_EQ(c1.size(), 2001u);

  // The target has no tables yet: refused, and told how.
  ProcessResult no_schema = Domicile({"tenant", "move", "c1", "--to", "eu-pg"});
  EXPECT_EQ(no_schema.exit_code, 2) << no_schema.Describe();
  EXPECT_NE(no_schema.err.find("has no table accounts"), std::string::npos) << no_schema.Describe();
  EXPECT_NE(no_schema.err.find("--create-schema"), std::string::npos) << no_schema.Describe();

  // Stopped after the copy, with the tenant frozen on its SQLite shard.
  ProcessResult stopped =
      Domicile({"tenant", "move", "c1", "--to", "eu-pg", "--grace-ms", "0", "--create-schema"},
               {"DOMICILE_MOVE_CRASH_AT=copied"});
  EXPECT_EQ(stopped.signal, 9) << stopped.Describe();
  EXPECT_NE(stopped.err.find("FROZEN"), std::string::npos) << stopped.Describe();
  EXPECT_EQ(HomeOf("c1"), "eu-lite");

  PgResult refused = Routed("c1", "INSERT INTO accounts VALUES ('c1', 5002, 0, 'frozen')");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.sqlstate, "55000") << refused.Describe();
  EXPECT_NE(refused.message.find("tenant c1 is fenced on this shard"), std::string::npos)
      << refused.Describe();
  PgResult update = Routed("c1", "UPDATE accounts SET balance = 0 WHERE tenant_id = 'c1'");
  EXPECT_EQ(update.sqlstate, "55000") << update.Describe();
  PgResult read = Routed("c1", "SELECT count(*) FROM accounts WHERE tenant_id = 'c1'");
  ASSERT_TRUE(read.ok) << read.Describe();  // reads go on
  EXPECT_EQ(read.Scalar(), "2001");
  PgResult other = Routed("c2", "INSERT INTO accounts VALUES ('c2', 900, 1, 'not frozen')");
  EXPECT_TRUE(other.ok) << other.Describe();

  ProcessResult resumed = Domicile({"tenant", "move", "c1", "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_NE(resumed.out.find("done"), std::string::npos) << resumed.Describe();
  EXPECT_EQ(HomeOf("c1"), "eu-pg");
  EXPECT_EQ(PgAccounts("c1"), c1);
  EXPECT_EQ(PgScalar("SELECT count(*) FROM events WHERE tenant_id = 'c1'"), "2000");
  EXPECT_TRUE(LiteAccounts("c1").empty());
  EXPECT_EQ(LiteEvents("c1"), 0u);
  EXPECT_EQ(LiteAccounts("c2").size(), 51u);
  EXPECT_TRUE(LiteRowsOf("SELECT name FROM sqlite_master WHERE name LIKE 'domicile%'").empty());

  // The router sends c1 to PostgreSQL now; then everything goes back.
  PgResult on_pg = RoutedEventually("c1", "INSERT INTO accounts VALUES ('c1', 5003, 3, 'on pg')");
  ASSERT_TRUE(on_pg.ok) << on_pg.Describe();
  const Accounts moved = PgAccounts("c1");
  ASSERT_EQ(moved.size(), 2002u);

  ProcessResult back = Domicile({"tenant", "move", "c1", "--to", "eu-lite", "--grace-ms", "0"});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
  EXPECT_NE(back.err.find("FROZEN"), std::string::npos) << back.Describe();
  EXPECT_EQ(HomeOf("c1"), "eu-lite");
  EXPECT_EQ(LiteAccounts("c1"), moved);
  EXPECT_EQ(LiteEvents("c1"), 2000u);
  EXPECT_EQ(PgScalar("SELECT count(*) FROM accounts WHERE tenant_id = 'c1'"), "0");
  EXPECT_EQ(PgScalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'domicile_fence'"), "0");
  PgResult home = RoutedEventually("c1", "INSERT INTO accounts VALUES ('c1', 5004, 4, 'home')");
  ASSERT_TRUE(home.ok) << home.Describe();
  EXPECT_EQ(LiteAccounts("c1").size(), 2003u);
}

TEST_F(CrossEngineMoveTest, UndoOfAFrozenMoveBeforeTheFlipUnfreezesTheTenant) {
  SeedLite("c3", 100);
  ProcessResult stopped =
      Domicile({"tenant", "move", "c3", "--to", "eu-pg", "--grace-ms", "0", "--create-schema"},
               {"DOMICILE_MOVE_CRASH_AT=copied"});
  EXPECT_EQ(stopped.signal, 9) << stopped.Describe();
  EXPECT_EQ(Routed("c3", "INSERT INTO accounts VALUES ('c3', 500, 0, 'frozen')").sqlstate, "55000");

  ProcessResult undone = Domicile({"tenant", "move", "c3", "--undo"});
  ASSERT_EQ(undone.exit_code, 0) << undone.Describe();
  EXPECT_NE(undone.out.find("rolled back"), std::string::npos) << undone.Describe();
  EXPECT_EQ(HomeOf("c3"), "eu-lite");
  PgResult writes = RoutedEventually("c3", "INSERT INTO accounts VALUES ('c3', 501, 0, 'thawed')");
  EXPECT_TRUE(writes.ok) << writes.Describe();
  EXPECT_EQ(LiteAccounts("c3").size(), 101u);
  EXPECT_EQ(PgScalar("SELECT count(*) FROM accounts WHERE tenant_id = 'c3'"), "0");
  EXPECT_TRUE(
      LiteRowsOf("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%c3%'")
          .empty());
}

}  // namespace
}  // namespace domicile::testing
