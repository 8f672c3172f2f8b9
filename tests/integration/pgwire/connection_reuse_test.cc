// Server connections a client leaves behind are cleaned (ROLLBACK, DISCARD ALL) and reused,
// and a client that never finishes startup is cut off.
#include <gtest/gtest.h>

#include <chrono>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

class PgwireReuseTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter("[server]\nstartup_timeout_ms = 300\n[pool]\nmax_size = 1\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireReuseTest, PinnedConnectionIsDiscardedAndReusedWhenItsClientLeaves) {
  std::string first_pid;
  {
    PgClient a(ConninfoFor("e1"));
    ASSERT_TRUE(a.connected()) << a.error();
    ASSERT_TRUE(a.Exec("CREATE TEMP TABLE scratch (a int)").ok);  // pins eu-1's connection
    first_pid = a.Exec("SELECT pg_backend_pid()").Scalar();
  }
  PgClient b(ConninfoFor("e2"));  // same shard, pool of one
  ASSERT_TRUE(b.connected()) << b.error();
  EXPECT_EQ(b.Exec("SELECT pg_backend_pid()").Scalar(), first_pid);  // reused, not reopened
  auto r = b.Exec("SELECT count(*) FROM pg_class WHERE relname = 'scratch'");
  EXPECT_EQ(r.Scalar(), "0") << r.Describe();  // but DISCARD ALL dropped the temp table
}

TEST_F(PgwireReuseTest, OpenTransactionOfALeavingClientIsRolledBack) {
  std::string first_pid;
  {
    PgClient a(ConninfoFor("e1"));
    ASSERT_TRUE(a.Exec("BEGIN").ok);
    ASSERT_TRUE(a.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 4242)").ok);
    first_pid = a.Exec("SELECT pg_backend_pid()").Scalar();
  }
  PgClient b(ConninfoFor("e1"));
  EXPECT_EQ(b.Exec("SELECT pg_backend_pid()").Scalar(), first_pid);
  auto r = b.Exec("SELECT count(*) FROM notes WHERE id = 4242");
  EXPECT_EQ(r.Scalar(), "0") << r.Describe();
  EXPECT_EQ(b.Exec("SHOW transaction_isolation").ok, true);
}

TEST_F(PgwireReuseTest, HalfSentStartupIsCutOffAfterTheTimeout) {
  RawWire client(router().port());
  ASSERT_TRUE(client.connected());
  client.Send(std::string("\0\0\0\x28\0\x03", 6));  // a length, then half a protocol number
  auto start = std::chrono::steady_clock::now();
  auto answer = client.Read(std::chrono::seconds(5));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(answer.has_value());
  EXPECT_FALSE(client.timed_out());  // closed by the router, not a timeout of ours
  EXPECT_LT(waited, std::chrono::seconds(3));
  PgClient after(ConninfoFor("e1"));  // the router still serves
  EXPECT_TRUE(after.Exec("SELECT 1").ok);
}

}  // namespace
}  // namespace domicile::testing
