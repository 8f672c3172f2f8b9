// Affinity in transaction pooling: a client keeps the server connection of its last
// transaction while nobody else needs one, and gives it up at once when somebody does.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string BackendPid(PgClient& client) {
  PgResult r = client.Exec("SELECT pg_backend_pid()");
  EXPECT_TRUE(r.ok) << r.Describe();
  return r.Scalar();
}

// Whether the backend `pid` still runs on shard `shard`, asked of the shard directly.
bool BackendAlive(const std::string& shard, const std::string& pid) {
  auto counts = PgwireCluster::Get().ScalarOnEachShard(
      "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid);
  return counts[shard] == "1";
}

// Whether the backend `pid` on `shard` is gone within `timeout`, asked every 50 ms.
bool BackendClosesWithin(const std::string& shard, const std::string& pid,
                         std::chrono::milliseconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (!BackendAlive(shard, pid)) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return !BackendAlive(shard, pid);
}

// SHOW domicile.pools' (idle, active) for `shard`.
std::pair<int, int> PoolCounts(PgClient& client, const std::string& shard) {
  PgResult r = client.Exec("SHOW domicile.pools");
  EXPECT_TRUE(r.ok) << r.Describe();
  for (const auto& row : r.rows) {
    if (row[0] == shard) return {std::stoi(row[1].value_or("0")), std::stoi(row[2].value_or("0"))};
  }
  return {-1, -1};
}

class PgwireAffinityTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 1\nacquire_timeout_ms = 3000\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireAffinityTest, AClientKeepsItsConnectionAndAFullPoolTakesItWhenIdle) {
  PgClient a(ConninfoFor("e1"));
  PgClient b(ConninfoFor("e2"));  // the same shard, eu-1: a pool of one
  ASSERT_TRUE(a.connected() && b.connected());
  const std::string pid = BackendPid(a);
  EXPECT_EQ(BackendPid(a), pid);
  // A's connection is parked between its transactions, and counts as idle.
  EXPECT_EQ(PoolCounts(a, "eu-1"), std::make_pair(1, 0));
  // B needs one and the pool is full: it takes A's at once, not after acquire_timeout.
  auto start = Clock::now();
  EXPECT_EQ(BackendPid(b), pid);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  // And A takes it back for its next transaction, its session settings re-applied there.
  ASSERT_TRUE(a.Exec("SET application_name = 'affinity-a'").ok);
  EXPECT_EQ(BackendPid(b), pid);
  PgResult r = a.Exec("SHOW application_name");
  EXPECT_EQ(r.Scalar(), "affinity-a") << r.Describe();
  r = b.Exec("SHOW application_name");
  EXPECT_NE(r.Scalar(), "affinity-a") << r.Describe();
}

TEST_F(PgwireAffinityTest, ACommitHandsTheConnectionToAQueuedClient) {
  PgClient holder(ConninfoFor("e1"));
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(holder.Exec("BEGIN").ok);
  ASSERT_TRUE(holder.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e1', 9301)").ok);
  auto waited = std::async(std::launch::async, [&] {
    PgClient waiter(ConninfoFor("e2"));
    auto start = Clock::now();
    PgResult r = waiter.Exec("SELECT count(*) FROM notes WHERE id = 9301");
    return std::make_pair(r, Clock::now() - start);
  });
  std::this_thread::sleep_for(milliseconds(300));  // the waiter queues behind the transaction
  ASSERT_TRUE(holder.Exec("COMMIT").ok);
  auto [r, took] = waited.get();
  EXPECT_EQ(r.Scalar(), "1") << r.Describe();
  // Handed over when the holder's transaction ended, not found when the wait timed out.
  EXPECT_LT(took, milliseconds(2000));
  ASSERT_TRUE(holder.Exec("DELETE FROM notes WHERE id = 9301").ok);
}

class PgwireAffinityRecyclerTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nidle_timeout_ms = 300\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireAffinityRecyclerTest, AParkedConnectionIdleForIdleTimeoutIsClosed) {
  PgClient a(ConninfoFor("b1"));
  ASSERT_TRUE(a.connected());
  const std::string pid = BackendPid(a);
  ASSERT_TRUE(BackendAlive("br-1", pid));
  // idle_timeout is 300 ms and the recycler looks every second.
  EXPECT_TRUE(BackendClosesWithin("br-1", pid, std::chrono::seconds(5)))
      << "backend " << pid << " still open on br-1";
  // The client did not notice: its next transaction gets a new connection.
  const std::string next = BackendPid(a);
  EXPECT_FALSE(next.empty());
  EXPECT_NE(next, pid);
}

class PgwireAffinityLifetimeTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nserver_lifetime_ms = 500\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

// A client that keeps working still gets a fresh connection once its own outlived
// server_lifetime: the recycler retires it when it finds it parked.
TEST_F(PgwireAffinityLifetimeTest, AParkedConnectionPastItsLifetimeIsReplaced) {
  PgClient a(ConninfoFor("e1"));
  ASSERT_TRUE(a.connected());
  const std::string first = BackendPid(a);
  std::string now = first;
  for (auto deadline = Clock::now() + std::chrono::seconds(6);
       now == first && Clock::now() < deadline;) {
    std::this_thread::sleep_for(milliseconds(50));
    now = BackendPid(a);
  }
  EXPECT_NE(now, first) << "still on backend " << first << " after 6 s";
  EXPECT_FALSE(BackendAlive("eu-1", first));
}

// A client that sends its next query before reading the reply (pipelining) gets the reply
// at once, also when that next query has to wait for a connection. With the simple and the
// extended protocol (two Parse/Bind/Execute/Sync batches in one write, as libpq's pipeline
// mode sends them).
class PgwirePipelineTest : public PgwireAffinityTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(PgwirePipelineTest, AReplyGoesOutBeforeAPipelinedQueryWaitsForAConnection) {
  PgClient holder(ConninfoFor("u1"));  // us-1's only connection, kept by an open transaction
  ASSERT_TRUE(holder.Exec("BEGIN").ok);
  ASSERT_TRUE(holder.Exec("SELECT 1").ok);
  RawWire wire(router().port());
  ASSERT_TRUE(wire.connected());
  wire.Send(RawWire::Startup("app", "app"));
  ASSERT_FALSE(wire.ReadUntilErrorOrReady().has_value());
  auto start = Clock::now();
  if (GetParam() == "simple") {
    wire.Send(RawWire::Message('Q', std::string("/* domicile.tenant=e1 */ SELECT 1") + '\0') +
              RawWire::Message('Q', std::string("/* domicile.tenant=u1 */ SELECT 2") + '\0'));
  } else {
    // Parse, Bind, Execute, Sync for each; no parameters, text results.
    auto batch = [](const std::string& sql) {
      const std::string no_counts("\0\0", 2);
      return RawWire::Message('P', std::string(1, '\0') + sql + '\0' + no_counts) +
             RawWire::Message('B', std::string("\0\0", 2) + no_counts + no_counts + no_counts) +
             RawWire::Message('E', std::string("\0\0\0\0\0", 5)) + RawWire::Message('S', "");
    };
    wire.Send(batch("/* domicile.tenant=e1 */ SELECT 1") +
              batch("/* domicile.tenant=u1 */ SELECT 2"));
  }
  std::optional<RawMessage> m;
  while ((m = wire.Read()) && m->type != 'Z') ASSERT_NE(m->type, 'E') << m->Field('M');
  ASSERT_TRUE(m.has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(1500));  // not after acquire_timeout (3 s)
  // The second waits out acquire_timeout, then gets 53300.
  auto refused = wire.ReadUntilErrorOrReady();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->Field('C'), "53300") << refused->Field('M');
  EXPECT_TRUE(holder.Exec("COMMIT").ok);
}

INSTANTIATE_TEST_SUITE_P(Protocols, PgwirePipelineTest, ::testing::Values("simple", "extended"));

class PgwireAffinityWidePoolTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 4\n"); }
  static void TearDownTestSuite() { StopRouter(); }
};

