// `domicile tenant move` end to end: two real PostgreSQL shards, the router, writers that
// keep writing through it while the move runs; rows checked on each shard directly.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "integration/move/move_cluster.h"
#include "support/pg_client.h"

namespace domicile::testing {
namespace {

class TenantMoveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      cluster_ = new MoveCluster();
      cluster_->Seed("eu-a", "m1", 3000);
      cluster_->Seed("eu-a", "m2", 500);
      cluster_->Seed("eu-a", "m3", 200);
      cluster_->Seed("eu-b", "s1", 500);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr) << setup_error_; }

  MoveCluster& cluster() { return *cluster_; }

  // After m2 moved from eu-a to eu-b: `direct`, a REPEATABLE READ transaction on eu-a whose
  // snapshot predates the fence, must fail to write m2 row `id` there (40001) and leave no
  // row; then the move is undone for the other tests.
  void ExpectStaleWriteRefusedThenUndo(PgClient& direct, int id) {
    const std::string row = std::to_string(id);
    PgResult stale = direct.Exec("INSERT INTO accounts VALUES ('m2', " + row + ", 1, 'stale')");
    EXPECT_FALSE(stale.ok);
    EXPECT_EQ(stale.sqlstate, "40001") << stale.Describe();
    direct.Exec("ROLLBACK");
    EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM accounts WHERE id = " + row), "0");
    ProcessResult undone = cluster().Domicile({"tenant", "move", "m2", "--undo"});
    ASSERT_EQ(undone.exit_code, 0) << undone.Describe();
  }

  // Starts writers for `tenants` through the router.
  std::vector<std::unique_ptr<TenantWriter>> StartWriters(const std::vector<std::string>& tenants) {
    std::vector<std::unique_ptr<TenantWriter>> writers;
    for (const auto& t : tenants) {
      writers.push_back(std::make_unique<TenantWriter>(cluster().RouterConninfo(t), t, next_id_));
      next_id_ += 1000000;
      writers.back()->Start();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // load before the move
    return writers;
  }

  // Every acknowledged write of the writer's tenant is on `home` exactly once; nothing of it
  // is anywhere else among `others`.
  void ExpectExactlyOn(const TenantWriter& writer, const std::string& tenant, const std::string& home,
                       const std::vector<std::string>& others) {
    EXPECT_EQ(writer.ambiguous(), 0) << writer.last_error();
    EXPECT_EQ(AccountsOn(cluster(), home, tenant), writer.accounts()) << tenant << " on " << home;
    EXPECT_EQ(EventsOn(cluster(), home, tenant), writer.events()) << tenant << " on " << home;
    for (const auto& other : others) {
      EXPECT_EQ(AccountsOn(cluster(), other, tenant).size(), 0u) << tenant << " left on " << other;
    }
  }

  static MoveCluster* cluster_;
  static std::string setup_error_;
  static int next_id_;
};

MoveCluster* TenantMoveTest::cluster_ = nullptr;
std::string TenantMoveTest::setup_error_;
int TenantMoveTest::next_id_ = 1000000;

TEST_F(TenantMoveTest, MovesUnderLoadFencesTheSourceAndUndoes) {
  auto writers = StartWriters({"m1", "m2", "s1"});
  ProcessResult moved =
      cluster().Domicile({"tenant", "move", "m1", "--to", "eu-b", "--grace-ms", "600000"});
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  EXPECT_NE(moved.err.find("held"), std::string::npos) << moved.Describe();
  EXPECT_EQ(cluster().HomeOf("m1"), "eu-b");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // writes land on the target
  for (auto& w : writers) w->Stop();

  ExpectExactlyOn(*writers[0], "m1", "eu-b", {});
  // The source keeps m1's rows for the grace period, fenced: a direct write is refused.
  PgRows fenced = cluster().Rows("eu-a", "SELECT count(*) FROM domicile_fence WHERE tenant = 'm1'");
  EXPECT_EQ(*fenced[0][0], "1");
  EXPECT_THROW(cluster().Rows("eu-a", "INSERT INTO accounts VALUES ('m1', -1, 0, 'stale')"),
               std::runtime_error);
  EXPECT_THROW(cluster().Rows("eu-a", "UPDATE accounts SET balance = 0 WHERE tenant_id = 'm1'"),
               std::runtime_error);
  // Other tenants saw no error at all, and m2 still writes on the fenced source.
  EXPECT_EQ(writers[1]->errors(), 0) << writers[1]->last_error();
  EXPECT_EQ(writers[2]->errors(), 0) << writers[2]->last_error();
  ExpectExactlyOn(*writers[1], "m2", "eu-a", {"eu-b"});
  ExpectExactlyOn(*writers[2], "s1", "eu-b", {"eu-a"});
  EXPECT_GT(writers[0]->acknowledged(), 50);
  EXPECT_GT(writers[1]->acknowledged(), 50);

  ProcessResult listed = cluster().Domicile({"tenant", "moves"});
  EXPECT_NE(listed.out.find("cleaning-up"), std::string::npos) << listed.Describe();

  // Undo within the grace period, under load again: m1 goes back with its new writes.
  auto again = StartWriters({"m1", "m2"});
  ProcessResult undone = cluster().Domicile({"tenant", "move", "m1", "--undo"});
  ASSERT_EQ(undone.exit_code, 0) << undone.Describe();
  EXPECT_EQ(cluster().HomeOf("m1"), "eu-a");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (auto& w : again) w->Stop();
  ExpectExactlyOn(*again[0], "m1", "eu-a", {"eu-b"});
  EXPECT_EQ(again[1]->errors(), 0) << again[1]->last_error();
  EXPECT_EQ(cluster().Scalar("eu-b", "SELECT count(*) FROM pg_replication_slots"), "0");
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM pg_replication_slots"), "0");
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM domicile_fence WHERE fenced"), "0");
}

