// Session state through a transaction-pooling router: SETs follow each client to whichever
// server connection serves its next transaction; temp tables pin the connection.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

class PgwireSessionStateTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 4\n"); }
  static void TearDownTestSuite() { StopRouter(); }

  std::unique_ptr<PgClient> Connect(const std::string& tenant) {
    auto c = std::make_unique<PgClient>(ConninfoFor(tenant));
    EXPECT_TRUE(c->connected()) << c->error();
    return c;
  }
};

TEST_F(PgwireSessionStateTest, SetsFollowEachClientAcrossPooledConnections) {
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<PgClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(Connect("e1"));
    ASSERT_TRUE(clients[i]->connected());
    auto r = clients[i]->Exec("SET application_name = 'client_" + std::to_string(i) + "'");
    ASSERT_TRUE(r.ok) << r.Describe();
    r = clients[i]->Exec("SET search_path TO app_schema, public");
    ASSERT_TRUE(r.ok) << r.Describe();
  }
  // Between transactions a client keeps its connection while nobody else needs one
  // (affinity). The pool is full with four clients, so this one's transactions take a parked
  // connection each round, and the clients it robbed take others in turn.
  auto thief = Connect("e2");
  std::vector<std::set<std::string>> backends(kClients);
  for (int round = 0; round < 4; ++round) {
    // All clients hold a transaction at once, each in a different order per round, so they
    // need distinct server connections and get a different one from round to round.
    for (int k = 0; k < kClients; ++k) {
      int i = round % 2 == 0 ? (k + round) % kClients : kClients - 1 - (k + round) % kClients;
      auto& c = *clients[i];
      ASSERT_TRUE(c.Exec("BEGIN").ok);
      auto r = c.Exec("SELECT current_setting('application_name'), pg_backend_pid()");
      ASSERT_TRUE(r.ok) << r.Describe();
      EXPECT_EQ(r.Scalar(), "client_" + std::to_string(i)) << "round " << round;
      backends[i].insert(*r.rows[0][1]);
      // Unqualified: only the client's search_path finds app_schema.widgets.
      r = c.Exec("INSERT INTO widgets (tenant_id, name) VALUES ('e1', 'w')");
      EXPECT_TRUE(r.ok) << r.Describe();
    }
    for (auto& c : clients) ASSERT_TRUE(c->Exec("COMMIT").ok);
    for (int i = 0; i < kClients; ++i) {
      auto r = clients[i]->Exec("SHOW application_name");
      ASSERT_TRUE(r.ok) << r.Describe();
      EXPECT_EQ(r.Scalar(), "client_" + std::to_string(i));
    }
    auto r = thief->Exec("SELECT current_setting('application_name')");
    EXPECT_TRUE(r.ok) << r.Describe();
    EXPECT_EQ(r.Scalar(), "") << "round " << round;
  }
  size_t moved = 0;
  for (const auto& b : backends) moved += b.size() > 1;
  EXPECT_GT(moved, 0u) << "no client changed server connection: the test proved nothing";
  const auto& eu = cluster().shard("eu-1");
  EXPECT_EQ(eu.server->Scalar("SELECT count(*) FROM app_schema.widgets", eu.db), "16");
  // RESET goes back to the default on whichever connection comes next.
  ASSERT_TRUE(clients[0]->Exec("RESET application_name").ok);
  ASSERT_TRUE(clients[1]->Exec("BEGIN").ok);  // holds a connection so client 0 may move
  EXPECT_EQ(clients[0]->Exec("SHOW application_name").Scalar(), "");
  ASSERT_TRUE(clients[1]->Exec("COMMIT").ok);
  EXPECT_EQ(clients[1]->Exec("SHOW application_name").Scalar(), "client_1");
}