// With room in the pool, clients taking turns each keep their own connection instead of
// passing one around (which, before affinity, was the most recently used idle one).
TEST_F(PgwireAffinityWidePoolTest, ClientsTakingTurnsKeepTheirOwnConnections) {
  PgClient a(ConninfoFor("e1"));
  PgClient b(ConninfoFor("e2"));
  ASSERT_TRUE(a.connected() && b.connected());
  const std::string pid_a = BackendPid(a);
  const std::string pid_b = BackendPid(b);
  EXPECT_NE(pid_a, pid_b);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(BackendPid(a), pid_a);
    EXPECT_EQ(BackendPid(b), pid_b);
  }
}

// A client whose transactions alternate between tenants on two shards keeps a connection
// parked on each.
TEST_F(PgwireAffinityWidePoolTest, AClientAlternatingBetweenShardsKeepsOneOnEach) {
  PgClient a(ConninfoFor("e1"));
  ASSERT_TRUE(a.connected());
  const std::string eu = BackendPid(a);
  ASSERT_TRUE(a.Exec("SET domicile.tenant = 'b1'").ok);
  const std::string br = BackendPid(a);
  // Clients that arrive meanwhile on eu-1 (and stay) do not get the connection A keeps there.
  std::vector<std::unique_ptr<PgClient>> others;
  for (int i = 0; i < 3; ++i) {
    others.push_back(std::make_unique<PgClient>(ConninfoFor("e2")));
    EXPECT_NE(BackendPid(*others.back()), eu) << "round " << i;
    ASSERT_TRUE(a.Exec("SET domicile.tenant = 'e1'").ok);
    PgResult r = a.Exec("SELECT current_database(), pg_backend_pid()");
    ASSERT_TRUE(r.ok) << r.Describe();
    EXPECT_EQ(r.rows[0][0], "eu1");
    EXPECT_EQ(r.rows[0][1], eu) << "round " << i;
    ASSERT_TRUE(a.Exec("SET domicile.tenant = 'b1'").ok);
    r = a.Exec("SELECT current_database(), pg_backend_pid()");
    ASSERT_TRUE(r.ok) << r.Describe();
    EXPECT_EQ(r.rows[0][0], "br1");
    EXPECT_EQ(r.rows[0][1], br) << "round " << i;
  }
  // Both parked: idle, not in use (earlier tests of the suite may have left idle ones too).
  for (const char* shard : {"eu-1", "br-1"}) {
    auto [idle, active] = PoolCounts(a, shard);
    EXPECT_GE(idle, 1) << shard;
    EXPECT_EQ(active, 0) << shard;
  }
}

class PgwireAffinityManyShardsTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 4\n"); }
  static void TearDownTestSuite() { StopRouter(); }

  // Adds shards eu-2 and eu-3 (eu-1's server and database under other ids, so other pools)
  // with tenants x2 and x3 on them, through the router's catalog as `catalog apply` does,
  // and waits until the router knows them.
  static void AddTwoShards() {
    ChangeRouterCatalog([](const ShardMap& map) {
      CatalogChange change;
      change.reason = "affinity test: five shards";
      const Shard* eu1 = map.FindShard("eu-1");
      if (eu1 == nullptr) {
        ADD_FAILURE() << "no eu-1 in the router's catalog";
        return change;
      }
      for (const char* id : {"2", "3"}) {
        Shard shard = *eu1;
        shard.id = std::string("eu-") + id;
        change.ops.push_back(PutShard{shard});
        change.ops.push_back(PutTenant{Tenant{std::string("x") + id, {"EU"}, shard.id}});
      }
      return change;
    });
    PgClient probe(ConninfoFor("e1"));
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!probe.Exec("SET domicile.tenant = 'x3'").ok && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_TRUE(probe.Exec("SET domicile.tenant = 'x3'").ok) << "the router never saw eu-3";
  }
};