TEST_F(TenantMoveTest, GraceZeroPurgesTheSourceAndLeavesNothingBehind) {
  auto writers = StartWriters({"m2", "m3"});
  ProcessResult moved =
      cluster().Domicile({"tenant", "move", "m3", "--to", "eu-b", "--grace-ms", "0"});
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  EXPECT_NE(moved.out.find("done"), std::string::npos) << moved.Describe();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (auto& w : writers) w->Stop();
  ExpectExactlyOn(*writers[1], "m3", "eu-b", {"eu-a"});
  EXPECT_EQ(writers[0]->errors(), 0) << writers[0]->last_error();
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM pg_replication_slots"), "0");
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM pg_publication"), "0");
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM domicile_fence WHERE tenant = 'm3'"), "0");
  // The write checks go with the shard's last fence row (rows of rolled-back moves stay,
  // unfenced, when the suite shares one cluster).
  if (cluster().Scalar("eu-a", "SELECT count(*) FROM domicile_fence") == "0") {
    EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM pg_trigger WHERE tgname = 'domicile_fence'"),
              "0");
  }
  ProcessResult listed = cluster().Domicile({"tenant", "moves", "--json"});
  EXPECT_NE(listed.out.find("\"done\""), std::string::npos) << listed.Describe();
}

TEST_F(TenantMoveTest, RefusesWhatItMustNot) {
  ProcessResult abroad = cluster().Domicile({"tenant", "move", "m2", "--to", "us-1"});
  EXPECT_EQ(abroad.exit_code, 3) << abroad.Describe();
  EXPECT_NE(abroad.err.find("R2"), std::string::npos) << abroad.Describe();
  // The rows would pass through a process running in the US: R3.
  ProcessResult relay = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b", "--relay", "US"});
  EXPECT_EQ(relay.exit_code, 3) << relay.Describe();
  EXPECT_NE(relay.err.find("R3"), std::string::npos) << relay.Describe();
  ProcessResult unknown = cluster().Domicile({"tenant", "move", "m2", "--to", "nowhere"});
  EXPECT_EQ(unknown.exit_code, 4) << unknown.Describe();
  ProcessResult missing = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-c"});
  EXPECT_EQ(missing.exit_code, 2) << missing.Describe();
  EXPECT_NE(missing.err.find("events"), std::string::npos) << missing.Describe();
  ProcessResult down = cluster().Domicile({"tenant", "move", "z1", "--to", "eu-b"});
  EXPECT_EQ(down.exit_code, 5) << down.Describe();
  ProcessResult no_target = cluster().Domicile({"tenant", "move", "m2"});
  EXPECT_EQ(no_target.exit_code, 2) << no_target.Describe();
  // A second move of a tenant whose first move is unfinished (killed while copying).
  ProcessResult crashed = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b"},
                                             {"DOMICILE_MOVE_CRASH_AT=copy"});
  EXPECT_EQ(crashed.signal, 9) << crashed.Describe();
  ProcessResult second = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b"});
  EXPECT_EQ(second.exit_code, 6) << second.Describe();
  EXPECT_NE(second.err.find("unfinished move"), std::string::npos) << second.Describe();
  ProcessResult undone = cluster().Domicile({"tenant", "move", "m2", "--undo"});
  EXPECT_EQ(undone.exit_code, 0) << undone.Describe();
  EXPECT_EQ(cluster().HomeOf("m2"), "eu-a");
  EXPECT_EQ(AccountsOn(cluster(), "eu-b", "m2").size(), 0u);
  // Nothing changed for the refused ones.
  EXPECT_EQ(cluster().HomeOf("z1"), "eu-down");
}

