// The router under strain: an exhausted pool, a shard killed and restarted, SCRAM logins.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class PgwirePoolTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter("[pool]\nmax_size = 1\nacquire_timeout_ms = 300\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwirePoolTest, WaitingForABusyShardEndsWith53300) {
  PgClient holder(ConninfoFor("e1"));
  PgClient waiter(ConninfoFor("e2"));
  PgClient elsewhere(ConninfoFor("b1"));
  ASSERT_TRUE(holder.connected() && waiter.connected() && elsewhere.connected());
  ASSERT_TRUE(holder.Exec("BEGIN").ok);
  auto r = holder.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 1)");
  ASSERT_TRUE(r.ok) << r.Describe();  // holds eu-1's only server connection

  auto start = Clock::now();
  r = waiter.Exec("SELECT count(*) FROM notes");
  auto waited = Clock::now() - start;
  EXPECT_EQ(r.sqlstate, "53300") << r.Describe();
  EXPECT_NE(r.message.find("eu-1"), std::string::npos) << r.message;
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(2000));
  // Another shard's pool is not affected.
  r = elsewhere.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  // Inside a transaction block the refusal fails the transaction, as a shard's own error
  // would, through either protocol; ROLLBACK ends it.
  PgClient in_block(ConninfoFor("e2"));
  ASSERT_TRUE(waiter.Exec("BEGIN").ok);
  ASSERT_TRUE(in_block.ExecParams("BEGIN", {}).ok);
  EXPECT_EQ(waiter.Exec("SELECT 1").sqlstate, "53300");
  EXPECT_EQ(in_block.ExecParams("SELECT $1::int", {"1"}).sqlstate, "53300");
  for (PgClient* c : {&waiter, &in_block}) {
    EXPECT_EQ(c->Exec("SELECT 1").sqlstate, "25P02");
    EXPECT_TRUE(c->Exec("ROLLBACK").ok);
  }

  ASSERT_TRUE(holder.Exec("COMMIT").ok);
  r = waiter.Exec("SELECT count(*) FROM notes WHERE tenant_id = 'e1'");
  EXPECT_EQ(r.Scalar(), "1") << r.Describe();
}

// BEGIN waits for the transaction's first statement even with the tenant known at startup:
// until then the client holds none of the pool's connections, and the transaction that
// follows is still one transaction on the shard, whichever protocol sent the BEGIN.
TEST_F(PgwirePoolTest, BeginAloneHoldsNoServerConnectionAndTheTransactionStaysWhole) {
  PgClient simple(ConninfoFor("e1"));
  PgClient extended(ConninfoFor("e1"));
  PgClient other(ConninfoFor("e2"));  // same shard: the pool's one connection
  ASSERT_TRUE(simple.connected() && extended.connected() && other.connected());
  ASSERT_TRUE(simple.Exec("BEGIN").ok);
  ASSERT_TRUE(extended.ExecParams("BEGIN ISOLATION LEVEL REPEATABLE READ", {}).ok);
  PgResult r = other.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "eu1") << r.Describe();  // not 53300: nobody holds the connection

  r = extended.ExecParams("SHOW transaction_isolation", {});
  EXPECT_EQ(r.Scalar(), "repeatable read") << r.Describe();  // the BEGIN's options went along
  ASSERT_TRUE(extended.Exec("ROLLBACK").ok);

  ASSERT_TRUE(simple.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 71)").ok);
  ASSERT_TRUE(simple.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 72)").ok);
  ASSERT_TRUE(simple.Exec("ROLLBACK").ok);
  ASSERT_TRUE(simple.Exec("BEGIN").ok);
  ASSERT_TRUE(simple.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 73)").ok);
  ASSERT_TRUE(simple.Exec("COMMIT").ok);
  // Asked of the shards directly: the rolled-back rows are nowhere, the committed one is on
  // eu-1 only.
  auto counts = cluster().ScalarOnEachShard(
      "SELECT count(*) FROM notes WHERE tenant_id = 'e1' AND id BETWEEN 71 AND 73");
  for (const auto& [shard, count] : counts) {
    EXPECT_EQ(count, shard == "eu-1" ? "1" : "0") << shard;
  }
}

