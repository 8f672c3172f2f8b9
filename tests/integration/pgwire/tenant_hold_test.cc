// A move's hold through the router: the catalog marks a tenant held, its new transactions wait
// (others flow on), and go where the catalog says once the hold ends; past the bound, 55006.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Longer than the router's catalog_ttl_ms (20 by default), with room for a busy machine.
constexpr milliseconds kSeen{300};

class TenantHoldTest : public PgwireTest {
 protected:
  // The hold bound is far above anything a test waits, so only a bug can reach it.
  static void SetUpTestSuite() { StartRouter("[routing]\nhold_timeout_ms = 60000\n"); }
  static void TearDownTestSuite() { StopRouter(); }

  // Commits `ops` to the router's catalog the way a mover does: through the store, CAS.
  static void CommitToCatalog(std::vector<CatalogOp> ops) {
    ChangeRouterCatalog([&](const ShardMap&) {
      return CatalogChange{std::move(ops), "tenant hold test"};
    });
  }
  static void SetState(const std::string& tenant, TenantState state) {
    CommitToCatalog({SetTenantState{tenant, state}});
  }
  // The flip of a move: `tenant` lives on `shard` (allowed there too), active.
  static void Flip(const std::string& tenant, const std::string& shard,
                   std::vector<std::string> allowed) {
    Tenant t;
    t.id = tenant;
    t.allowed = std::move(allowed);
    t.home_shard = shard;
    t.state = TenantState::kActive;
    CommitToCatalog({PutTenant{t}});
  }
  static std::string CountOn(const std::string& shard, const std::string& tenant) {
    const ShardDb& s = cluster().shard(shard);
    return s.server->Scalar("SELECT count(*) FROM notes WHERE tenant_id = '" + tenant + "'",
                            s.db);
  }
  static std::vector<std::string> PsqlArgv(const std::string& tenant, const std::string& sql) {
    return {"psql", ConninfoFor(tenant), "-X", "-At", "-v", "ON_ERROR_STOP=1",
            "-v",   "VERBOSITY=verbose", "-c", sql};
  }
  static ProcessOptions CleanEnv() { return ProcessOptions{{"PGOPTIONS", "PGPASSWORD"}, "", ""}; }
};

