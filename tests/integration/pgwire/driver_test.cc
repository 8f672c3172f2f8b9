// Real drivers through `domicile serve`: psycopg2 (client-side parameters, named cursors),
// psycopg 3 (server-side parameters, prepared statements) and node-postgres.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "integration/pgwire/pgwire_cluster.h"
#include "support/node_pg.h"

namespace domicile::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPsycopg2Script = R"PY(
import sys
import psycopg2
import psycopg2.errors as errors

port = int(sys.argv[1])

def connect(**kw):
    return psycopg2.connect(host="127.0.0.1", port=port, user="app", dbname="app", **kw)

c = connect()
cur = c.cursor()
# psycopg2 opens a transaction before the first statement: BEGIN has no tenant yet.
cur.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("e1", 1, "py"))
cur.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("e1", 2, "py"))
c.commit()
for i in range(1, 26):
    cur.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("b1", i, "py"))
c.commit()

# An error inside a transaction aborts it; ROLLBACK makes the connection usable again.
cur.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("e1", 3, "lost"))
try:
    cur.execute("SELECT 1 / 0 FROM notes WHERE tenant_id = %s", ("e1",))
    raise SystemExit("division by zero did not fail")
except errors.DivisionByZero:
    pass
try:
    cur.execute("SELECT 1 FROM notes WHERE tenant_id = %s", ("e1",))
    raise SystemExit("an aborted transaction ran a statement")
except errors.InFailedSqlTransaction:
    pass
c.rollback()

# Another shard's tenant inside a transaction is refused (0A000) and aborts it.
cur.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("e1", 4, "lost"))
try:
    cur.execute("SELECT count(*) FROM notes WHERE tenant_id = %s", ("b1",))
    raise SystemExit("cross-shard statement was not refused")
except errors.FeatureNotSupported as e:
    assert "eu-1" in str(e) and "br-1" in str(e), str(e)
c.rollback()

cur.execute("SELECT count(*), current_database() FROM notes WHERE tenant_id = %s", ("e1",))
assert cur.fetchone() == (2, "eu1")
c.commit()

# A named cursor: DECLARE names the tenant, the FETCHes that follow do not.
with c.cursor(name="by_tenant") as nc:
    nc.itersize = 10
    nc.execute("SELECT id FROM notes WHERE tenant_id = %s ORDER BY id", ("b1",))
    ids = [row[0] for row in nc]
assert ids == list(range(1, 26)), ids
c.commit()

# The startup option, with autocommit.
u = connect(options="-c domicile.tenant=u1")
u.autocommit = True
ucur = u.cursor()
ucur.execute("INSERT INTO notes (tenant_id, id, body) VALUES ('u1', 1, 'opt')")
ucur.execute("SELECT current_database()")
assert ucur.fetchone() == ("us1",)
print("done")
)PY";

constexpr const char* kPsycopg3Script = R"PY(
import sys
import psycopg

port = int(sys.argv[1])
with psycopg.connect(f"host=127.0.0.1 port={port} user=app dbname=app") as c:
    # Server-side parameters: the tenant arrives in Bind, not in the SQL text.
    c.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, %s)", ("u1", 7, "pg3"))
    c.commit()
    row = c.execute("SELECT count(*), current_database() FROM notes WHERE tenant_id = %s",
                    ("u1",)).fetchone()
    assert row == (1, "us1"), row
    c.commit()
    # A prepared (named) statement reused across transactions on different shards.
    for n, (tenant, db) in enumerate([("e1", "eu1"), ("b1", "br1"), ("e2", "eu1"),
                                      ("b2", "br1"), ("u1", "us1"), ("b1", "br1")]):
        c.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, %s, 'prep')",
                  (tenant, n), prepare=True)
        got = c.execute("SELECT current_database() FROM notes WHERE tenant_id = %s LIMIT 1",
                        (tenant,), prepare=True).fetchone()
        assert got == (db,), (tenant, got)
        c.commit()
    # An error inside a transaction, then the session goes on.
    try:
        c.execute("SELECT 1 / 0 FROM notes WHERE tenant_id = %s", ("e1",))
        raise SystemExit("division by zero did not fail")
    except psycopg.errors.DivisionByZero:
        c.rollback()
    row = c.execute("SELECT count(*) FROM notes WHERE tenant_id = %s", ("b1",)).fetchone()
    assert row == (2,), row
print("done")
)PY";