// A session keeps at most four connections parked (one per shard); a fifth shard makes it give
// back the one parked longest ago, to its pool's idle list, where any client takes it.
TEST_F(PgwireAffinityManyShardsTest, AClientParksFourAtMostAndGivesBackTheOldest) {
  AddTwoShards();
  PgClient a(ConninfoFor("e1"));
  ASSERT_TRUE(a.connected());
  const std::string eu = BackendPid(a);
  ASSERT_TRUE(a.Exec("SET domicile.tenant = 'u1'").ok);
  const std::string us = BackendPid(a);
  for (const char* tenant : {"b1", "x2", "x3"}) {  // br-1, eu-2, eu-3: the fifth shard
    ASSERT_TRUE(a.Exec(std::string("SET domicile.tenant = '") + tenant + "'").ok);
    ASSERT_FALSE(BackendPid(a).empty());
  }
  // eu-1's connection is the pool's again: a new eu-1 client gets it.
  PgClient c(ConninfoFor("e2"));
  EXPECT_EQ(BackendPid(c), eu);
  // us-1's is still A's (parked second, so kept): a new us-1 client gets one of its own.
  PgClient d(ConninfoFor("301"));
  EXPECT_NE(BackendPid(d), us);
  EXPECT_TRUE(BackendAlive("us-1", us));
}

class PgwireReaddressTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter(""); }
  static void TearDownTestSuite() { StopRouter(); }

  // Gives shard `id` the address of shard `like` (another server and database), through the
  // router's catalog as an operator's `catalog apply` does: a failover to a new primary looks
  // like this to the router.
  static void Readdress(const std::string& id, const std::string& like) {
    ChangeRouterCatalog([&](const ShardMap& map) {
      const Shard* current = map.FindShard(id);
      const Shard* other = map.FindShard(like);
      if (current == nullptr || other == nullptr) {
        ADD_FAILURE() << "no " << id << " or " << like << " in the router's catalog";
        return CatalogChange{};
      }
      Shard shard = *current;
      shard.address = other->address;
      return CatalogChange{{PutShard{shard}}, "readdress test"};
    });
  }
};

// After a shard's address changes, its tenants' next transactions go to the new address, also
// for a client whose connection to the old one is parked between its transactions (affinity
// must not keep it there), and that connection is closed. A transaction running across the
// change finishes where it began.
TEST_F(PgwireReaddressTest, TransactionsFollowAChangedShardAddressAndOldConnectionsClose) {
  PgClient parked(ConninfoFor("e1"));
  PgClient busy(ConninfoFor("e2"));  // the same shard, eu-1 (server A, database eu1)
  ASSERT_TRUE(parked.connected() && busy.connected());
  const std::string parked_pid = BackendPid(parked);
  EXPECT_EQ(parked.Exec("SELECT current_database()").Scalar(), "eu1");
  ASSERT_TRUE(busy.Exec("BEGIN").ok);
  ASSERT_TRUE(busy.Exec("INSERT INTO notes (tenant_id, id) VALUES ('e2', 9401)").ok);

  Readdress("eu-1", "br-1");                       // now server B, database br1
  std::this_thread::sleep_for(milliseconds(300));  // past catalog_ttl_ms (20), with room

  PgResult r = parked.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  EXPECT_TRUE(BackendClosesWithin("eu-1", parked_pid, std::chrono::seconds(5)))
      << "backend " << parked_pid << " at the old address still open";

  // The transaction that was running across the change commits where it began...
  r = busy.Exec("COMMIT");
  EXPECT_TRUE(r.ok) << r.Describe();
  EXPECT_EQ(cluster().shard("eu-1").server->Scalar(
                "SELECT count(*) FROM notes WHERE tenant_id = 'e2' AND id = 9401", "eu1"),
            "1");
  // ...and the next ones of both clients go to the new address, transaction after transaction.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(busy.Exec("SELECT current_database()").Scalar(), "br1");
    EXPECT_EQ(parked.Exec("SELECT current_database()").Scalar(), "br1");
  }
}

// PgwireReaddressTest with a router whose pool holds one connection per shard.
class PgwireReaddressQueueTest : public PgwireReaddressTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 1\nacquire_timeout_ms = 4000\n"); }
};

// `SELECT current_database()` of a new client at `conninfo`, on a thread of its own, with how
// long it took.
std::future<std::pair<PgResult, Clock::duration>> CurrentDatabaseAsync(std::string conninfo) {
  return std::async(std::launch::async, [conninfo] {
    PgClient client(conninfo);
    auto start = Clock::now();
    PgResult r = client.Exec("SELECT current_database()");
    return std::make_pair(r, Clock::now() - start);
  });
}

