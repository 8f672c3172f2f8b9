// `domicile serve` over the demo's sqlite shards: psql, psycopg2 and node-postgres read and
// write each tenant's rows, which land in that tenant's shard file only.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "contract/catalog_store_fixtures.h"
#include "support/node_pg.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Output {
  int exit_code = -1;
  std::string text;  // stdout and stderr together
};

// Runs a shell command line to completion; output through a file so nothing can block.
Output Shell(const std::string& command, const std::string& out_file) {
  Output out;
  int rc = std::system((command + " >" + out_file + " 2>&1 </dev/null").c_str());
  out.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::ifstream in(out_file);
  std::stringstream ss;
  ss << in.rdbuf();
  out.text = ss.str();
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `domicile serve` as a direct child on a free port, stopped by PID (SIGTERM, then SIGKILL).
class ServeProcess {
 public:
  ServeProcess(const std::string& data_dir, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(DOMICILE_BINARY, DOMICILE_BINARY, "serve", "--data", data_dir.c_str(), "--listen",
            "127.0.0.1:0", "--embedded-threads", "2", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::regex on_port(R"( on 127\.0\.0\.1:(\d+) )");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::smatch m;
      std::string text = ReadAll(log_);
      if (std::regex_search(text, m, on_port)) {
        port_ = std::stoi(m[1]);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  ~ServeProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }
  std::string Log() const { return ReadAll(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class EmbeddedSqliteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("domicile-embedded");
    data_ = dir_->Sub("data");
    Output demo = Shell(std::string(DOMICILE_BINARY) + " demo --no-serve --data " + data_,
                        dir_->Sub("demo.out"));
    ASSERT_EQ(demo.exit_code, 0) << demo.text;
    server_ = new ServeProcess(data_, dir_->Sub("serve.log"));
    ASSERT_NE(server_->port(), 0) << server_->Log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  std::string Conninfo(const std::string& tenant = "") const {
    std::string c =
        "host=127.0.0.1 port=" + std::to_string(server_->port()) + " user=demo dbname=demo";
    if (!tenant.empty()) c += " options='-c domicile.tenant=" + tenant + "'";
    return c;
  }
  // psql -XAt with each -c in turn; one session.
  Output Psql(const std::string& tenant, const std::vector<std::string>& commands) {
    std::string line = "psql -XAt -v ON_ERROR_STOP=0 " + Quote(Conninfo(tenant));
    for (const auto& c : commands) line += " -c " + Quote(c);
    return Shell(line, dir_->Sub("psql.out"));
  }
  Output Script(const std::string& program, const std::string& name, const std::string& text,
                const std::string& env = "") {
    std::ofstream(dir_->Sub(name)) << text;
    return Shell(
        env + " " + program + " " + dir_->Sub(name) + " " + std::to_string(server_->port()),
        dir_->Sub(name + ".out"));
  }
  // Rows matching `where` in `table` of each demo shard file, read with SQLite directly.
  std::map<std::string, int64_t> CountOnEachShard(const std::string& table,
                                                  const std::string& where) {
    std::map<std::string, int64_t> counts;
    for (const char* shard : {"eu-1", "eu-2", "br-1", "us-1"}) {
      SqliteShardStorage storage(data_ + "/shards/" + shard + ".db");
      auto session = storage.Open();
      EXPECT_TRUE(session.ok());
      if (!session.ok()) continue;
      struct Sink : RowSink {
        int64_t n = 0;
        void OnColumns(const std::vector<Column>&) override {}
        bool OnRow(std::span<const Value> row) override {
          n = std::get<int64_t>(row[0]);
          return true;
        }
      } sink;
      auto r = (*session)->Execute("SELECT count(*) FROM " + table + " WHERE " + where, {}, &sink);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      counts[shard] = sink.n;
    }
    return counts;
  }

  static TempDir* dir_;
  static std::string data_;
  static ServeProcess* server_;
};

TempDir* EmbeddedSqliteTest::dir_ = nullptr;
std::string EmbeddedSqliteTest::data_;
ServeProcess* EmbeddedSqliteTest::server_ = nullptr;

using Counts = std::map<std::string, int64_t>;

TEST_F(EmbeddedSqliteTest, PsqlReadsByStartupOptionKeyColumnAndSet) {
  Output r = Psql("coop-lisboa",
                  {"SELECT name FROM members WHERE tenant_id = 'coop-lisboa' ORDER BY member_id"});
  ASSERT_EQ(r.exit_code, 0) << r.text << server_->Log();
  EXPECT_EQ(r.text, "Ana Sousa\nJoão Ferreira\nMarta Costa\n");

  r = Psql("", {"SELECT name, city FROM cooperatives WHERE tenant_id = 'coop-berlin'"});
  EXPECT_EQ(r.text, "Wohnungsgenossenschaft Kreuzberg|Berlin\n");

  r = Psql("", {"SET domicile.tenant = 'coop-austin'",
                "SELECT count(*), sum(amount_cents) FROM payments WHERE tenant_id = 'coop-austin'",
                "SHOW domicile.shard"});
  EXPECT_EQ(r.text, "SET\n6|272250\nus-1\n");
}

TEST_F(EmbeddedSqliteTest, PsqlWritesLandOnTheTenantsShardOnly) {
  Output r = Psql("", {"INSERT INTO members (tenant_id, member_id, name, joined) VALUES "
                       "('coop-recife', 101, 'Nova', '2025-01-01')",
                       "UPDATE members SET name = 'Nova Silva' WHERE tenant_id = 'coop-recife' "
                       "AND member_id = 101"});
  ASSERT_EQ(r.exit_code, 0) << r.text;
  EXPECT_EQ(r.text, "INSERT 0 1\nUPDATE 1\n");
  Counts counts = CountOnEachShard("members", "member_id = 101 AND name = 'Nova Silva'");
  EXPECT_EQ(counts, (Counts{{"eu-1", 0}, {"eu-2", 0}, {"br-1", 1}, {"us-1", 0}}));

  r = Psql("coop-recife", {"DELETE FROM members WHERE member_id = 101"});
  EXPECT_EQ(r.text, "DELETE 1\n");
  EXPECT_EQ(CountOnEachShard("members", "member_id = 101"),
            (Counts{{"eu-1", 0}, {"eu-2", 0}, {"br-1", 0}, {"us-1", 0}}));
}

TEST_F(EmbeddedSqliteTest, RolledBackTransactionsLeaveNothing) {
  // BEGIN answered by the router, then sent with the first routed statement.
  Output r = Psql("", {"BEGIN",
                       "INSERT INTO members (tenant_id, member_id, name, joined) VALUES "
                       "('coop-lisboa', 102, 'Ghost', '2025-01-01')",
                       "SELECT count(*) FROM members WHERE tenant_id = 'coop-lisboa'", "ROLLBACK"});
  EXPECT_EQ(r.text, "BEGIN\nINSERT 0 1\n4\nROLLBACK\n");
  // The same in one query string.
  r = Psql("coop-lisboa", {"BEGIN; INSERT INTO members (tenant_id, member_id, name, joined) "
                           "VALUES ('coop-lisboa', 103, 'Ghost', '2025-01-01'); ROLLBACK"});
  EXPECT_EQ(r.exit_code, 0) << r.text;
  EXPECT_EQ(CountOnEachShard("members", "member_id IN (102, 103)"),
            (Counts{{"eu-1", 0}, {"eu-2", 0}, {"br-1", 0}, {"us-1", 0}}));
}

TEST_F(EmbeddedSqliteTest, SqlErrorsAreErrorResponsesAndTheSessionGoesOn) {
  Output r = Psql("coop-wien", {"SELECT nope FROM members", "SELEC 1",
                                "INSERT INTO cooperatives VALUES ('coop-wien', 'x', 'y')",
                                "SELECT count(*) FROM members WHERE tenant_id = 'coop-wien'"});
  EXPECT_THAT(r.text, HasSubstr("no such column: nope"));
  EXPECT_THAT(r.text, HasSubstr("syntax error"));
  EXPECT_THAT(r.text, HasSubstr("UNIQUE constraint failed"));
  EXPECT_THAT(r.text, ::testing::EndsWith("\n3\n"));
}

constexpr char kPsycopg2Script[] = R"PY(
import sys, psycopg2
port = sys.argv[1]
conn = psycopg2.connect(host="127.0.0.1", port=port, user="demo", dbname="demo")
cur = conn.cursor()
cur.execute("SET domicile.tenant = 'coop-portland'")
cur.execute("SELECT member_id, name FROM members WHERE tenant_id = %s AND member_id < %s "
            "ORDER BY member_id", ("coop-portland", 3))
print(cur.fetchall())
cur.execute("INSERT INTO payments (tenant_id, payment_id, member_id, amount_cents, paid_at) "
            "VALUES (%s, %s, %s, %s, %s)", ("coop-portland", 900, 1, 1234, "2025-02-01"))
conn.commit()
cur.execute("INSERT INTO payments (tenant_id, payment_id, member_id, amount_cents, paid_at) "
            "VALUES (%s, %s, %s, %s, %s)", ("coop-portland", 901, 1, 1, "2025-02-02"))
conn.rollback()
try:
    cur.execute("INSERT INTO payments (tenant_id, payment_id, member_id, amount_cents, paid_at) "
                "VALUES ('coop-portland', 900, 1, 1, 'x')")
except psycopg2.Error as e:
    print("error", e.pgcode)
    conn.rollback()
try:
    cur.execute("SELEC 1")
except psycopg2.Error as e:
    print("error", e.pgcode)
    conn.rollback()
cur.execute("SELECT amount_cents, paid_at FROM payments WHERE payment_id >= 900")
print(cur.fetchall())
conn.commit()
conn.autocommit = True
cur.execute("SELECT name FROM cooperatives WHERE tenant_id = %s", ("coop-detroit",))
print(cur.fetchone()[0])
)PY";

TEST_F(EmbeddedSqliteTest, Psycopg2ReadsWritesCommitsAndRollsBack) {
  Output r = Script("/usr/bin/python3", "psycopg2_test.py", kPsycopg2Script);
  ASSERT_EQ(r.exit_code, 0) << r.text << server_->Log();
  EXPECT_EQ(r.text,
            "[(1, 'Olivia Nguyen'), (2, 'Ethan Miller')]\n"
            "error 23505\n"
            "error 42601\n"
            "[(1234, '2025-02-01')]\n"
            "Corktown Housing Cooperative\n");
  EXPECT_EQ(CountOnEachShard("payments", "payment_id >= 900"),
            (Counts{{"eu-1", 0}, {"eu-2", 0}, {"br-1", 0}, {"us-1", 1}}));
}

constexpr char kNodeScript[] = R"JS(
const { Client } = require('pg');
(async () => {
  const c = new Client({ host: '127.0.0.1', port: +process.argv[2], user: 'demo',
                         database: 'demo' });
  await c.connect();
  let r = await c.query('SELECT member_id, name, $2 AS tag FROM members ' +
                        'WHERE tenant_id = $1 ORDER BY member_id', ['coop-madrid', 'x']);
  console.log(r.rows.length, r.rows[0].member_id, r.rows[0].name, r.fields[0].dataTypeID);
  r = await c.query({ name: 'ins', text: 'INSERT INTO members (tenant_id, member_id, name, ' +
                      'joined) VALUES ($1, $2, $3, $4)',
                      values: ['coop-madrid', 200, 'Node', '2025-03-01'] });
  console.log(r.command, r.rowCount);
  try {
    await c.query('SELECT nope FROM members WHERE tenant_id = $1', ['coop-madrid']);
  } catch (e) { console.log('error', e.code); }
  r = await c.query({ name: 'ins', text: 'INSERT INTO members (tenant_id, member_id, name, ' +
                      'joined) VALUES ($1, $2, $3, $4)',
                      values: ['coop-madrid', 201, 'Node 2', '2025-03-02'] });
  console.log(r.command, r.rowCount);
  await c.end();
})().catch((e) => { console.error(e); process.exit(1); });
)JS";

TEST_F(EmbeddedSqliteTest, NodePgUsesTheExtendedProtocol) {
  Result<fs::path> modules = NodePgModules();
  if (!modules.ok()) GTEST_SKIP() << modules.status().message();
  Output r = Script("node", "pg_test.js", kNodeScript, "NODE_PATH=" + modules->string());
  ASSERT_EQ(r.exit_code, 0) << r.text << server_->Log();
  EXPECT_EQ(r.text, "3 1 Lucía García 20\nINSERT 1\nerror 42703\nINSERT 1\n");
  Counts counts = CountOnEachShard("members", "member_id >= 200");
  int64_t total = 0;
  for (const auto& [shard, n] : counts) total += n;
  EXPECT_EQ(total, 2);
  EXPECT_EQ(counts["br-1"] + counts["us-1"], 0);  // coop-madrid is an EU tenant
}

// A move's hold on an SQLite shard's tenant: its new transactions wait, others flow on, and
// once the catalog flips it the waiting query runs on the new shard.
TEST_F(EmbeddedSqliteTest, HeldTenantWaitsAndRunsWhereTheFlipSendsIt) {
  auto commit = [&](CatalogOp op) {
    auto store = SqliteCatalogStore::Open(data_ + "/catalog.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CommitOrFail(**store, CatalogChange{{std::move(op)}, "hold test"});
  };
  auto home = [](const std::string& shard) {
    Tenant t;
    t.id = "coop-lisboa";
    t.allowed = {"EU"};
    t.home_shard = shard;
    return PutTenant{t};
  };
  commit(SetTenantState{"coop-lisboa", TenantState::kHeld});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // > the router's catalog TTL
  std::string count = "SELECT count(*) FROM members WHERE tenant_id = 'coop-lisboa'";
  std::future<Output> held = std::async(std::launch::async, [&] {
    return Shell("psql -XAt " + Quote(Conninfo("coop-lisboa")) + " -c " + Quote(count),
                 dir_->Sub("held.out"));
  });
  Output other = Psql("coop-berlin", {"SELECT 1"});  // not held
  EXPECT_EQ(other.text, "1\n");
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);

  commit(home("eu-2"));  // the flip: coop-lisboa's rows are still on eu-1 here
  ASSERT_EQ(held.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  Output moved = held.get();
  EXPECT_EQ(moved.exit_code, 0) << moved.text;
  EXPECT_EQ(moved.text, "0\n");  // it ran on eu-2
  commit(home("eu-1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Psql("coop-lisboa", {count}).text, "3\n");
}

}  // namespace
}  // namespace domicile::testing