// Regression: DEALLOCATE ALL / DISCARD ALL from one client reached the shared server
// connection and dropped the statements the router had prepared there for every client,
// so the next client to run one got 26000 "prepared statement ... does not exist".
TEST_F(PgwirePoolTest, DeallocateAllFromOneClientKeepsOthersPreparedStatements) {
  PgClient a(router().Conninfo());
  PgClient b(ConninfoFor("e2"));  // same shard: the pool's one connection
  ASSERT_TRUE(a.connected() && b.connected());
  const std::string sql = "SELECT count(*) FROM notes WHERE tenant_id = $1";
  ASSERT_TRUE(a.Prepare("q", sql).ok);
  ASSERT_TRUE(b.Prepare("q", sql).ok);
  auto r = a.ExecPrepared("q", {"e1"});
  ASSERT_TRUE(r.ok) << r.Describe();
  for (const char* reset : {"DEALLOCATE ALL", "DISCARD ALL", "DEALLOCATE q"}) {
    ASSERT_TRUE(b.Exec("DEALLOCATE ALL").ok);
    ASSERT_TRUE(b.Prepare("q", sql).ok);
    r = b.Exec(reset);
    EXPECT_TRUE(r.ok) << reset << ": " << r.Describe();
    r = a.ExecPrepared("q", {"e1"});
    EXPECT_TRUE(r.ok) << "after another client's " << reset << ": " << r.Describe();
  }
  // b's own statement is gone, as in PostgreSQL.
  r = b.ExecPrepared("q", {"e2"});
  EXPECT_EQ(r.sqlstate, "26000") << r.Describe();
  r = b.Exec("DEALLOCATE nosuch");
  EXPECT_EQ(r.sqlstate, "26000") << r.Describe();
}

class PgwireGlobalCapTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter("[pool]\nglobal_max = 1\nacquire_timeout_ms = 3000\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

// One server connection in all: a shard that gets traffic takes it over from a shard whose
// connection sits idle, instead of queueing until the timeout (53300).
TEST_F(PgwireGlobalCapTest, AnIdleConnectionOfAnotherShardMakesRoom) {
  PgClient eu(ConninfoFor("e1"));
  PgClient br(ConninfoFor("b1"));
  ASSERT_TRUE(eu.connected() && br.connected());
  for (int round = 0; round < 3; ++round) {
    for (auto* client : {&eu, &br}) {
      auto start = Clock::now();
      auto r = client->Exec("SELECT current_database()");
      EXPECT_TRUE(r.ok) << "round " << round << ": " << r.Describe();
      EXPECT_LT(Clock::now() - start, milliseconds(2000)) << "round " << round;
    }
  }
  // While one shard's connection is busy, the other shard waits and then gets 53300.
  ASSERT_TRUE(eu.Exec("BEGIN").ok);
  ASSERT_TRUE(eu.Exec("SELECT 1").ok);
  auto r = br.Exec("SELECT current_database()");
  EXPECT_EQ(r.sqlstate, "53300") << r.Describe();
  ASSERT_TRUE(eu.Exec("COMMIT").ok);
  r = br.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
}

class PgwireShardFailureTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter("[pool]\nbreaker_min_backoff_ms = 50\nbreaker_max_backoff_ms = 200\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
  void TearDown() override {
    // Other suites share the servers: never leave one down.
    if (!cluster().server_b().running()) cluster().server_b().Restart();
    PgwireTest::TearDown();
  }

  // A failed query for a tenant of the killed shard: fast, 57P03 or 08006, naming it.
  static void ExpectShardDown(PgClient& client, const std::string& sql) {
    auto start = Clock::now();
    auto r = client.Exec(sql);
    auto took = Clock::now() - start;
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.sqlstate == "57P03" || r.sqlstate == "08006") << r.Describe();
    EXPECT_NE(r.message.find("br-1"), std::string::npos) << r.Describe();
    EXPECT_LT(took, milliseconds(500)) << r.Describe();
  }
};