TEST_F(TenantMoveTest, CreateSchemaMakesTheMissingTablesOnTheTarget) {
  // eu-c has accounts but no events table: refused without --create-schema (see above; this
  // test runs after that one when the whole suite shares one cluster).
  const std::string from = cluster().HomeOf("m3");
  ProcessResult moved = cluster().Domicile(
      {"tenant", "move", "m3", "--to", "eu-c", "--create-schema", "--grace-ms", "0"});
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  EXPECT_EQ(cluster().HomeOf("m3"), "eu-c");
  EXPECT_NE(cluster().Scalar("eu-c", "SELECT count(*) FROM events WHERE tenant_id = 'm3'"), "0");
  EXPECT_EQ(cluster().Scalar(from, "SELECT count(*) FROM events WHERE tenant_id = 'm3'"), "0");
  ProcessResult back = cluster().Domicile({"tenant", "move", "m3", "--to", from, "--grace-ms", "0"});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
}

TEST_F(TenantMoveTest, VerificationMismatchFailsWithTheCatalogAtTheSource) {
  ProcessResult stopped = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b"},
                                             {"DOMICILE_MOVE_CRASH_AT=catching-up"});
  ASSERT_EQ(stopped.signal, 9) << stopped.Describe();
  // Somebody writes m2 on the target behind the move's back (after the copy).
  cluster().Rows("eu-b", "INSERT INTO accounts VALUES ('m2', -5, 0, 'not from the source')");
  ProcessResult resumed = cluster().Domicile({"tenant", "move", "m2", "--resume"});
  EXPECT_EQ(resumed.exit_code, 1) << resumed.Describe();
  EXPECT_NE(resumed.err.find("verification failed: table accounts"), std::string::npos)
      << resumed.Describe();
  EXPECT_EQ(cluster().HomeOf("m2"), "eu-a");
  ProcessResult listed = cluster().Domicile({"tenant", "moves"});
  EXPECT_NE(listed.out.find("failed"), std::string::npos) << listed.Describe();
  ProcessResult undone = cluster().Domicile({"tenant", "move", "m2", "--undo"});
  ASSERT_EQ(undone.exit_code, 0) << undone.Describe();
  EXPECT_EQ(AccountsOn(cluster(), "eu-b", "m2").size(), 0u);
  EXPECT_EQ(cluster().Scalar("eu-a", "SELECT count(*) FROM pg_replication_slots"), "0");
}

TEST_F(TenantMoveTest, InFlightTransactionPastTheBoundAbortsTheCutoverUntilItEnds) {
  // The move pauses after its first verification; meanwhile a direct client opens a write
  // of m2 on the source and keeps it open across the first cutover.
  PgClient direct(cluster().ServerOf("eu-a").Dsn(cluster().DbOf("eu-a")));
  ProcessResult resumed;
  std::thread mover([&] {
    resumed = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b", "--grace-ms", "0",
                                  "--inflight-wait-ms", "300"},
                                 {"DOMICILE_MOVE_PAUSE_AT=verified:3000"});
  });
  // Wait until the move is paused right after its verification.
  for (int i = 0; i < 200; ++i) {
    ProcessResult listed = cluster().Domicile({"tenant", "moves", "--json"});
    const auto moves = nlohmann::json::parse(listed.out, nullptr, false);
    bool paused = false;
    for (const auto& m : moves.is_array() ? moves : nlohmann::json::array()) {
      if (m.value("tenant", "") != "m2" || m.value("state", "") != "verifying") continue;
      paused = !m["tables"].empty();
      for (const auto& t : m["tables"]) paused = paused && t.value("verified", false);
    }
    if (paused) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(direct.Exec("BEGIN").ok);
  EXPECT_TRUE(direct.Exec("INSERT INTO accounts VALUES ('m2', 777777, 4242, 'in flight')").ok);
  // Open until well past the pause (3 s) and the first cutover's bound (300 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  EXPECT_TRUE(direct.Exec("COMMIT").ok);
  mover.join();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_NE(resumed.err.find("cutover aborted"), std::string::npos) << resumed.Describe();
  EXPECT_EQ(cluster().HomeOf("m2"), "eu-b");
  // The write that was in flight committed on the source before the fence: it moved too.
  EXPECT_EQ(cluster().Scalar("eu-b", "SELECT balance FROM accounts WHERE tenant_id = 'm2' AND id = 777777"),
            "4242");
  // Move it back for the other tests.
  ProcessResult back = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-a", "--grace-ms", "0"});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
}