// A client queued for a full pool when its shard's address changes is served at the new
// address once the connection it waited for frees up: not handed that connection to the old
// address, and not left to wait out acquire_timeout.
TEST_F(PgwireReaddressQueueTest, AClientQueuedAcrossAnAddressChangeIsServedAtTheNewAddress) {
  PgClient holder(ConninfoFor("e1"));
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(holder.Exec("BEGIN").ok);
  ASSERT_EQ(holder.Exec("SELECT current_database()").Scalar(), "eu1");  // eu-1's one connection
  auto queued = CurrentDatabaseAsync(ConninfoFor("e2"));
  std::this_thread::sleep_for(milliseconds(300));  // it queues behind the transaction
  Readdress("eu-1", "br-1");
  std::this_thread::sleep_for(milliseconds(300));  // past catalog_ttl_ms
  ASSERT_TRUE(holder.Exec("COMMIT").ok);
  auto [r, took] = queued.get();
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  EXPECT_LT(took, milliseconds(3500));
}

// The same when another client of the shard meets the new address first (the pool for the
// old one is retired while a client queues in it): both are served there once the old
// connection is given back.
TEST_F(PgwireReaddressQueueTest, ClientsQueuedBeforeAndAfterAnAddressChangeAreServedThere) {
  PgClient holder(ConninfoFor("u1"));
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(holder.Exec("BEGIN").ok);
  ASSERT_EQ(holder.Exec("SELECT current_database()").Scalar(), "us1");
  auto before = CurrentDatabaseAsync(ConninfoFor("301"));
  std::this_thread::sleep_for(milliseconds(300));
  Readdress("us-1", "br-1");
  std::this_thread::sleep_for(milliseconds(300));
  auto after = CurrentDatabaseAsync(ConninfoFor("u1"));
  std::this_thread::sleep_for(milliseconds(300));  // it queues at the new address
  ASSERT_TRUE(holder.Exec("COMMIT").ok);
  for (auto* waited : {&before, &after}) {
    auto [r, took] = waited->get();
    EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
    EXPECT_LT(took, milliseconds(3500));
  }
}

// PgwireReaddressTest in session pooling, where a client keeps its server connection between
// transactions.
class PgwireReaddressSessionModeTest : public PgwireReaddressTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmode = \"session\"\n"); }
};

// After a failover a kept connection's client moves to the new address at its next
// transaction, and the old connection closes; a client with session state on its connection
// (a temporary table) stays with that state until it drops it.
TEST_F(PgwireReaddressSessionModeTest, KeptConnectionsFollowAChangedAddressUnlessTheyHoldState) {
  PgClient plain(ConninfoFor("e1"));
  PgClient pinned(ConninfoFor("e2"));
  ASSERT_TRUE(plain.connected() && pinned.connected());
  const std::string plain_pid = BackendPid(plain);
  ASSERT_EQ(BackendPid(plain), plain_pid);  // session pooling: the same connection
  ASSERT_TRUE(pinned.Exec("CREATE TEMP TABLE scratch (x int)").ok);
  ASSERT_TRUE(pinned.Exec("INSERT INTO scratch VALUES (7)").ok);

  Readdress("eu-1", "br-1");
  std::this_thread::sleep_for(milliseconds(300));  // past catalog_ttl_ms

  PgResult r = plain.Exec("SELECT current_database()");
  EXPECT_EQ(r.Scalar(), "br1") << r.Describe();
  EXPECT_TRUE(BackendClosesWithin("eu-1", plain_pid, std::chrono::seconds(5)))
      << "backend " << plain_pid << " at the old address still open";
  r = pinned.Exec("SELECT x FROM scratch");
  EXPECT_EQ(r.Scalar(), "7") << r.Describe();
  EXPECT_EQ(pinned.Exec("SELECT current_database()").Scalar(), "eu1");
  ASSERT_TRUE(pinned.Exec("DISCARD TEMP").ok);
  EXPECT_EQ(pinned.Exec("SELECT current_database()").Scalar(), "br1");
}

}  // namespace
}  // namespace domicile::testing
