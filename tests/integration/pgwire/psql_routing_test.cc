// psql through `domicile serve`: every way to name a tenant, refusals, COPY and cancel, with
// each row checked on the shards themselves.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"

namespace domicile::testing {
namespace {

using std::chrono::milliseconds;

class PgwirePsqlTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 4\n", /*workers=*/1); }
  static void TearDownTestSuite() { StopRouter(); }

  // How many notes rows of `tenant` each shard holds.
  std::map<std::string, std::string> NotesOf(const std::string& tenant) {
    return cluster().ScalarOnEachShard("SELECT count(*) FROM notes WHERE tenant_id = '" +
                                       tenant + "'");
  }
  // Expected NotesOf(tenant) when it has `n` rows: n on its shard, 0 elsewhere.
  static std::map<std::string, std::string> OnlyOn(const std::string& tenant, int n) {
    std::map<std::string, std::string> out = {{"eu-1", "0"}, {"us-1", "0"}, {"br-1", "0"}};
    out[PgwireCluster::ShardOf(tenant)] = std::to_string(n);
    return out;
  }
};

TEST_F(PgwirePsqlTest, CommentHintRoutesToTheTenantsShard) {
  auto r = Psql({"-c", "/* domicile.tenant=b1 */ SELECT current_database()", "-c",
                 "/* domicile.tenant=u1 */ SELECT current_database()", "-c",
                 "SELECT current_database() /* domicile.tenant=e2 */"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "br1\nus1\neu1\n");
}

TEST_F(PgwirePsqlTest, SetTenantIsShownAndRoutes) {
  auto r = Psql({"-c", "SET domicile.tenant = u1", "-c", "SHOW domicile.tenant", "-c",
                 "SHOW domicile.shard", "-c", "SELECT current_database()", "-c",
                 "SET domicile.tenant = 'B2'", "-c", "SHOW domicile.tenant", "-c",
                 "SHOW domicile.shard", "-c", "SELECT current_database()"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "SET\nu1\nus-1\nus1\nSET\nb2\nbr-1\nbr1\n");
}

TEST_F(PgwirePsqlTest, StartupOptionRoutes) {
  auto r = Psql({"-c", "SHOW domicile.tenant", "-c", "SHOW domicile.shard", "-c",
                 "SELECT current_database()"},
                {"PGOPTIONS=-c domicile.tenant=b2"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "b2\nbr-1\nbr1\n");
}

TEST_F(PgwirePsqlTest, KeyColumnLiteralsRouteInsertsAndSelects) {
  auto r = Psql({"-c", "INSERT INTO notes (tenant_id, id, body) VALUES ('e1', 1, 'eu')", "-c",
                 "INSERT INTO notes (id, body, tenant_id) VALUES (2, 'br', 'b1')", "-c",
                 "INSERT INTO notes (tenant_id, id, body) VALUES ('u1', 3, 'us')", "-c",
                 "SELECT body FROM notes WHERE tenant_id = 'b1'", "-c",
                 "UPDATE notes SET body = 'eu!' WHERE id = 1 AND tenant_id = 'e1'", "-c",
                 "SELECT body, current_database() FROM notes WHERE tenant_id = 'e1'"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "INSERT 0 1\nINSERT 0 1\nINSERT 0 1\nbr\nUPDATE 1\neu!|eu1\n");
  EXPECT_EQ(NotesOf("e1"), OnlyOn("e1", 1));
  EXPECT_EQ(NotesOf("b1"), OnlyOn("b1", 1));
  EXPECT_EQ(NotesOf("u1"), OnlyOn("u1", 1));
}

TEST_F(PgwirePsqlTest, MultiStatementSimpleQueryRunsOnOneShard) {
  auto r = Psql({"-c",
                 "INSERT INTO notes (tenant_id, id, body) VALUES ('b2', 1, 'x'); "
                 "INSERT INTO notes (tenant_id, id, body) VALUES ('b2', 2, 'y'); "
                 "SELECT count(*) FROM notes WHERE tenant_id = 'b2'"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "INSERT 0 1\nINSERT 0 1\n2\n");
  EXPECT_EQ(NotesOf("b2"), OnlyOn("b2", 2));
  // Two tenants on different shards in one query string cannot run on one shard.
  r = Psql({"-c",
            "INSERT INTO notes (tenant_id, id, body) VALUES ('e1', 1, 'x'); "
            "INSERT INTO notes (tenant_id, id, body) VALUES ('b1', 2, 'y')"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("0A000"), std::string::npos) << r.err;
  EXPECT_EQ(NotesOf("e1"), OnlyOn("e1", 0));
  EXPECT_EQ(NotesOf("b1"), OnlyOn("b1", 0));
}

TEST_F(PgwirePsqlTest, OtherShardInsideATransactionIsRefusedAndAbortsIt) {
  // ON_ERROR_STOP=0 so psql goes on after each error, like an interactive session.
  auto r = Psql({"-v", "ON_ERROR_STOP=0", "-f", "-"}, {},
                "BEGIN;\n"
                "INSERT INTO notes (tenant_id, id, body) VALUES ('e1', 1, 'in tx');\n"
                "INSERT INTO notes (tenant_id, id, body) VALUES ('b1', 2, 'other shard');\n"
                "SELECT 'after refusal';\n"
                "ROLLBACK;\n"
                "SELECT count(*) FROM notes WHERE tenant_id = 'e1';\n"
                "INSERT INTO notes (tenant_id, id, body) VALUES ('b1', 3, 'after');\n");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "BEGIN\nINSERT 0 1\nROLLBACK\n0\nINSERT 0 1\n") << r.Describe();
  EXPECT_NE(r.err.find("ERROR:  0A000"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("eu-1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("br-1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ERROR:  25P02"), std::string::npos) << r.err;
  EXPECT_EQ(NotesOf("e1"), OnlyOn("e1", 0));  // rolled back on the shard
  EXPECT_EQ(NotesOf("b1"), OnlyOn("b1", 1));  // only the row after the rollback
}

TEST_F(PgwirePsqlTest, UnknownTenantIs42704) {
  auto r = Psql({"-c", "SET domicile.tenant = nobody"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("ERROR:  42704"), std::string::npos) << r.Describe();
  r = Psql({"-c", "SELECT * FROM notes WHERE tenant_id = 'nobody'"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("ERROR:  42704"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("nobody"), std::string::npos) << r.Describe();
  r = Psql({"-c", "/* domicile.tenant=nobody */ SELECT 1"});
  EXPECT_NE(r.err.find("ERROR:  42704"), std::string::npos) << r.Describe();
  r = Psql({"-c", "SELECT 1"}, {"PGOPTIONS=-c domicile.tenant=nobody"});
  EXPECT_NE(r.err.find("42704"), std::string::npos) << r.Describe();
}

TEST_F(PgwirePsqlTest, NoTenantIsRefusedWithTheWaysToNameOne) {
  // docs/errors.md: no tenant for a statement that needs a shard is 0A000.
  auto r = Psql({"-c", "SELECT count(*) FROM notes"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("ERROR:  0A000: domicile could not tell which tenant"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find("SET domicile.tenant"), std::string::npos) << r.Describe();
  // The session stays usable.
  r = Psql({"-v", "ON_ERROR_STOP=0", "-c", "SELECT count(*) FROM notes", "-c",
            "/* domicile.tenant=e1 */ SELECT current_database()"});
  EXPECT_EQ(r.out, "eu1\n") << r.Describe();
}

TEST_F(PgwirePsqlTest, CopyInAndOutCarryATenantsRows) {
  std::string rows;
  for (int i = 1; i <= 500; ++i) rows += "b1\t" + std::to_string(i) + "\trow " + std::to_string(i) + "\n";
  auto r = Psql({"-c", "COPY notes (tenant_id, id, body) FROM STDIN"},
                {"PGOPTIONS=-c domicile.tenant=b1"}, rows + "\\.\n");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "COPY 500\n");
  EXPECT_EQ(NotesOf("b1"), OnlyOn("b1", 500));
  r = Psql({"-c", "/* domicile.tenant=b1 */ COPY (SELECT tenant_id, id, body FROM notes "
                  "ORDER BY id) TO STDOUT"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, rows);
  // The session goes on after COPY (the connection went back clean).
  r = Psql({"-c", "COPY notes (tenant_id, id, body) FROM STDIN", "-c",
            "SELECT count(*) FROM notes"},
           {"PGOPTIONS=-c domicile.tenant=e2"}, "e2\t1\tx\n\\.\n");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "COPY 1\n1\n");
  EXPECT_EQ(NotesOf("e2"), OnlyOn("e2", 1));
}

TEST_F(PgwirePsqlTest, CancelRequestStopsARunningQuery) {
  ChildProcess psql({"psql", router().Conninfo(), "-X", "-At", "-v", "VERBOSITY=verbose", "-c",
                     "SELECT pg_sleep(30) /* cancel-me */"},
                    ProcessOptions{{"PGOPTIONS=-c domicile.tenant=u1"}, "", ""});
  // Wait until the query runs on the tenant's shard, then interrupt psql (it sends a
  // CancelRequest to the router, which forwards it to the shard).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto& shard = cluster().shard("us-1");
  while (shard.server->Scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                              "'%cancel-me%' AND state = 'active' AND pid <> pg_backend_pid()") ==
         "0") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << psql.Stderr();
    ASSERT_TRUE(psql.Running()) << psql.Stderr();
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto sent = std::chrono::steady_clock::now();
  psql.Signal(SIGINT);
  auto r = psql.Wait(std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(3));
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.err.find("57014"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace domicile::testing