constexpr const char* kNodeScript = R"JS(
const { Client } = require('pg');
const assert = require('assert');
(async () => {
  const c = new Client({ host: '127.0.0.1', port: Number(process.argv[2]), user: 'app',
                         database: 'app' });
  await c.connect();
  // $1 carries the tenant: routing reads it from Bind.
  await c.query('INSERT INTO notes (tenant_id, id, body) VALUES ($1, $2, $3)', ['b2', 1, 'js']);
  let r = await c.query(
      'SELECT current_database() AS db, count(*)::int AS n FROM notes WHERE tenant_id = $1',
      ['b2']);
  assert.deepStrictEqual(r.rows[0], { db: 'br1', n: 1 });
  // Named prepared statements reused across transactions on different shards.
  const tenants = [['e1', 'eu1'], ['b1', 'br1'], ['u1', 'us1'], ['e1', 'eu1'], ['b1', 'br1']];
  for (let i = 0; i < tenants.length; i++) {
    const [tenant, db] = tenants[i];
    await c.query('BEGIN');
    await c.query({ name: 'add-note', text:
        'INSERT INTO notes (tenant_id, id, body) VALUES ($1, $2, $3)', values: [tenant, i, 'n'] });
    r = await c.query({ name: 'where-am-i', text:
        'SELECT current_database() AS db FROM notes WHERE tenant_id = $1 LIMIT 1',
        values: [tenant] });
    assert.strictEqual(r.rows[0].db, db, tenant);
    await c.query('COMMIT');
  }
  // An error inside a transaction; ROLLBACK; the connection goes on.
  await c.query('BEGIN');
  await c.query('INSERT INTO notes (tenant_id, id, body) VALUES ($1, 99, $2)', ['e2', 'lost']);
  await assert.rejects(c.query('SELECT 1 / 0 FROM notes WHERE tenant_id = $1', ['e2']),
                       (e) => e.code === '22012');
  await assert.rejects(c.query('SELECT 1 FROM notes WHERE tenant_id = $1', ['e2']),
                       (e) => e.code === '25P02');
  await c.query('ROLLBACK');
  r = await c.query('SELECT count(*)::int AS n FROM notes WHERE tenant_id = $1', ['e2']);
  assert.strictEqual(r.rows[0].n, 0);
  await c.end();
  console.log('done');
})().catch((e) => { console.error(e); process.exit(1); });
)JS";

class PgwireDriverTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[pool]\nmax_size = 4\n", /*workers=*/1); }
  static void TearDownTestSuite() { StopRouter(); }

  ProcessResult RunScript(const std::string& interpreter, const std::string& name,
                          const std::string& text, std::vector<std::string> env = {}) {
    TempDir dir("domicile-driver");
    std::ofstream(dir.Sub(name)) << text;
    env.push_back("PGOPTIONS");
    return RunProcess({interpreter, dir.Sub(name), std::to_string(router().port())},
                      ProcessOptions{env, "", ""}, std::chrono::seconds(60));
  }

  std::string NotesOn(const std::string& shard, const std::string& tenant) {
    const auto& s = cluster().shard(shard);
    return s.server->Scalar("SELECT count(*) FROM notes WHERE tenant_id = '" + tenant + "'",
                            s.db);
  }
};

TEST_F(PgwireDriverTest, Psycopg2TransactionsErrorsAndNamedCursors) {
  // Debian's psycopg2 is only visible to /usr/bin/python3.
  auto r = RunScript("/usr/bin/python3", "psycopg2_test.py", kPsycopg2Script);
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << router().Log();
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(NotesOn("eu-1", "e1"), "2");
  EXPECT_EQ(NotesOn("br-1", "b1"), "25");
  EXPECT_EQ(NotesOn("us-1", "u1"), "1");
  EXPECT_EQ(cluster().ScalarOnEachShard("SELECT count(*) FROM notes"),
            (std::map<std::string, std::string>{{"eu-1", "2"}, {"br-1", "25"}, {"us-1", "1"}}));
}

TEST_F(PgwireDriverTest, Psycopg3ServerSideParametersAndPreparedStatements) {
  auto probe = RunProcess({"/usr/bin/python3", "-c", "import psycopg"});
  if (probe.exit_code != 0) {
    GTEST_SKIP() << "python3-psycopg (psycopg 3) is not installed for /usr/bin/python3";
  }
  auto r = RunScript("/usr/bin/python3", "psycopg3_test.py", kPsycopg3Script);
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << router().Log();
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(cluster().ScalarOnEachShard("SELECT count(*) FROM notes"),
            (std::map<std::string, std::string>{{"eu-1", "2"}, {"br-1", "3"}, {"us-1", "2"}}));
  EXPECT_EQ(NotesOn("br-1", "b1"), "2");
}

TEST_F(PgwireDriverTest, NodePgParameterizedAndNamedPreparedQueries) {
  Result<fs::path> modules = NodePgModules();
  if (!modules.ok()) {
    GTEST_SKIP() << modules.status().message() << ", so node-postgres is not tested";
  }
  auto r = RunScript("node", "pg_test.js", kNodeScript, {"NODE_PATH=" + modules->string()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << router().Log();
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(cluster().ScalarOnEachShard("SELECT count(*) FROM notes"),
            (std::map<std::string, std::string>{{"eu-1", "2"}, {"br-1", "3"}, {"us-1", "1"}}));
}

}  // namespace
}  // namespace domicile::testing
