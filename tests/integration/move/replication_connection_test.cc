// ReplicationConnection against a real PostgreSQL 15: slots with exported snapshots, the
// decoded pgoutput stream of a row-filtered publication, keepalives, and failures.
#include "adapters/move/postgres/replication_connection.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "support/loopback_socket.h"
#include "support/pg_client.h"
#include "support/pg_server.h"

namespace domicile::pgmove {
namespace {

using Clock = std::chrono::steady_clock;
using testing::PgClient;
using testing::PgResult;
using testing::PgServer;
using namespace std::chrono_literals;

std::string Render(const Tuple& tuple) {
  std::string out = "(";
  for (const TupleValue& v : tuple) {
    if (out.size() > 1) out += ',';
    switch (v.kind) {
      case TupleValue::Kind::kNull:
        out += "null";
        break;
      case TupleValue::Kind::kUnchangedToast:
        out += "toast";
        break;
      default:
        out += v.data.size() > 40 ? "<" + std::to_string(v.data.size()) + " bytes>" : v.data;
    }
  }
  return out + ")";
}

// One line per message, for comparing a whole stream at a glance.
std::string Describe(const PgOutputMessage& message) {
  struct {
    std::string operator()(const BeginMessage&) { return "BEGIN"; }
    std::string operator()(const CommitMessage&) { return "COMMIT"; }
    std::string operator()(const OriginMessage& m) {
      return "ORIGIN " + m.name + " " + FormatLsn(m.origin_commit_lsn);
    }
    std::string operator()(const RelationMessage& m) {
      std::string out = "RELATION " + m.namespace_name + "." + m.name + " " +
                        static_cast<char>(m.replica_identity);
      for (const RelationColumn& c : m.columns) out += " " + c.name + (c.key ? "*" : "");
      return out;
    }
    std::string operator()(const TypeMessage& m) {
      return "TYPE " + m.namespace_name + "." + m.name;
    }
    std::string operator()(const InsertMessage& m) { return "INSERT " + Render(m.new_tuple); }
    std::string operator()(const UpdateMessage& m) {
      std::string old = m.old_kind == OldTupleKind::kKey    ? "key " + Render(m.old_tuple) + " "
                        : m.old_kind == OldTupleKind::kFull ? "old " + Render(m.old_tuple) + " "
                                                            : "";
      return "UPDATE " + old + Render(m.new_tuple);
    }
    std::string operator()(const DeleteMessage& m) {
      return std::string("DELETE ") + (m.old_kind == OldTupleKind::kKey ? "key " : "old ") +
             Render(m.old_tuple);
    }
    std::string operator()(const TruncateMessage& m) {
      return "TRUNCATE " + std::to_string(m.relation_ids.size()) + " options " +
             std::to_string(m.options);
    }
    std::string operator()(const LogicalMessage& m) {
      return std::string("MESSAGE ") + (m.transactional ? "tx " : "") + m.prefix + " " + m.content;
    }
  } visitor;
  return std::visit(visitor, message);
}

struct Received {
  std::vector<XLogData> data;
  int keepalives = 0;
  int reply_requests = 0;
};

// Reads until `stop` returns true for a message or `limit` passes; answers every keepalive
// that asks with `*confirmed`. Stops at the first error.
Status ReadStream(ReplicationConnection& repl, Received* out, const Lsn* confirmed,
                  std::chrono::milliseconds limit,
                  const std::function<bool(const PgOutputMessage&)>& stop) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Result<std::optional<StreamEvent>> event = repl.Read(std::max(left, 1ms));
    if (!event.ok()) return event.status();
    if (!*event) continue;
    if (auto* keepalive = std::get_if<PrimaryKeepalive>(&**event)) {
      ++out->keepalives;
      if (keepalive->reply_requested) {
        ++out->reply_requests;
        DOMICILE_RETURN_IF_ERROR(repl.SendStatus(*confirmed, *confirmed, *confirmed, false));
      }
      continue;
    }
    out->data.push_back(std::get<XLogData>(std::move(**event)));
    if (stop && stop(out->data.back().message)) return Status::Ok();
  }
  return Status::Ok();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ReplicationConnectionTest : public testing::PgServerTest<ReplicationConnectionTest> {
 protected:
  // A fresh database per test: slots and publications do not leak between tests.
  std::string NewDatabase(const std::string& name) {
    pg().CreateDatabase(name);
    return name;
  }
  ReplicationConnection Open(const std::string& db, const std::string& extra = "") {
    Result<ReplicationConnection> repl =
        ReplicationConnection::Open(pg().Dsn(db) + extra, "shard eu-1");
    EXPECT_TRUE(repl.ok()) << repl.status().ToString();
    return std::move(repl).value();
  }
  std::string SlotColumn(const std::string& db, const std::string& slot,
                         const std::string& column) {
    PgServer& server = pg();
    testing::PgRows rows = server.Exec(
        "SELECT " + column + "::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'",
        db);
    return rows.empty() ? "<no slot>" : rows[0][0].value_or("<null>");
  }
};

TEST_F(ReplicationConnectionTest, StreamsTheFilteredTenantInCommitOrderFromAnExportedSnapshot) {
  const std::string db = NewDatabase("repl_stream");
  auto sql = [&](const std::string& text) { return pg().Exec(text, db); };
  sql("CREATE TYPE mood AS ENUM ('calm', 'busy');"
      "CREATE TABLE t (tenant_id text, id int, v text, m mood DEFAULT 'calm', note text,"
      "                PRIMARY KEY (tenant_id, id));"
      "ALTER TABLE t ALTER note SET STORAGE EXTERNAL;"  // a long note is stored out of line
      "CREATE TABLE other (id int PRIMARY KEY);"
      "CREATE PUBLICATION p FOR TABLE t WHERE (tenant_id = 'a');"
      "INSERT INTO t (tenant_id, id, v) VALUES ('a', 1, 'before'), ('b', 1, 'before');"
      "SELECT pg_replication_origin_create('eu_origin');");

  // Keepalives asking for a reply come every half wal_sender_timeout without one.
  ReplicationConnection repl = Open(db, " options='-c wal_sender_timeout=2s'");
  Result<CreatedSlot> slot = repl.CreateSlot("move_a", /*temporary=*/false,
                                             /*export_snapshot=*/true);
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();
  EXPECT_EQ(slot->slot_name, "move_a");
  EXPECT_NE(slot->consistent_point, 0u);
  ASSERT_FALSE(slot->snapshot_name.empty());
  EXPECT_EQ(SlotColumn(db, "move_a", "plugin"), "pgoutput");

  // Committed after the slot's consistent point: in the stream, not in the snapshot.
  sql("INSERT INTO t (tenant_id, id, v) VALUES ('a', 2, 'after'), ('b', 2, 'after')");
  {
    PgClient reader(pg().Dsn(db));
    ASSERT_TRUE(reader.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok);
    PgResult imported = reader.Exec("SET TRANSACTION SNAPSHOT '" + slot->snapshot_name + "'");
    ASSERT_TRUE(imported.ok) << imported.Describe();
    PgResult rows = reader.Exec("SELECT tenant_id || id FROM t ORDER BY 1");
    ASSERT_TRUE(rows.ok) << rows.Describe();
    EXPECT_EQ(rows.rows, (testing::PgRows{{"a1"}, {"b1"}}));
    ASSERT_TRUE(reader.Exec("COMMIT").ok);
  }

  sql("UPDATE t SET v = 'x' WHERE tenant_id = 'a' AND id = 1");  // key unchanged
  sql("UPDATE t SET id = 20 WHERE tenant_id = 'a' AND id = 2");  // key changed
  sql("UPDATE t SET v = 'y' WHERE tenant_id = 'b'");             // filtered out
  sql("DELETE FROM t WHERE tenant_id = 'a' AND id = 1");
  sql("DELETE FROM t WHERE tenant_id = 'b' AND id = 2");  // filtered out
  sql("SELECT pg_logical_emit_message(true, 'domicile', 'hello')");
  sql("UPDATE t SET tenant_id = 'b' WHERE tenant_id = 'a' AND id = 20");  // leaves tenant a
  sql("UPDATE t SET tenant_id = 'a' WHERE tenant_id = 'b' AND id = 1");   // joins tenant a
  sql("INSERT INTO t (tenant_id, id, v, note)"
      " SELECT 'a', 3, 'big', string_agg(md5(i::text), '') FROM generate_series(1, 200) i");
  sql("UPDATE t SET v = 'small' WHERE tenant_id = 'a' AND id = 3");  // the note is unchanged
  sql("SELECT pg_replication_origin_session_setup('eu_origin');"
      "BEGIN;"
      "SELECT pg_replication_origin_xact_setup('0/ABCDEF', now());"
      "INSERT INTO t (tenant_id, id, v) VALUES ('a', 4, 'replayed');"
      "COMMIT;"
      "SELECT pg_replication_origin_session_reset();");
  sql("INSERT INTO other VALUES (1)");  // not published
  sql("SELECT pg_logical_emit_message(false, 'domicile', 'now')");
  sql("TRUNCATE t");

  ASSERT_TRUE(repl.StartReplication("move_a", slot->consistent_point, {"p"}).ok());
  EXPECT_TRUE(repl.streaming());
  Lsn confirmed = slot->consistent_point;
  Received got;
  Status read = ReadStream(repl, &got, &confirmed, 30s, [](const PgOutputMessage& m) {
    return std::holds_alternative<TruncateMessage>(m);
  });
  ASSERT_TRUE(read.ok()) << read.ToString();
  read = ReadStream(repl, &got, &confirmed, 10s, [](const PgOutputMessage& m) {
    return std::holds_alternative<CommitMessage>(m);
  });
  ASSERT_TRUE(read.ok()) << read.ToString();

  std::vector<std::string> trace;
  for (const XLogData& d : got.data) trace.push_back(Describe(d.message));
  const std::vector<std::string> expected = {
      "BEGIN",
      "TYPE public.mood",
      "RELATION public.t d tenant_id* id* v m note",
      "INSERT (a,2,after,calm,null)",
      "COMMIT",
      "BEGIN",
      "UPDATE (a,1,x,calm,null)",
      "COMMIT",
      "BEGIN",
      "UPDATE key (a,2,null,null,null) (a,20,after,calm,null)",
      "COMMIT",
      "BEGIN",
      "DELETE key (a,1,null,null,null)",
      "COMMIT",
      "BEGIN",
      "MESSAGE tx domicile hello",
      "COMMIT",
      "BEGIN",  // an update that takes the row out of the filter arrives as a delete
      "DELETE key (a,20,null,null,null)",
      "COMMIT",
      "BEGIN",  // and one that brings a row into it as an insert
      "INSERT (a,1,y,calm,null)",
      "COMMIT",
      "BEGIN",
      "INSERT (a,3,big,calm,<6400 bytes>)",
      "COMMIT",
      "BEGIN",
      "UPDATE (a,3,small,calm,toast)",
      "COMMIT",
      "BEGIN",
      "ORIGIN eu_origin 0/ABCDEF",
      "INSERT (a,4,replayed,calm,null)",
      "COMMIT",
      "MESSAGE domicile now",
      "BEGIN",
      // TRUNCATE gives the table a new file, which invalidates pgoutput's cache of it: the
      // type and relation come again.
      "TYPE public.mood",
      "RELATION public.t d tenant_id* id* v m note",
      "TRUNCATE 1 options 0",
      "COMMIT",
  };
  std::string all;
  for (const std::string& line : trace) all += "\n  " + line;
  EXPECT_EQ(trace, expected) << "the stream:" << all;

  // LSNs: each Begin announces its Commit's LSN; commits come in LSN order, after the slot's
  // consistent point; the relation and type ids agree.
  Lsn last_commit = slot->consistent_point;
  std::optional<Lsn> open_final;
  uint32_t relation_id = 0;
  uint32_t mood_oid = 0;
  for (const XLogData& d : got.data) {
    EXPECT_GE(d.wal_end, d.wal_start);
    if (auto* b = std::get_if<BeginMessage>(&d.message)) {
      EXPECT_FALSE(open_final.has_value());
      EXPECT_NE(b->xid, 0u);
      EXPECT_GT(b->commit_time, 0);
      open_final = b->final_lsn;
    } else if (auto* c = std::get_if<CommitMessage>(&d.message)) {
      ASSERT_TRUE(open_final.has_value());
      EXPECT_EQ(c->commit_lsn, *open_final);
      EXPECT_GT(c->commit_lsn, last_commit);
      EXPECT_GT(c->end_lsn, c->commit_lsn);
      last_commit = c->commit_lsn;
      confirmed = c->end_lsn;
      open_final.reset();
    } else if (auto* r = std::get_if<RelationMessage>(&d.message)) {
      relation_id = r->relation_id;
      ASSERT_EQ(r->columns.size(), 5u);
      EXPECT_EQ(r->columns[1].type_oid, 23u);  // int4
      EXPECT_EQ(r->columns[3].type_oid, mood_oid);
    } else if (auto* y = std::get_if<TypeMessage>(&d.message)) {
      mood_oid = y->type_oid;
    } else if (auto* i = std::get_if<InsertMessage>(&d.message)) {
      EXPECT_EQ(i->relation_id, relation_id);
    } else if (auto* t = std::get_if<TruncateMessage>(&d.message)) {
      EXPECT_EQ(t->relation_ids, std::vector<uint32_t>{relation_id});
    } else if (auto* m = std::get_if<LogicalMessage>(&d.message)) {
      EXPECT_GT(m->lsn, last_commit);
    }
  }
  EXPECT_EQ(std::to_string(relation_id), sql("SELECT 't'::regclass::oid")[0][0].value_or(""));

  // Confirming moves the slot; answering keepalives keeps the stream alive past the timeout.
  ASSERT_TRUE(repl.SendStatus(confirmed, confirmed, confirmed, false).ok());
  Received idle;
  read = ReadStream(repl, &idle, &confirmed, 3s, nullptr);
  ASSERT_TRUE(read.ok()) << read.ToString();
  EXPECT_GE(idle.reply_requests, 1);
  EXPECT_TRUE(idle.data.empty());
  EXPECT_EQ(SlotColumn(db, "move_a", "confirmed_flush_lsn"), FormatLsn(confirmed));
  EXPECT_EQ(SlotColumn(db, "move_a", "active"), "true");

  Result<ReplicationRows> refused = repl.Exec("IDENTIFY_SYSTEM");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(refused.status().message(), "streaming")) << refused.status().message();