TEST_F(PgwireShardFailureTest, KilledShardFailsFastOthersWorkAndItRecovers) {
  PgClient br(ConninfoFor("b1"));
  PgClient br_tx(ConninfoFor("b2"));
  PgClient eu(ConninfoFor("e1"));
  ASSERT_TRUE(br.connected() && br_tx.connected() && eu.connected());
  ASSERT_EQ(br.Exec("SELECT current_database()").Scalar(), "br1");  // pools a connection
  ASSERT_TRUE(br_tx.Exec("BEGIN").ok);
  ASSERT_TRUE(br_tx.Exec("INSERT INTO notes (tenant_id, id) VALUES ('b2', 1)").ok);

  cluster().server_b().Kill();
  // The open transaction's connection is gone: 08006 naming the shard.
  auto r = br_tx.Exec("INSERT INTO notes (tenant_id, id) VALUES ('b2', 2)");
  EXPECT_EQ(r.sqlstate, "08006") << r.Describe();
  EXPECT_NE(r.message.find("br-1"), std::string::npos) << r.Describe();
  EXPECT_TRUE(br_tx.Exec("ROLLBACK").ok);
  for (int i = 0; i < 3; ++i) {
    ExpectShardDown(br, "SELECT current_database()");
    ExpectShardDown(br_tx, "SELECT current_database()");
    auto ok = eu.Exec("SELECT current_database()");
    EXPECT_EQ(ok.Scalar(), "eu1") << ok.Describe();
  }
  auto other = Psql({"-c", "/* domicile.tenant=u1 */ SELECT current_database()"});
  EXPECT_EQ(other.out, "us1\n") << other.Describe();

  cluster().server_b().Restart();
  // The breaker reopens the shard within its backoff (at most 200 ms here).
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (true) {
    r = br.Exec("SELECT current_database()");
    if (r.ok) break;
    EXPECT_TRUE(r.sqlstate == "57P03" || r.sqlstate == "08006") << r.Describe();
    ASSERT_LT(Clock::now(), deadline) << "br-1 did not come back: " << r.Describe();
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(r.Scalar(), "br1");
  for (int i = 0; i < 5; ++i) {
    r = br_tx.Exec("SELECT current_database()");
    EXPECT_EQ(r.Scalar(), "br1") << "attempt " << i << ": " << r.Describe();
  }
  auto fresh = Psql({"-c", "/* domicile.tenant=b2 */ SELECT count(*) FROM notes"});
  EXPECT_EQ(fresh.out, "0\n") << fresh.Describe();  // the killed transaction left nothing
}

// Regression: after a lost shard connection the router reports no open transaction, yet a
// ROLLBACK (what drivers send after an error) went to the down shard and failed with 57P03.
TEST_F(PgwireShardFailureTest, RollbackWithNoTransactionNeedsNoShard) {
  PgClient br(ConninfoFor("b1"));
  ASSERT_TRUE(br.connected());
  cluster().server_b().Kill();
  for (const char* sql : {"ROLLBACK", "COMMIT", "ROLLBACK; ROLLBACK"}) {
    auto r = br.Exec(sql);
    EXPECT_TRUE(r.ok) << sql << ": " << r.Describe();
  }
  ExpectShardDown(br, "SELECT 1");
  cluster().server_b().Restart();
}

class PgwireScramTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[users.alice]\npassword = \"s3cret\"\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireScramTest, RightPasswordLogsIn) {
  auto r = Psql({"-c", "/* domicile.tenant=b1 */ SELECT current_database()"},
                {"PGPASSWORD=s3cret"}, "", "alice");
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "br1\n");
}

TEST_F(PgwireScramTest, WrongPasswordOrUnknownUserFails) {
  for (const std::string user : {"alice", "mallory"}) {
    auto r = Psql({"-c", "SELECT 1"}, {"PGPASSWORD=wrong"}, "", user);
    EXPECT_EQ(r.exit_code, 2) << r.Describe();
    EXPECT_NE(r.err.find("password authentication failed for user \"" + user + "\""),
              std::string::npos)
        << r.Describe();
  }
  // psql does not print a startup error's SQLSTATE: read it off the wire. A wrong proof is
  // what a wrong password looks like to the server.
  RawWire wire(router().port());
  wire.Send(RawWire::Startup("alice", "app"));
  auto m = wire.Read();
  ASSERT_TRUE(m && m->type == 'R') << "expected AuthenticationSASL";
  std::string mechanism = "SCRAM-SHA-256";
  std::string first = "n,,n=,r=clientnonceclientnonce";
  std::string body = mechanism + '\0';
  uint32_t len = htonl(static_cast<uint32_t>(first.size()));
  body.append(reinterpret_cast<const char*>(&len), 4);
  wire.Send(RawWire::Message('p', body + first));
  m = wire.Read();
  ASSERT_TRUE(m && m->type == 'R') << "expected AuthenticationSASLContinue";
  std::string server_first = m->body.substr(4);
  std::string nonce = server_first.substr(2, server_first.find(',') - 2);
  wire.Send(RawWire::Message(
      'p', "c=biws,r=" + nonce + ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  m = wire.Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, 'E');
  EXPECT_EQ(m->Field('C'), "28P01") << m->Field('M');
  EXPECT_EQ(m->Field('M'), "password authentication failed for user \"alice\"");
}

}  // namespace
}  // namespace domicile::testing
