// Thousands of mostly idle clients cost neither threads nor server connections.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

constexpr int kClients = 2000;
constexpr int kActive = 200;  // of them, run one query each on the same shard

int ThreadsOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

class PgwireIdleClientsTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    // The router inherits this process's descriptor limit: raise it before starting it.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 3 * kClients + 1000);
    setrlimit(RLIMIT_NOFILE, &limit);
    StartRouter("[pool]\nmax_size = 10\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireIdleClientsTest, TwoThousandClientsShareAFewThreadsAndServerConnections) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < static_cast<rlim_t>(2 * kClients + 500)) {
    GTEST_SKIP() << "descriptor limit " << limit.rlim_cur << " is too low for this test";
  }
  std::vector<std::unique_ptr<RawWire>> clients;
  for (int i = 0; i < kClients; ++i) {
    auto c = std::make_unique<RawWire>(router().port());
    ASSERT_TRUE(c->connected()) << "client " << i;
    c->Send(RawWire::Startup("app", "app"));
    auto error = c->ReadUntilErrorOrReady();
    ASSERT_FALSE(error.has_value()) << "client " << i << ": " << error->Field('M');
    ASSERT_FALSE(c->eof() || c->timed_out()) << "client " << i;
    clients.push_back(std::move(c));
  }
  for (int i = 0; i < kActive; ++i) {
    clients[i]->Send(RawWire::Message('Q', std::string("SET domicile.tenant = 'e1'") + '\0'));
    ASSERT_FALSE(clients[i]->ReadUntilErrorOrReady().has_value());
    clients[i]->Send(
        RawWire::Message('Q', std::string("SELECT count(*) FROM notes WHERE id < 0") + '\0'));
    auto error = clients[i]->ReadUntilErrorOrReady();
    ASSERT_FALSE(error.has_value()) << error->Field('M');
  }
  int threads = ThreadsOf(router().pid());
  EXPECT_GT(threads, 0);
  EXPECT_LE(threads, 12) << "threads of the router with " << kClients << " clients";
  const ShardDb& eu = cluster().shard("eu-1");
  std::string server_connections = eu.server->Scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + eu.db + "'");
  EXPECT_LE(std::stoi(server_connections), 10) << "pool max_size is 10";
  // And the router still answers a newcomer promptly.
  PgClient newcomer(ConninfoFor("b1"));
  EXPECT_TRUE(newcomer.Exec("SELECT 1").ok);
}

}  // namespace
}  // namespace domicile::testing