  // The slot outlives its connection and is dropped from another one, twice without error.
  repl = Open(db);
  ASSERT_TRUE(repl.DropSlot("move_a").ok());
  EXPECT_EQ(SlotColumn(db, "move_a", "slot_name"), "<no slot>");
  Status again = repl.DropSlot("move_a");
  EXPECT_TRUE(again.ok()) << again.ToString();
}

TEST_F(ReplicationConnectionTest, ResumesAfterTheConfirmedPosition) {
  const std::string db = NewDatabase("repl_resume");
  pg().Exec(
      "CREATE TABLE t (tenant_id text, id int, PRIMARY KEY (tenant_id, id));"
      "CREATE PUBLICATION p FOR TABLE t",
      db);
  ReplicationConnection repl = Open(db);
  Result<CreatedSlot> slot = repl.CreateSlot("resume", false, false);
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();
  EXPECT_TRUE(slot->snapshot_name.empty());
  pg().Exec("INSERT INTO t VALUES ('a', 1)", db);
  pg().Exec("INSERT INTO t VALUES ('a', 2)", db);

  auto is_commit = [](const PgOutputMessage& m) {
    return std::holds_alternative<CommitMessage>(m);
  };
  ASSERT_TRUE(repl.StartReplication("resume", 0, {"p"}, /*messages=*/false).ok());
  Lsn confirmed = 0;
  Received first;
  ASSERT_TRUE(ReadStream(repl, &first, &confirmed, 20s, is_commit).ok());
  confirmed = std::get<CommitMessage>(first.data.back().message).end_lsn;
  ASSERT_TRUE(repl.SendStatus(confirmed, confirmed, confirmed, /*reply_requested=*/true).ok());
  for (auto deadline = Clock::now() + 5s;
       SlotColumn(db, "resume", "confirmed_flush_lsn") != FormatLsn(confirmed) &&
       Clock::now() < deadline;) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(SlotColumn(db, "resume", "confirmed_flush_lsn"), FormatLsn(confirmed));

  // A new connection from 0 resumes at the confirmed position: the second insert only. The
  // slot stays busy (kConflict) until the old connection's walsender has exited.
  repl = Open(db);
  Status started = repl.StartReplication("resume", 0, {"p"}, false);
  for (auto deadline = Clock::now() + 5s;
       started.code() == StatusCode::kConflict && Clock::now() < deadline;) {
    std::this_thread::sleep_for(20ms);
    started = repl.StartReplication("resume", 0, {"p"}, false);
  }
  ASSERT_TRUE(started.ok()) << started.ToString();
  Received second;
  ASSERT_TRUE(ReadStream(repl, &second, &confirmed, 20s, is_commit).ok());
  std::vector<std::string> trace;
  for (const XLogData& d : second.data) trace.push_back(Describe(d.message));
  EXPECT_EQ(trace, (std::vector<std::string>{"BEGIN", "RELATION public.t d tenant_id* id*",
                                             "INSERT (a,2)", "COMMIT"}))
      << "first stream had " << first.data.size() << " messages";
}

