// The PgServer harness: it really starts, answers, survives a power cut, and stops by PID.
#include "support/pg_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <stdexcept>

namespace domicile::testing {
namespace {

bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

TEST(PgServerHarnessTest, StartsOnLoopbackWithTheRequestedSettings) {
  PgServer pg;
  EXPECT_GT(pg.port(), 0);
  EXPECT_TRUE(pg.running());
  EXPECT_EQ(pg.Scalar("SHOW wal_level"), "logical");
  EXPECT_EQ(pg.Scalar("SHOW fsync"), "off");
  EXPECT_EQ(pg.Scalar("SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(pg.Scalar("SHOW max_connections"), "200");
  EXPECT_EQ(pg.Scalar("SHOW server_encoding"), "UTF8");
  EXPECT_EQ(pg.Scalar("SELECT inet_server_port()::text"), std::to_string(pg.port()));
  EXPECT_EQ(pg.Scalar("SELECT pg_backend_pid() <> " + std::to_string(pg.pid())), "t");
}

TEST(PgServerHarnessTest, CreatesDatabasesAndRunsSql) {
  PgServer pg;
  pg.CreateDatabase("shard-a");
  pg.Exec("CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'x'), (2, NULL)",
          "shard-a");
  PgRows rows = pg.Exec("SELECT id::text, name FROM t ORDER BY id", "shard-a");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], std::optional<std::string>("x"));
  EXPECT_EQ(rows[1][1], std::nullopt);
  EXPECT_THROW(pg.Exec("SELECT * FROM t"), std::runtime_error);  // table is in shard-a only
  EXPECT_THROW(pg.Exec("SELEC 1"), std::runtime_error);
}

TEST(PgServerHarnessTest, DestructorStopsThePostmasterByPid) {
  pid_t pid = -1;
  {
    PgServer pg;
    pid = pg.pid();
    ASSERT_TRUE(ProcessExists(pid));
  }
  EXPECT_FALSE(ProcessExists(pid));
}

TEST(PgServerHarnessTest, KillThenRestartKeepsPortAndData) {
  PgServer pg;
  int port = pg.port();
  pg.Exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)");
  pid_t old_pid = pg.pid();
  pg.Kill();
  EXPECT_FALSE(pg.running());
  EXPECT_FALSE(ProcessExists(old_pid));
  EXPECT_THROW(pg.Exec("SELECT 1"), std::runtime_error);
  pg.Restart();  // crash recovery replays the WAL
  EXPECT_EQ(pg.port(), port);
  EXPECT_EQ(pg.Scalar("SELECT v::text FROM kept"), "7");
  pg.Restart();  // and a clean restart of a running server
  EXPECT_EQ(pg.Scalar("SELECT count(*)::text FROM kept"), "1");
}

TEST(PgServerHarnessTest, BadSettingFailsWithTheServerLog) {
  PgServerOptions options;
  options.settings.push_back("no_such_setting_xyz=1");
  try {
    PgServer pg(options);
    FAIL() << "server started with an unknown setting";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_setting_xyz"), std::string::npos) << e.what();
  }
}

class SharedPgServerTest : public PgServerTest<SharedPgServerTest> {};

TEST_F(SharedPgServerTest, FirstTestCreatesATable) {
  pg().Exec("CREATE TABLE IF NOT EXISTS shared (v int)");
  SUCCEED();
}

TEST_F(SharedPgServerTest, SecondTestSeesTheSameServer) {
  pg().Exec("CREATE TABLE IF NOT EXISTS shared (v int)");  // also passes when run alone
  EXPECT_EQ(pg().Scalar("SELECT count(*)::text FROM pg_class WHERE relname = 'shared'"), "1");
}

}  // namespace
}  // namespace domicile::testing
