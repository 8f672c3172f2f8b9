// Server connections a client leaves behind are cleaned (ROLLBACK, DISCARD ALL) and reused,
// and a client that never finishes startup is cut off.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "integration/pgwire/pgwire_cluster.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

std::string As(const std::string& conninfo, const std::string& tenant) {
  return conninfo + " options='-c domicile.tenant=" + tenant + "'";
}

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
    PgClient a(As(router().Conninfo(), "e1"));
    ASSERT_TRUE(a.connected()) << a.error();
    ASSERT_TRUE(a.Exec("CREATE TEMP TABLE scratch (a int)").ok);  // pins eu-1's connection
    first_pid = a.Exec("SELECT pg_backend_pid()").Scalar();
  }
  PgClient b(As(router().Conninfo(), "e2"));  // same shard, pool of one
  ASSERT_TRUE(b.connected()) << b.error();
  EXPECT_EQ(b.Exec("SELECT pg_backend_pid()").Scalar(), first_pid);  // reused, not reopened
  auto r = b.Exec("SELECT count(*) FROM pg_class WHERE relname = 'scratch'");
  EXPECT_EQ(r.Scalar(), "0") << r.Describe();  // but DISCARD ALL dropped the temp table
}

TEST_F(PgwireReuseTest, OpenTransactionOfALeavingClientIsRolledBack) {
  std::string first_pid;
  {
    PgClient a(As(router().Conninfo(), "e1"));
    ASSERT_TRUE(a.Exec("BEGIN").ok);
    ASSERT_TRUE(a.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 4242)").ok);
    first_pid = a.Exec("SELECT pg_backend_pid()").Scalar();
  }
  PgClient b(As(router().Conninfo(), "e1"));
  EXPECT_EQ(b.Exec("SELECT pg_backend_pid()").Scalar(), first_pid);
  auto r = b.Exec("SELECT count(*) FROM notes WHERE id = 4242");
  EXPECT_EQ(r.Scalar(), "0") << r.Describe();
  EXPECT_EQ(b.Exec("SHOW transaction_isolation").ok, true);
}

TEST_F(PgwireReuseTest, HalfSentStartupIsCutOffAfterTheTimeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(router().port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const char partial[] = {0, 0, 0, 40, 0, 3};  // a length, then half a protocol number
  ASSERT_EQ(send(fd, partial, sizeof(partial), 0), static_cast<ssize_t>(sizeof(partial)));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto start = std::chrono::steady_clock::now();
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_LE(n, 0);  // closed by the router (0) or reset (-1), not a timeout of ours
  EXPECT_LT(waited, std::chrono::seconds(3));
  PgClient after(As(router().Conninfo(), "e1"));  // the router still serves
  EXPECT_TRUE(after.Exec("SELECT 1").ok);
}

}  // namespace
}  // namespace domicile::testing