TEST_F(ReplicationConnectionTest, TemporarySlotEndsWithItsConnection) {
  const std::string db = NewDatabase("repl_temporary");
  {
    ReplicationConnection repl = Open(db);
    Result<CreatedSlot> slot = repl.CreateSlot("temp_slot", /*temporary=*/true, true);
    ASSERT_TRUE(slot.ok()) << slot.status().ToString();
    EXPECT_FALSE(slot->snapshot_name.empty());
    EXPECT_EQ(SlotColumn(db, "temp_slot", "temporary"), "true");
  }
  for (int i = 0; i < 100 && SlotColumn(db, "temp_slot", "slot_name") != "<no slot>"; ++i) {
    std::this_thread::sleep_for(50ms);  // the backend exits just after the client leaves
  }
  EXPECT_EQ(SlotColumn(db, "temp_slot", "slot_name"), "<no slot>");
}

TEST_F(ReplicationConnectionTest, SlotErrorsAreMappedAndNameTheShard) {
  const std::string db = NewDatabase("repl_errors");
  ReplicationConnection repl = Open(db);
  ASSERT_TRUE(repl.CreateSlot("dup", false, false).ok());
  Result<CreatedSlot> dup = repl.CreateSlot("dup", false, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
  EXPECT_TRUE(Contains(dup.status().message(), "shard eu-1: ")) << dup.status().message();

  for (const std::string& bad :
       std::vector<std::string>{"", "Upper", "semi;colon", std::string(64, 'a')}) {
    Result<CreatedSlot> slot = repl.CreateSlot(bad, true, false);
    ASSERT_FALSE(slot.ok()) << bad;
    EXPECT_EQ(slot.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(repl.DropSlot(bad).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(repl.StartReplication("dup", 0, {}).code(), StatusCode::kInvalidArgument);

  Status missing = repl.StartReplication("no_such_slot", 0, {"p"});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_FALSE(repl.streaming());

  Result<ReplicationRows> system = repl.Exec("IDENTIFY_SYSTEM");
  ASSERT_TRUE(system.ok()) << system.status().ToString();
  ASSERT_EQ(system->size(), 1u);
  EXPECT_EQ(system->front().at(3), db);  // dbname: this is a database connection
  ASSERT_TRUE(repl.DropSlot("dup").ok());
}

TEST_F(ReplicationConnectionTest, MissingPublicationIsReportedByReadAsNotFound) {
  const std::string db = NewDatabase("repl_nopub");
  pg().Exec("CREATE TABLE t (id int PRIMARY KEY)", db);
  ReplicationConnection repl = Open(db);
  ASSERT_TRUE(repl.CreateSlot("nopub", true, false).ok());
  ASSERT_TRUE(repl.StartReplication("nopub", 0, {"no \"such\" 'pub'"}).ok());
  pg().Exec("INSERT INTO t VALUES (1)", db);
  Lsn confirmed = 0;
  Received got;
  Status read = ReadStream(repl, &got, &confirmed, 20s, nullptr);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.code(), StatusCode::kNotFound) << read.ToString();
  EXPECT_TRUE(Contains(read.message(), "no \"such\" 'pub'")) << read.message();
  EXPECT_FALSE(repl.streaming());
}

TEST_F(ReplicationConnectionTest, UnansweredKeepalivesEndTheStreamAsUnavailable) {
  const std::string db = NewDatabase("repl_silent");
  pg().Exec("CREATE PUBLICATION p FOR ALL TABLES", db);
  ReplicationConnection repl = Open(db, " options='-c wal_sender_timeout=1s'");
  ASSERT_TRUE(repl.CreateSlot("silent", true, false).ok());
  ASSERT_TRUE(repl.StartReplication("silent", 0, {"p"}).ok());
  Status read = Status::Ok();
  int keepalives = 0;
  for (auto deadline = Clock::now() + 20s; read.ok() && Clock::now() < deadline;) {
    Result<std::optional<StreamEvent>> event = repl.Read(500ms);
    read = event.status();
    if (read.ok() && *event) keepalives += std::holds_alternative<PrimaryKeepalive>(**event);
  }
  ASSERT_FALSE(read.ok()) << "the stream survived " << keepalives << " keepalives";
  EXPECT_EQ(read.code(), StatusCode::kUnavailable) << read.ToString();
  EXPECT_TRUE(Contains(read.message(), "shard eu-1")) << read.message();
}

TEST(ReplicationConnectionServerTest, RefusedConnectionIsUnavailableNamingTheServer) {
  testing::LoopbackSocket port(/*listen_too=*/false);  // refuses connections
  std::string dsn = "host=127.0.0.1 port=" + std::to_string(port.port()) + " user=postgres";
  Result<ReplicationConnection> repl = ReplicationConnection::Open(dsn, "shard down-1");
  ASSERT_FALSE(repl.ok());
  EXPECT_EQ(repl.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(repl.status().message(), "shard down-1: ")) << repl.status().message();
  EXPECT_TRUE(Contains(repl.status().message(), "127.0.0.1:" + std::to_string(port.port())))
      << repl.status().message();

  Result<ReplicationConnection> garbage = ReplicationConnection::Open("no_equals", "shard x");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument) << garbage.status().ToString();
}

TEST(ReplicationConnectionServerTest, ServerKilledWhileStreamingIsUnavailable) {
  PgServer server;
  server.Exec("CREATE PUBLICATION p FOR ALL TABLES");
  Result<ReplicationConnection> repl = ReplicationConnection::Open(server.Dsn(), "shard eu-2");
  ASSERT_TRUE(repl.ok()) << repl.status().ToString();
  ASSERT_TRUE(repl->CreateSlot("killed", true, false).ok());
  ASSERT_TRUE(repl->StartReplication("killed", 0, {"p"}).ok());
  server.Kill();
  Status read = Status::Ok();
  for (auto deadline = Clock::now() + 10s; read.ok() && Clock::now() < deadline;) {
    read = repl->Read(1s).status();
  }
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.code(), StatusCode::kUnavailable) << read.ToString();
  EXPECT_TRUE(Contains(read.message(), "shard eu-2")) << read.message();
  EXPECT_EQ(repl->SendStatus(0, 0, 0, false).code(), StatusCode::kUnavailable);
  EXPECT_EQ(repl->Exec("IDENTIFY_SYSTEM").status().code(), StatusCode::kUnavailable);
}

TEST(ReplicationConnectionServerTest, WalLevelReplicaIsRefusedForOnlineMoves) {
  testing::PgServerOptions options;
  options.settings = {"wal_level=replica"};  // the last -c wins over the default logical
  PgServer server(options);
  ASSERT_EQ(server.Scalar("SHOW wal_level"), "replica");
  Result<ReplicationConnection> repl = ReplicationConnection::Open(server.Dsn(), "shard eu-3");
  ASSERT_FALSE(repl.ok());
  EXPECT_EQ(repl.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      Contains(repl.status().message(), "shard eu-3: wal_level must be logical for online moves"))
      << repl.status().message();
}

}  // namespace
}  // namespace domicile::pgmove
