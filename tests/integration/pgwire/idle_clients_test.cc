// Ten thousand mostly idle clients cost neither threads nor server connections, and little memory.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

// The number; fewer (down to kFewestClients) where the descriptor limit is lower.
constexpr int kClients = 10000;
constexpr int kFewestClients = 2000;
constexpr int kActive = 200;  // of them, run one query each on the same shard
// Each process holds a descriptor per client, plus its own (the router: server connections).
constexpr int kSpareDescriptors = 500;
// What an idle client may cost the router in resident memory (measured: about 9 KB).
constexpr long kMaxKbPerIdleClient = 64;

// A number field of /proc/PID/status ("Threads:", "VmRSS:" in kB), or -1.
long StatusField(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}

int ClientsTheLimitAllows() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<int>(std::min<rlim_t>(
      kClients, limit.rlim_cur > kSpareDescriptors ? limit.rlim_cur - kSpareDescriptors : 0));
}

class PgwireIdleClientsTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    // The router inherits this process's descriptor limit: raise it before starting it.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, kClients + 2 * kSpareDescriptors);
    setrlimit(RLIMIT_NOFILE, &limit);
    StartRouter("[pool]\nmax_size = 10\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireIdleClientsTest, TenThousandClientsShareAFewThreadsAndServerConnections) {
  const int count = ClientsTheLimitAllows();
  if (count < kFewestClients) {
    GTEST_SKIP() << "the descriptor limit allows " << count << " clients, too few for this test";
  }
  std::cout << "clients: " << count << "\n";
  const long rss_before = StatusField(router().pid(), "VmRSS:");
  std::vector<std::unique_ptr<RawWire>> clients;
  for (int i = 0; i < count; ++i) {
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
  long threads = StatusField(router().pid(), "Threads:");
  EXPECT_GT(threads, 0);
  EXPECT_LE(threads, 12) << "threads of the router with " << count << " clients";
  const long rss_after = StatusField(router().pid(), "VmRSS:");
  ASSERT_GT(rss_before, 0);
  std::cout << "router resident memory: " << rss_before << " kB, then " << rss_after << " kB with "
            << count << " clients\n";
  EXPECT_LE((rss_after - rss_before) / count, kMaxKbPerIdleClient)
      << rss_before << " kB before, " << rss_after << " kB after";
  const ShardDb& eu = cluster().shard("eu-1");
  std::string server_connections =
      eu.server->Scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + eu.db + "'");
  EXPECT_LE(std::stoi(server_connections), 10) << "pool max_size is 10";
  // And the router still answers a newcomer promptly.
  PgClient newcomer(ConninfoFor("b1"));
  EXPECT_TRUE(newcomer.Exec("SELECT 1").ok);
}

}  // namespace
}  // namespace domicile::testing