TEST_F(TenantHoldTest, HeldTenantWaitsOthersFlowAndTheFlipSendsItToTheNewShard) {
  SetState("e1", TenantState::kHeld);
  std::this_thread::sleep_for(kSeen);

  // Simple protocol (psql) and extended protocol (libpq parameters), both for e1.
  ChildProcess held_psql(
      PsqlArgv("e1", "INSERT INTO notes VALUES ('e1', 1, 'psql'); SELECT current_database()"),
      CleanEnv());
  std::future<PgResult> held_params = std::async(std::launch::async, [] {
    PgClient c(ConninfoFor("e1"));
    c.ExecParams("INSERT INTO notes VALUES ($1, 2, 'libpq')", {"e1"});
    return c.ExecParams("SELECT current_database() || ':' || count(*) FROM notes "
                        "WHERE tenant_id = $1",
                        {"e1"});
  });

  // Another tenant of the same shard is not held.
  auto start = Clock::now();
  ProcessResult other = Psql({"-c", "/* domicile.tenant=e2 */ SELECT current_database()"});
  EXPECT_EQ(other.exit_code, 0) << other.Describe();
  EXPECT_EQ(other.out, "eu1\n");
  EXPECT_LT(Clock::now() - start, milliseconds(5000));

  std::this_thread::sleep_for(kSeen);
  EXPECT_TRUE(held_psql.Running()) << held_psql.Stdout() << held_psql.Stderr();
  EXPECT_EQ(held_params.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(CountOn("eu-1", "e1"), "0");  // nothing of e1 ran while held

  Flip("e1", "br-1", {"BR", "EU"});
  ProcessResult done = held_psql.Wait(std::chrono::seconds(30));
  EXPECT_EQ(done.exit_code, 0) << done.Describe() << router().Log();
  EXPECT_EQ(done.out, "INSERT 0 1\nbr1\n");
  ASSERT_EQ(held_params.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  PgResult r = held_params.get();
  EXPECT_TRUE(r.ok) << r.Describe();
  EXPECT_EQ(r.Scalar().substr(0, 4), "br1:") << r.Scalar();
  // Asked directly: both rows are on the new shard, none on the old one.
  EXPECT_EQ(CountOn("br-1", "e1"), "2");
  EXPECT_EQ(CountOn("eu-1", "e1"), "0");
}

TEST_F(TenantHoldTest, TransactionOpenWhenTheHoldStartsRunsToItsCommit) {
  PgClient c(ConninfoFor("e2"));
  ASSERT_TRUE(c.connected()) << c.error();
  ASSERT_TRUE(c.Exec("BEGIN").ok);
  PgResult r = c.Exec("INSERT INTO notes VALUES ('e2', 1, 'before the hold')");
  ASSERT_TRUE(r.ok) << r.Describe();

  SetState("e2", TenantState::kHeld);
  std::this_thread::sleep_for(kSeen);
  auto start = Clock::now();
  r = c.ExecParams("INSERT INTO notes VALUES ($1, 2, 'during the hold')", {"e2"});
  EXPECT_TRUE(r.ok) << r.Describe();
  r = c.Exec("COMMIT");
  EXPECT_TRUE(r.ok) << r.Describe();
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
  EXPECT_EQ(CountOn("eu-1", "e2"), "2");

  // The connection's next transaction is a new one: held, then released where it was.
  std::future<PgResult> next = std::async(std::launch::async, [&c] {
    return c.Exec("SELECT count(*) FROM notes WHERE tenant_id = 'e2'");
  });
  EXPECT_EQ(next.wait_for(kSeen), std::future_status::timeout);
  SetState("e2", TenantState::kMoving);  // the cutover was aborted: ReleaseHoldChange
  ASSERT_EQ(next.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  r = next.get();
  EXPECT_EQ(r.Scalar(), "2") << r.Describe();
  SetState("e2", TenantState::kActive);
}

class TenantHoldTimeoutTest : public TenantHoldTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[routing]\nhold_timeout_ms = 300\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(TenantHoldTimeoutTest, HeldPastTheBoundIsRefusedWith55006AndTheSessionGoesOn) {
  SetState("u1", TenantState::kHeld);
  std::this_thread::sleep_for(kSeen);

  auto start = Clock::now();
  ProcessResult refused = Psql({"-c", "/* domicile.tenant=u1 */ SELECT 1"});
  EXPECT_NE(refused.exit_code, 0) << refused.Describe();
  EXPECT_NE(refused.err.find("55006: tenant 'u1' is held for a move; gave up after 300 ms"),
            std::string::npos)
      << refused.err;
  EXPECT_GE(Clock::now() - start, milliseconds(300));

  PgClient c(ConninfoFor("u1"));
  ASSERT_TRUE(c.connected()) << c.error();
  PgResult r = c.ExecParams("SELECT count(*) FROM notes WHERE tenant_id = $1", {"u1"});
  EXPECT_EQ(r.sqlstate, "55006") << r.Describe();
  // BEGIN waits for the transaction's first statement, which is refused; inside a
  // transaction block the refusal aborts the transaction, as any routing error does.
  ASSERT_TRUE(c.Exec("BEGIN").ok);
  EXPECT_EQ(c.Exec("SELECT 1").sqlstate, "55006");
  EXPECT_EQ(c.Exec("SELECT 1").sqlstate, "25P02");
  EXPECT_TRUE(c.Exec("ROLLBACK").ok);
  PgClient tenantless(router().Conninfo());
  ASSERT_TRUE(tenantless.Exec("BEGIN").ok);  // answered by the router: no tenant yet
  EXPECT_EQ(tenantless.Exec("/* domicile.tenant=u1 */ SELECT 1").sqlstate, "55006");
  EXPECT_EQ(tenantless.Exec("SELECT 1").sqlstate, "25P02");
  EXPECT_TRUE(tenantless.Exec("ROLLBACK").ok);

  // The same session routes again once the hold is gone.
  SetState("u1", TenantState::kActive);
  std::this_thread::sleep_for(kSeen);
  r = c.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "us1") << r.Describe();
}

class TenantHoldSessionModeTest : public TenantHoldTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmode = \"session\"\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

// Session mode keeps the server connection between transactions: after the flip, a session
// with nothing living on that connection leaves it for the tenant's new shard; one that
// made a temp table there stays pinned to it and is told so.
TEST_F(TenantHoldSessionModeTest, KeptConnectionFollowsTheFlipUnlessPinned) {
  PgClient kept(ConninfoFor("b2"));
  PgClient pinned(ConninfoFor("b2"));
  ASSERT_TRUE(kept.connected() && pinned.connected()) << kept.error() << pinned.error();
  EXPECT_EQ(kept.Exec("SELECT current_database()").Scalar(), "br1");
  ASSERT_TRUE(pinned.Exec("CREATE TEMP TABLE scratch (x int)").ok);

  SetState("b2", TenantState::kHeld);
  std::this_thread::sleep_for(kSeen);
  std::future<PgResult> next = std::async(std::launch::async, [&kept] {
    return kept.Exec("SELECT current_database()");
  });
  EXPECT_EQ(next.wait_for(kSeen), std::future_status::timeout);
  Flip("b2", "eu-1", {"BR", "EU"});
  ASSERT_EQ(next.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  PgResult r = next.get();
  EXPECT_EQ(r.Scalar(), "eu1") << r.Describe();

  r = pinned.Exec("SELECT count(*) FROM scratch");
  EXPECT_EQ(r.sqlstate, "0A000") << r.Describe();
  EXPECT_NE(r.message.find("pinned to shard br-1"), std::string::npos) << r.message;
}

// A router whose pool holds one connection per shard, so a client can be made to queue.
class TenantMoveQueueTest : public TenantHoldTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter(
        "[pool]\nmax_size = 1\nacquire_timeout_ms = 4000\n"
        "[routing]\nhold_timeout_ms = 60000\n");
  }
  static void TearDownTestSuite() { StopRouter(); }

  // A new client of `tenant` running `sql` (simple protocol) on a thread of its own; the
  // result is its last statement's.
  static std::future<PgResult> RunAsync(const std::string& tenant, const std::string& sql) {
    return std::async(std::launch::async, [tenant, sql] {
      PgClient client(ConninfoFor(tenant));
      return client.Exec(sql);
    });
  }
  // The same through the extended protocol: `sql` with $1 bound to the tenant.
  static std::future<PgResult> RunParamsAsync(const std::string& tenant, const std::string& sql) {
    return std::async(std::launch::async, [tenant, sql] {
      PgClient client(ConninfoFor(tenant));
      return client.ExecParams(sql, {tenant});
    });
  }
  // A client of e2 holding eu-1's one server connection in an open transaction.
  static std::unique_ptr<PgClient> HoldEu1() {
    auto holder = std::make_unique<PgClient>(ConninfoFor("e2"));
    EXPECT_TRUE(holder->Exec("BEGIN").ok);
    EXPECT_EQ(holder->Exec("SELECT current_database()").Scalar(), "eu1");
    return holder;
  }
};

// A move's flip while a client of the tenant queues for its old shard's connection: once that
// connection frees up, the client's statement runs on the new shard (its row lands there),
// not on the old one with the catalog it was routed with before the wait.
TEST_F(TenantMoveQueueTest, AClientQueuedAcrossAFlipRunsOnTheNewShard) {
  auto holder = HoldEu1();
  auto queued = RunAsync("e1",
                         "INSERT INTO notes VALUES ('e1', 9501, 'queued'); "
                         "SELECT current_database()");
  auto queued_extended = RunParamsAsync(
      "e1", "INSERT INTO notes VALUES ($1, 9502, 'queued') RETURNING current_database()");
  EXPECT_EQ(queued.wait_for(kSeen), std::future_status::timeout);  // they queue for eu-1
  Flip("e1", "br-1", {"BR", "EU"});
  std::this_thread::sleep_for(kSeen);
  ASSERT_TRUE(holder->Exec("COMMIT").ok);

  for (auto* waited : {&queued, &queued_extended}) {
    ASSERT_EQ(waited->wait_for(std::chrono::seconds(30)), std::future_status::ready);
    PgResult r = waited->get();
    EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  }
  EXPECT_EQ(CountOn("br-1", "e1"), "2");
  EXPECT_EQ(CountOn("eu-1", "e1"), "0");
}

// A hold that starts while a client of the tenant queues: the client does not run on the
// connection it was handed (the move may be copying the tenant's last rows), gives it back to
// the shard's other tenants, and runs where the flip sends it.
TEST_F(TenantMoveQueueTest, AClientQueuedWhenAHoldStartsWaitsItOutWithoutTheConnection) {
  auto holder = HoldEu1();
  auto queued = RunAsync("101",
                         "INSERT INTO notes VALUES ('101', 9502, 'queued'); "
                         "SELECT current_database()");
  EXPECT_EQ(queued.wait_for(kSeen), std::future_status::timeout);
  SetState("101", TenantState::kHeld);
  std::this_thread::sleep_for(kSeen);
  ASSERT_TRUE(holder->Exec("COMMIT").ok);

  EXPECT_EQ(queued.wait_for(kSeen), std::future_status::timeout);  // held
  PgResult other = holder->Exec("SELECT current_database()");      // eu-1's connection is free
  EXPECT_EQ(other.Scalar(), "eu1") << other.Describe();
  EXPECT_EQ(CountOn("eu-1", "101"), "0");

  Flip("101", "br-1", {"BR", "EU"});
  ASSERT_EQ(queued.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  PgResult r = queued.get();
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  EXPECT_EQ(CountOn("br-1", "101"), "1");
  EXPECT_EQ(CountOn("eu-1", "101"), "0");
}

}  // namespace
}  // namespace domicile::testing
