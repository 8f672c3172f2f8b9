// pgbench through `domicile serve` in every query mode, tenants on several shards, with the
// ledger checked on each shard afterwards.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "integration/pgwire/pgwire_cluster.h"

namespace domicile::testing {
namespace {

// Picks one of the numeric tenants 101 102 (eu-1), 201 202 (br-1), 301 (us-1) per
// transaction; the key column gets :tid, so extended modes route on the Bind parameter.
constexpr const char* kScript = R"(\set r random(0, 4)
\set tid 101 + (:r / 2) * 100 + :r % 2
\set delta random(1, 100)
BEGIN;
UPDATE bench_accounts SET balance = balance + :delta WHERE tenant_id = :tid;
SELECT balance FROM bench_accounts WHERE tenant_id = :tid;
INSERT INTO bench_history (tenant_id, delta) VALUES (:tid, :delta);
END;
)";

const std::map<std::string, std::string> kOwnTenants = {
    {"eu-1", "101, 102"}, {"br-1", "201, 202"}, {"us-1", "301"}};

class PgwirePgbenchTest : public PgwireTest {
 protected:
  // A pool smaller than the client count: sessions share server connections, so prepared
  // statements must follow each client to whichever connection serves it.
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 2\n", /*workers=*/1); }
  static void TearDownTestSuite() { StopRouter(); }

  void SetUp() override {
    PgwireTest::SetUp();
    cluster().ExecOnEachShard("UPDATE bench_accounts SET balance = 0");
  }

  // Runs the script for `seconds` and checks that nothing failed and that every shard's
  // ledger adds up with only its own tenants' rows.
  void RunAndCheck(const std::string& mode, int clients, int seconds) {
    TempDir dir("domicile-pgbench");
    std::ofstream(dir.Sub("tx.sql")) << kScript;
    auto r = RunProcess({"pgbench", "-n", "-M", mode, "-f", dir.Sub("tx.sql"), "-c",
                         std::to_string(clients), "-j", "2", "-T", std::to_string(seconds),
                         "-h", "127.0.0.1", "-p", std::to_string(router().port()), "-U", "app",
                         "app"},
                        ProcessOptions{{"PGOPTIONS"}, "", ""}, std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.Describe() << router().Log();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(actually processed: (\d+))")))
        << r.Describe();
    long processed = std::stol(m[1].str());
    EXPECT_GT(processed, 50) << r.Describe();
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(number of failed transactions: (\d+))")))
        << r.Describe();
    EXPECT_EQ(m[1].str(), "0") << r.Describe();

    long history = 0;
    for (const auto& s : cluster().shards()) {
      const std::string& own = kOwnTenants.at(s.id);
      EXPECT_EQ(s.server->Scalar("SELECT count(*) FROM bench_history WHERE tenant_id NOT IN (" +
                                     own + ")",
                                 s.db),
                "0")
          << "rows of other shards' tenants landed on " << s.id;
      std::string rows = s.server->Scalar("SELECT count(*) FROM bench_history", s.db);
      EXPECT_NE(rows, "0") << s.id << " got no transactions";
      history += std::stol(rows);
      // Every committed UPDATE has its history row on the same shard.
      EXPECT_EQ(s.server->Scalar("SELECT count(*) FROM bench_accounts a WHERE balance <> "
                                 "(SELECT coalesce(sum(delta), 0) FROM bench_history h "
                                 "WHERE h.tenant_id = a.tenant_id)",
                                 s.db),
                "0")
          << s.id;
    }
    EXPECT_EQ(history, processed);
  }
};

TEST_F(PgwirePgbenchTest, SimpleProtocol) { RunAndCheck("simple", 4, 2); }

TEST_F(PgwirePgbenchTest, ExtendedProtocolRoutesOnBindParameters) {
  RunAndCheck("extended", 4, 2);
}

TEST_F(PgwirePgbenchTest, PreparedStatementsWithMoreClientsThanServerConnections) {
  RunAndCheck("prepared", 8, 3);
}

}  // namespace
}  // namespace domicile::testing