TEST_F(TenantMoveTest, RepeatableReadWriterOlderThanTheFenceCannotWriteTheSource) {
  // A REPEATABLE READ transaction takes its snapshot while the move is paused before its
  // cutover, then writes m2 on the source after the flip: its snapshot predates the fence,
  // yet the write must fail (40001), or it would be lost on a shard the catalog left.
  PgClient direct(cluster().ServerOf("eu-a").Dsn(cluster().DbOf("eu-a")));
  ASSERT_EQ(cluster().HomeOf("m2"), "eu-a");
  ProcessResult moved;
  std::thread mover([&] {
    moved = cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b", "--grace-ms", "600000"},
                               {"DOMICILE_MOVE_PAUSE_AT=verified:1500"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(direct.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok);
  ASSERT_TRUE(direct.Exec("SELECT count(*) FROM accounts").ok);  // the snapshot
  mover.join();
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  ASSERT_EQ(cluster().HomeOf("m2"), "eu-b");
  ExpectStaleWriteRefusedThenUndo(direct, 888888);
}

TEST_F(TenantMoveTest, RepeatableReadSnapshotOlderThanTheWholeMoveCannotWriteTheSource) {
  // The snapshot predates the move itself, so not even the fence row prepared before the copy
  // is in it: the check must still refuse the write after the flip (40001).
  PgClient direct(cluster().ServerOf("eu-a").Dsn(cluster().DbOf("eu-a")));
  ASSERT_EQ(cluster().HomeOf("m2"), "eu-a");
  ASSERT_TRUE(direct.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok);
  ASSERT_TRUE(direct.Exec("SELECT count(*) FROM accounts").ok);  // the snapshot
  ProcessResult moved =
      cluster().Domicile({"tenant", "move", "m2", "--to", "eu-b", "--grace-ms", "600000"});
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  ASSERT_EQ(cluster().HomeOf("m2"), "eu-b");
  ExpectStaleWriteRefusedThenUndo(direct, 888889);
}

TEST_F(TenantMoveTest, DetachPrintsTheMoveIdAndTheMoveEndsInTheBackground) {
  ProcessResult started = cluster().Domicile(
      {"tenant", "move", "m3", "--to", cluster().HomeOf("m3") == "eu-a" ? "eu-b" : "eu-a",
       "--grace-ms", "0", "--detach"});
  ASSERT_EQ(started.exit_code, 0) << started.Describe();
  const std::string id = started.out.substr(0, started.out.find('\n'));
  ASSERT_FALSE(id.empty());
  std::string state;
  for (int i = 0; i < 300 && state.find("\"done\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ProcessResult listed = cluster().Domicile({"tenant", "moves", "--json"});
    const size_t at = listed.out.find("\"id\": \"" + id + "\"");
    state = at == std::string::npos ? "" : listed.out.substr(at, 600);
  }
  EXPECT_NE(state.find("\"done\""), std::string::npos) << state;
  std::ifstream log(cluster().DataDir() + "/moves/" + id + ".log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("done"), std::string::npos) << text;
}

// kill -9 at every step boundary and inside copy and catch-up; a resumed run completes and
// the same checks hold. m1 moves back and forth between eu-a and eu-b.
class MoveCrashTest : public TenantMoveTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(MoveCrashTest, ResumesAfterKillNineAndLosesNothing) {
  const std::string from = cluster().HomeOf("m1");
  ASSERT_TRUE(from == "eu-a" || from == "eu-b") << from;
  const std::string to = from == "eu-a" ? "eu-b" : "eu-a";
  auto writers = StartWriters({"m1", "m2"});
  ProcessResult crashed =
      cluster().Domicile({"tenant", "move", "m1", "--to", to, "--grace-ms", "0"},
                         {std::string("DOMICILE_MOVE_CRASH_AT=") + GetParam()});
  EXPECT_EQ(crashed.signal, 9) << crashed.Describe();
  // The catalog is never ahead of the data: wherever it points, the rows are complete there
  // (checked below once the writers stop). Resume:
  ProcessResult resumed = cluster().Domicile({"tenant", "move", "m1", "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_EQ(cluster().HomeOf("m1"), to);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (auto& w : writers) w->Stop();
  ExpectExactlyOn(*writers[0], "m1", to, {from});
  EXPECT_EQ(writers[1]->errors(), 0) << writers[1]->last_error();
  ExpectExactlyOn(*writers[1], "m2", "eu-a", {"eu-b"});
  EXPECT_EQ(cluster().Scalar(from, "SELECT count(*) FROM pg_replication_slots"), "0");
}

INSTANTIATE_TEST_SUITE_P(EveryStep, MoveCrashTest,
                         ::testing::Values("copy", "copying", "copied", "catching-up", "verified",
                                           "held", "fenced", "drained", "flip-committed",
                                           "stream-dropped", "purged"));

}  // namespace
}  // namespace domicile::testing
