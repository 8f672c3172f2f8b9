// A BEGIN the router answers itself and sends later (with the transaction's first statement)
// can still fail on the shard: here a hot standby, where READ WRITE and SERIALIZABLE are
// refused. The client must then see its transaction fail, and nothing it sends afterwards may
// run outside the transaction it asked for, in either protocol.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/pg_client.h"
#include "support/pg_server.h"
#include "support/router_process.h"

namespace domicile::testing {
namespace {

class StandbyShardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      PgServerOptions options;
      options.standby = true;
      standby_ = std::make_unique<PgServer>(options);
      RouterOptions router;
      router.binary = DOMICILE_BINARY;
      router.topology = R"(
[[jurisdiction]]
code = "EU"
regions = ["aws:eu-central-1"]

[[shard]]
id = "eu-replica"
engine = "postgres"
region = "aws:eu-central-1"
dsn = "host=127.0.0.1 port=)" + std::to_string(standby_->port()) +
                        R"( dbname=postgres user=postgres"

[[tenant]]
id = "s1"
allow = ["EU"]
shard = "eu-replica"
)";
      router.workers = 1;
      router_ = std::make_unique<RouterProcess>(router);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    router_.reset();
    standby_.reset();
  }
  void SetUp() override { ASSERT_TRUE(router_ != nullptr) << setup_error_; }

  static std::string Conninfo() { return router_->Conninfo() + " options='-c domicile.tenant=s1'"; }

  static inline std::unique_ptr<PgServer> standby_;
  static inline std::unique_ptr<RouterProcess> router_;
  static inline std::string setup_error_;
};

TEST_F(StandbyShardTest, ServerIsAStandby) {
  EXPECT_EQ(standby_->Scalar("SELECT pg_is_in_recovery()"), "t");
  PgClient direct(standby_->Dsn());
  ASSERT_TRUE(direct.connected()) << direct.error();
  EXPECT_EQ(direct.Exec("BEGIN READ WRITE").sqlstate, "0A000");  // what the router must relay
}

TEST_F(StandbyShardTest, FailedBeginAbortsTheClientsTransactionInTheSimpleProtocol) {
  PgClient c(Conninfo());
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.Exec("BEGIN READ WRITE").ok);  // answered by the router, sent later
  EXPECT_EQ(c.TransactionStatus(), 'T');
  // The first statement carries the BEGIN to the shard, which refuses it: the statement must
  // not run in autocommit; the client gets the shard's error and a failed transaction.
  PgResult r = c.Exec("SELECT 'ran outside the transaction'");
  EXPECT_EQ(r.sqlstate, "0A000") << r.Describe();
  EXPECT_NE(r.message.find("read-write"), std::string::npos) << r.message;
  EXPECT_EQ(c.TransactionStatus(), 'E');
  r = c.Exec("SELECT 2");
  EXPECT_EQ(r.sqlstate, "25P02") << r.Describe();
  ASSERT_TRUE(c.Exec("ROLLBACK").ok);
  EXPECT_EQ(c.TransactionStatus(), 'I');
  // The session goes on as before.
  EXPECT_EQ(c.Exec("SELECT 3").Scalar(), "3");
  ASSERT_TRUE(c.Exec("BEGIN").ok);  // plain BEGIN cannot fail: the quick way, still works
  EXPECT_EQ(c.Exec("SELECT 4").Scalar(), "4");
  EXPECT_EQ(c.TransactionStatus(), 'T');
  ASSERT_TRUE(c.Exec("COMMIT").ok);
  // A checked BEGIN the standby accepts: its options take effect, results come back whole.
  ASSERT_TRUE(c.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok);
  EXPECT_EQ(c.Exec("SHOW transaction_isolation").Scalar(), "repeatable read");
  EXPECT_EQ(c.TransactionStatus(), 'T');
  EXPECT_EQ(c.Exec("SELECT 5").Scalar(), "5");
  ASSERT_TRUE(c.Exec("COMMIT").ok);
  EXPECT_EQ(c.TransactionStatus(), 'I');
}

TEST_F(StandbyShardTest, FailedBeginAbortsTheClientsTransactionInTheExtendedProtocol) {
  PgClient c(Conninfo());
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.ExecParams("BEGIN ISOLATION LEVEL SERIALIZABLE", {}).ok);
  PgResult r = c.ExecParams("SELECT $1::int", {"1"});
  EXPECT_EQ(r.sqlstate, "0A000") << r.Describe();
  EXPECT_NE(r.message.find("serializable"), std::string::npos) << r.message;
  EXPECT_EQ(c.TransactionStatus(), 'E');
  r = c.ExecParams("SELECT $1::int", {"2"});
  EXPECT_EQ(r.sqlstate, "25P02") << r.Describe();
  ASSERT_TRUE(c.ExecParams("ROLLBACK", {}).ok);
  EXPECT_EQ(c.TransactionStatus(), 'I');
  // The unnamed statement the BEGIN took is the client's again.
  EXPECT_EQ(c.ExecParams("SELECT $1::int", {"3"}).Scalar(), "3");
  ASSERT_TRUE(c.ExecParams("BEGIN ISOLATION LEVEL REPEATABLE READ", {}).ok);
  EXPECT_EQ(c.ExecParams("SHOW transaction_isolation", {}).Scalar(), "repeatable read");
  ASSERT_TRUE(c.ExecParams("COMMIT", {}).ok);
  // A named statement prepared before survives it all.
  ASSERT_TRUE(c.Prepare("q", "SELECT $1::int * 2").ok);
  ASSERT_TRUE(c.Exec("BEGIN READ WRITE").ok);
  r = c.ExecPrepared("q", {"21"});
  EXPECT_EQ(r.sqlstate, "0A000") << r.Describe();
  ASSERT_TRUE(c.Exec("ROLLBACK").ok);
  EXPECT_EQ(c.ExecPrepared("q", {"21"}).Scalar(), "42");
}

}  // namespace
}  // namespace domicile::testing
