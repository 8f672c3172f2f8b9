// Statement kinds, SET/RESET/SHOW (router-owned and ordinary) and session-pinning flags.
#include <gtest/gtest.h>

#include "unit/adapters/sql/analyzer_test_util.h"

namespace domicile::testing {
namespace {

using K = StatementKind;

class PgQueryAnalyzerSessionTest : public AnalyzerFixture {
 protected:
  StatementKind KindOf(std::string_view sql) { return One(sql).kind; }
  SessionStateEffects EffectsOf(std::string_view sql) { return One(sql).session; }
};

TEST_F(PgQueryAnalyzerSessionTest, TransactionControl) {
  EXPECT_EQ(KindOf("BEGIN"), K::kBegin);
  EXPECT_EQ(KindOf("BEGIN ISOLATION LEVEL SERIALIZABLE"), K::kBegin);
  EXPECT_EQ(KindOf("START TRANSACTION READ ONLY"), K::kBegin);
  EXPECT_EQ(KindOf("COMMIT"), K::kCommit);
  EXPECT_EQ(KindOf("END"), K::kCommit);
  EXPECT_EQ(KindOf("ROLLBACK"), K::kRollback);
  EXPECT_EQ(KindOf("ABORT"), K::kRollback);
  const StatementDetail& sp = One("SAVEPOINT s1");
  EXPECT_EQ(sp.kind, K::kSavepoint);
  EXPECT_EQ(sp.name, "s1");
  EXPECT_EQ(KindOf("RELEASE SAVEPOINT s1"), K::kRelease);
  EXPECT_EQ(KindOf("RELEASE s1"), K::kRelease);
  EXPECT_EQ(One("ROLLBACK TO SAVEPOINT s1").kind, K::kRollbackTo);
  EXPECT_EQ(One("ROLLBACK TO s1").name, "s1");
  EXPECT_EQ(KindOf("PREPARE TRANSACTION 'gx'"), K::kOther);
  EXPECT_EQ(KindOf("COMMIT PREPARED 'gx'"), K::kOther);
}

TEST_F(PgQueryAnalyzerSessionTest, OrdinarySetResetShow) {
  const StatementDetail& path = One("SET search_path TO app, 'public'");
  EXPECT_EQ(path.kind, K::kSet);
  EXPECT_EQ(path.variable, (SessionVariable{"search_path", "app, public", false}));
  EXPECT_EQ(path.text, "SET search_path TO app, 'public'");
  EXPECT_EQ(One("SET SESSION statement_timeout = 5000").variable,
            (SessionVariable{"statement_timeout", "5000", false}));
  EXPECT_EQ(One("SET LOCAL lock_timeout = '1s'").variable,
            (SessionVariable{"lock_timeout", "1s", true}));
  EXPECT_EQ(One("SET TIME ZONE 'UTC'").variable, (SessionVariable{"timezone", "UTC", false}));
  const StatementDetail& tx = One("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(tx.kind, K::kSet);
  EXPECT_TRUE(tx.variable.local);

  EXPECT_EQ(One("RESET search_path").variable.name, "search_path");
  EXPECT_EQ(KindOf("RESET search_path"), K::kReset);
  EXPECT_EQ(One("RESET ALL").variable.name, "all");
  EXPECT_EQ(KindOf("SET search_path TO DEFAULT"), K::kReset);
  const StatementDetail& show = One("SHOW search_path");
  EXPECT_EQ(show.kind, K::kShow);
  EXPECT_EQ(show.variable.name, "search_path");
}

TEST_F(PgQueryAnalyzerSessionTest, RouterVariablesAreRecognized) {
  const StatementDetail& set = One("SET domicile.tenant = 'acme'");
  EXPECT_EQ(set.kind, K::kSetRouterVar);
  EXPECT_EQ(set.variable, (SessionVariable{"domicile.tenant", "acme", false}));
  EXPECT_EQ(One("SET domicile.tenant TO acme").variable.value, "acme");
  EXPECT_EQ(One("SET SESSION domicile.tenant = 42").variable.value, "42");
  EXPECT_TRUE(One("SET LOCAL domicile.tenant = 'x'").variable.local);
  EXPECT_EQ(KindOf("SET Domicile.Tenant = 'x'"), K::kSetRouterVar);
  EXPECT_EQ(KindOf("SET domicile.anything_else = 'x'"), K::kSetRouterVar);
  EXPECT_EQ(KindOf("RESET domicile.tenant"), K::kResetRouterVar);
  EXPECT_EQ(KindOf("SET domicile.tenant TO DEFAULT"), K::kResetRouterVar);
  const StatementDetail& show = One("SHOW domicile.shard");
  EXPECT_EQ(show.kind, K::kShowRouterVar);
  EXPECT_EQ(show.variable.name, "domicile.shard");
  EXPECT_EQ(KindOf("SHOW domicile.tenant"), K::kShowRouterVar);
  EXPECT_EQ(KindOf("SET domicile_tenant = 'x'"), K::kSet);

  EXPECT_TRUE(Info("SELECT 1; SET domicile.tenant = 'a'").HasRouterVar());
  EXPECT_FALSE(Info("SELECT 1; SET search_path = a").HasRouterVar());
}

TEST_F(PgQueryAnalyzerSessionTest, SqlLevelPreparedStatements) {
  const StatementDetail& prepare = One("PREPARE q (int) AS SELECT $1");
  EXPECT_EQ(prepare.kind, K::kPrepare);
  EXPECT_EQ(prepare.name, "q");
  EXPECT_EQ(prepare.session.creates, kSessionPrepared);
  const StatementDetail& execute = One("EXECUTE q (1)");
  EXPECT_EQ(execute.kind, K::kExecute);
  EXPECT_EQ(execute.name, "q");
  EXPECT_EQ(EffectsOf("DEALLOCATE q").releases_one, kSessionPrepared);
  EXPECT_EQ(EffectsOf("DEALLOCATE ALL").releases_all, kSessionPrepared);
  EXPECT_EQ(KindOf("DEALLOCATE PREPARE ALL"), K::kDeallocate);
}

TEST_F(PgQueryAnalyzerSessionTest, DiscardListenNotify) {
  EXPECT_EQ(KindOf("DISCARD ALL"), K::kDiscard);
  EXPECT_EQ(EffectsOf("DISCARD ALL").releases_all, kSessionAll);
  EXPECT_EQ(EffectsOf("DISCARD TEMP").releases_all, kSessionTempTable);
  EXPECT_TRUE(EffectsOf("DISCARD PLANS").empty());
  const StatementDetail& listen = One("LISTEN jobs");
  EXPECT_EQ(listen.kind, K::kListen);
  EXPECT_EQ(listen.name, "jobs");
  EXPECT_EQ(listen.session.creates, kSessionListen);
  EXPECT_EQ(EffectsOf("UNLISTEN *").releases_all, kSessionListen);
  EXPECT_EQ(EffectsOf("UNLISTEN jobs").releases_one, kSessionListen);
  EXPECT_EQ(KindOf("UNLISTEN jobs"), K::kUnlisten);
  EXPECT_EQ(KindOf("NOTIFY jobs, 'x'"), K::kNotify);
  EXPECT_TRUE(EffectsOf("NOTIFY jobs").empty());
}

TEST_F(PgQueryAnalyzerSessionTest, CursorsPinOnlyWithHold) {
  const StatementDetail& hold = One("DECLARE c CURSOR WITH HOLD FOR SELECT 1");
  EXPECT_EQ(hold.kind, K::kDeclareCursor);
  EXPECT_EQ(hold.name, "c");
  EXPECT_EQ(hold.session.creates, kSessionHoldCursor);
  EXPECT_TRUE(EffectsOf("DECLARE c CURSOR FOR SELECT 1").empty());
  EXPECT_EQ(KindOf("FETCH 10 FROM c"), K::kFetch);
  EXPECT_EQ(KindOf("MOVE NEXT IN c"), K::kFetch);
  EXPECT_EQ(KindOf("CLOSE c"), K::kClose);
  EXPECT_EQ(EffectsOf("CLOSE c").releases_one, kSessionHoldCursor);
  EXPECT_EQ(EffectsOf("CLOSE ALL").releases_all, kSessionHoldCursor);
}

TEST_F(PgQueryAnalyzerSessionTest, TemporaryObjectsPin) {
  EXPECT_EQ(KindOf("CREATE TEMP TABLE scratch (id int)"), K::kDdl);
  EXPECT_EQ(EffectsOf("CREATE TEMP TABLE scratch (id int)").creates, kSessionTempTable);
  EXPECT_EQ(EffectsOf("CREATE TEMPORARY TABLE s AS SELECT 1").creates, kSessionTempTable);
  EXPECT_EQ(EffectsOf("SELECT 1 AS x INTO TEMP s").creates, kSessionTempTable);
  EXPECT_EQ(EffectsOf("CREATE TEMP VIEW v AS SELECT 1").creates, kSessionTempTable);
  EXPECT_EQ(EffectsOf("CREATE TEMP SEQUENCE s").creates, kSessionTempTable);
  EXPECT_EQ(EffectsOf("CREATE TABLE pg_temp.s (id int)").creates, kSessionTempTable);
  EXPECT_TRUE(EffectsOf("CREATE TABLE kept (id int)").empty());
  EXPECT_TRUE(EffectsOf("CREATE UNLOGGED TABLE kept (id int)").empty());
}

TEST_F(PgQueryAnalyzerSessionTest, AdvisoryLocksSessionLevelOnly) {
  EXPECT_EQ(EffectsOf("SELECT pg_advisory_lock(1)").creates, kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT pg_advisory_lock_shared(1, 2)").creates, kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT pg_try_advisory_lock(1)").creates, kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT pg_catalog.pg_advisory_lock(1)").creates, kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT id FROM jobs WHERE pg_try_advisory_lock(id) LIMIT 1").creates,
            kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT * FROM (SELECT PG_ADVISORY_LOCK(7)) s").creates,
            kSessionAdvisoryLock);
  EXPECT_TRUE(EffectsOf("SELECT pg_advisory_xact_lock(1)").empty());
  EXPECT_TRUE(EffectsOf("SELECT pg_try_advisory_xact_lock(1)").empty());
  EXPECT_TRUE(EffectsOf("SELECT 'pg_advisory_lock(1)'").empty());
  EXPECT_EQ(EffectsOf("SELECT pg_advisory_unlock(1)").releases_one, kSessionAdvisoryLock);
  EXPECT_EQ(EffectsOf("SELECT pg_advisory_unlock_all()").releases_all, kSessionAdvisoryLock);
}

TEST_F(PgQueryAnalyzerSessionTest, EffectsAreMergedOverTheWholeText) {
  const StatementInfo& info = Info("LISTEN a; SELECT pg_advisory_lock(1); DEALLOCATE ALL");
  EXPECT_EQ(info.session.creates, kSessionListen | kSessionAdvisoryLock);
  EXPECT_EQ(info.session.releases_all, kSessionPrepared);
}

TEST_F(PgQueryAnalyzerSessionTest, DdlAndOtherKinds) {
  EXPECT_EQ(KindOf("CREATE INDEX i ON t (x)"), K::kDdl);
  EXPECT_EQ(KindOf("ALTER TABLE t ADD COLUMN y int"), K::kDdl);
  EXPECT_EQ(KindOf("DROP TABLE t"), K::kDdl);
  EXPECT_EQ(KindOf("TRUNCATE t"), K::kDdl);
  EXPECT_EQ(KindOf("GRANT SELECT ON t TO bob"), K::kDdl);
  EXPECT_EQ(KindOf("COMMENT ON TABLE t IS 'x'"), K::kDdl);
  EXPECT_EQ(KindOf("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"), K::kDdl);
  EXPECT_EQ(KindOf("VACUUM t"), K::kOther);
  EXPECT_EQ(KindOf("CALL p()"), K::kOther);
  EXPECT_EQ(KindOf("LOCK TABLE t"), K::kOther);
  EXPECT_EQ(KindOf("EXPLAIN SELECT 1"), K::kOther);
  EXPECT_EQ(KindOf("VALUES (1)"), K::kSelect);
}

}  // namespace
}  // namespace domicile::testing