TEST_F(PgwireSessionStateTest, TempTableStaysUsableInLaterTransactions) {
  auto owner = Connect("b1");
  auto other = Connect("b2");
  ASSERT_TRUE(owner->connected() && other->connected());
  auto r = owner->Exec("CREATE TEMP TABLE scratch (n int)");
  ASSERT_TRUE(r.ok) << r.Describe();
  for (int i = 0; i < 5; ++i) {
    // Another client busy on the same shard would get the owner's connection were it pooled.
    ASSERT_TRUE(other->Exec("BEGIN").ok);
    ASSERT_TRUE(other->Exec("SELECT 1").ok);
    r = owner->Exec("INSERT INTO scratch VALUES (" + std::to_string(i) + ")");
    ASSERT_TRUE(r.ok) << r.Describe();
    ASSERT_TRUE(other->Exec("COMMIT").ok);
    r = owner->Exec("BEGIN; INSERT INTO scratch VALUES (100); COMMIT");
    ASSERT_TRUE(r.ok) << r.Describe();
  }
  r = owner->Exec("SELECT count(*) FROM scratch");
  ASSERT_TRUE(r.ok) << r.Describe();
  EXPECT_EQ(r.Scalar(), "10");
  r = other->Exec("SELECT count(*) FROM scratch");
  EXPECT_EQ(r.sqlstate, "42P01") << "another client saw the temp table: " << r.Describe();
  // DISCARD TEMP releases the pin; the session goes on.
  r = owner->Exec("DISCARD TEMP");
  EXPECT_TRUE(r.ok) << r.Describe();
  r = owner->Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
}

// The value of row `name` of a two-column (name, value) result, or "" when absent.
std::string ValueOf(const PgResult& r, const std::string& name) {
  for (const auto& row : r.rows) {
    if (row.size() == 2 && row[0] == name) return row[1].value_or("");
  }
  return "";
}

// Counters change on the owner's thread just after its client has the answer, so another
// client may look a moment early: polls `name` for up to 2 s until it reads `want`.
std::string StatEventually(PgClient& client, const std::string& name, const std::string& want) {
  std::string got;
  for (int i = 0; i < 200; ++i) {
    got = ValueOf(client.Exec("SHOW domicile.stats"), name);
    if (got == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return got;
}

TEST_F(PgwireSessionStateTest, ShowDomicileStatsAndPoolsReportTheRouter) {
  auto owner = Connect("b1");
  auto watcher = Connect("b2");
  ASSERT_TRUE(owner->connected() && watcher->connected());
  auto r = watcher->Exec("SHOW domicile.stats");
  ASSERT_TRUE(r.ok) << r.Describe();
  EXPECT_EQ(ValueOf(r, "pinned_clients"), "0");
  EXPECT_GE(std::stoi(ValueOf(r, "clients")), 2);
  int before = std::stoi(ValueOf(r, "transactions"));

  ASSERT_TRUE(owner->Exec("CREATE TEMP TABLE pinned_here (n int)").ok);
  EXPECT_EQ(StatEventually(*watcher, "pinned_clients", "1"), "1")
      << "the temp table pins its client";
  ASSERT_TRUE(watcher->Exec("SELECT 1").ok);
  ASSERT_TRUE(owner->Exec("DISCARD TEMP").ok);
  EXPECT_EQ(StatEventually(*watcher, "pinned_clients", "0"), "0");
  r = watcher->Exec("SHOW domicile.stats");
  EXPECT_GE(std::stoi(ValueOf(r, "transactions")), before + 1);
  EXPECT_GE(std::stoi(ValueOf(r, "server_connections")), 1);

  r = watcher->Exec("SHOW domicile.pools");
  ASSERT_TRUE(r.ok) << r.Describe();
  bool found = false;
  for (const auto& row : r.rows) {
    ASSERT_EQ(row.size(), 5u);
    if (row[0] != "br-1") continue;
    found = true;
    EXPECT_GE(std::stoi(row[1].value_or("0")) + std::stoi(row[2].value_or("0")), 1);
    EXPECT_EQ(row[4], "no");
  }
  EXPECT_TRUE(found) << "no row for br-1";

  r = watcher->Exec("SET domicile.stats = 1");
  EXPECT_EQ(r.sqlstate, "55P02") << r.Describe();
}

}  // namespace
}  // namespace domicile::testing
