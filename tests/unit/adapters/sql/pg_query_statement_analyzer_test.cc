// Tenant selection by PgQueryStatementAnalyzer: WHERE keys, joins, INSERT values, conflicts.
#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"

#include <gtest/gtest.h>

#include "unit/adapters/sql/analyzer_test_util.h"

namespace domicile::testing {
namespace {

using K = StatementKind;

RoutingRules OverrideRules() {
  RoutingRules rules;
  rules.table_key_columns["accounts"] = "org_id";
  rules.table_key_columns["billing.invoices"] = "customer_org";
  return rules;
}

class PgQueryAnalyzerTenantTest : public AnalyzerFixture {
 protected:
  PgQueryAnalyzerTenantTest() : AnalyzerFixture(OverrideRules()) {}
};

TEST_F(PgQueryAnalyzerTenantTest, StringIntegerAndBigIntegerLiterals) {
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE tenant_id = 'acme'"), TenantRef::Literal("acme"));
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE tenant_id = 42"), TenantRef::Literal("42"));
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE tenant_id = 12345678901"),
            TenantRef::Literal("12345678901"));
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE 'acme' = tenant_id"), TenantRef::Literal("acme"));
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE tenant_id = 'acme'::text"),
            TenantRef::Literal("acme"));
}

TEST_F(PgQueryAnalyzerTenantTest, ParametersAreOneBased) {
  const StatementDetail& d =
      One("SELECT abalance FROM pgbench_accounts WHERE aid = $1 AND tenant_id = $2");
  EXPECT_EQ(d.kind, K::kSelect);
  EXPECT_EQ(d.tenant, TenantRef::Param(2));
  EXPECT_FALSE(d.tenant_conflict);
  EXPECT_EQ(Tenant("SELECT 1 FROM t WHERE $3::uuid = tenant_id"), TenantRef::Param(3));
}

TEST_F(PgQueryAnalyzerTenantTest, QualifiedByTableAliasOrSchema) {
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE orders.tenant_id = 'a'"), TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("SELECT * FROM orders o WHERE o.tenant_id = 'a'"), TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("SELECT * FROM orders AS o WHERE o.tenant_id = $1"), TenantRef::Param(1));
  EXPECT_EQ(Tenant("SELECT * FROM sales.orders WHERE sales.orders.tenant_id = 'a'"),
            TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("SELECT * FROM sales.orders so WHERE so.tenant_id = 'a'"),
            TenantRef::Literal("a"));
  // An alias hides the table's own name, and an unknown qualifier resolves to nothing.
  EXPECT_EQ(Tenant("SELECT * FROM orders o WHERE orders.tenant_id = 'a'"), TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM orders WHERE x.tenant_id = 'a'"), TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, JoinsResolveThroughAliases) {
  EXPECT_EQ(Tenant("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
                   "WHERE c.tenant_id = $1 AND o.total > 10"),
            TenantRef::Param(1));
  EXPECT_EQ(Tenant("SELECT * FROM orders o, customers c WHERE o.cid = c.id AND c.tenant_id = 7"),
            TenantRef::Literal("7"));
  // INNER JOIN ... ON conjuncts filter like WHERE; outer join conditions do not.
  EXPECT_EQ(Tenant("SELECT * FROM orders o JOIN items i ON i.oid = o.id AND i.tenant_id = 'a'"),
            TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("SELECT * FROM orders o LEFT JOIN items i ON i.tenant_id = 'a'"),
            TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, PerTableKeyColumnOverride) {
  EXPECT_EQ(Tenant("SELECT * FROM accounts WHERE org_id = 'x'"), TenantRef::Literal("x"));
  EXPECT_EQ(Tenant("SELECT * FROM accounts WHERE tenant_id = 'x'"), TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM app.accounts a WHERE a.org_id = 'x'"), TenantRef::Literal("x"));
  // A schema-qualified override applies only to the table written with that schema.
  EXPECT_EQ(Tenant("SELECT * FROM billing.invoices WHERE customer_org = 7"),
            TenantRef::Literal("7"));
  EXPECT_EQ(Tenant("SELECT * FROM invoices WHERE customer_org = 7"), TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM invoices WHERE tenant_id = 7"), TenantRef::Literal("7"));
  const StatementDetail& d =
      One("SELECT * FROM accounts a JOIN orders o ON o.aid = a.id "
          "WHERE a.org_id = 'x' AND o.tenant_id = 'x'");
  EXPECT_EQ(d.tenant, TenantRef::Literal("x"));
  EXPECT_FALSE(d.tenant_conflict);
}

TEST_F(PgQueryAnalyzerTenantTest, OrNotAndSubqueriesAreNotUsed) {
  const StatementDetail& either = One("SELECT * FROM t WHERE tenant_id = 'a' OR tenant_id = 'b'");
  EXPECT_EQ(either.tenant, TenantRef::None());
  EXPECT_FALSE(either.tenant_conflict);
  EXPECT_TRUE(either.tenant_refs.empty());
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE NOT (tenant_id = 'a')"), TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE (tenant_id = 'a' OR x = 1) AND y = 2"),
            TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE tenant_id <> 'a'"), TenantRef::None());
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE tenant_id = 'a')"),
            TenantRef::None());
  // Nested ANDs are still top-level conjuncts.
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE x = 1 AND (y = 2 AND tenant_id = 'a')"),
            TenantRef::Literal("a"));
}

TEST_F(PgQueryAnalyzerTenantTest, ConflictingLiteralsAreFlagged) {
  const StatementDetail& same = One("SELECT * FROM t WHERE tenant_id = 'a' AND tenant_id = 'b'");
  EXPECT_TRUE(same.tenant_conflict);
  EXPECT_EQ(same.tenant, TenantRef::None());
  EXPECT_EQ(same.tenant_refs.size(), 2u);
  EXPECT_TRUE(One("SELECT * FROM orders o JOIN customers c ON c.id = o.cid "
                  "WHERE o.tenant_id = 'a' AND c.tenant_id = 'b'")
                  .tenant_conflict);
  EXPECT_TRUE(One("SELECT * FROM t WHERE tenant_id IN ('a', 'b')").tenant_conflict);
  EXPECT_EQ(Tenant("SELECT * FROM t WHERE tenant_id IN ('a')"), TenantRef::Literal("a"));
  const StatementDetail& twice = One("SELECT * FROM t WHERE tenant_id = 'a' AND 'a' = tenant_id");
  EXPECT_FALSE(twice.tenant_conflict);
  EXPECT_EQ(twice.tenant, TenantRef::Literal("a"));
}

TEST_F(PgQueryAnalyzerTenantTest, MixedLiteralAndParametersAreAllReported) {
  const StatementDetail& mixed = One("SELECT * FROM t WHERE tenant_id = $1 AND tenant_id = 'a'");
  EXPECT_EQ(mixed.tenant, TenantRef::Literal("a"));
  EXPECT_EQ(mixed.tenant_refs,
            (std::vector<TenantRef>{TenantRef::Param(1), TenantRef::Literal("a")}));
  const StatementDetail& two =
      One("SELECT * FROM orders o JOIN customers c ON c.id = o.cid "
          "WHERE o.tenant_id = $1 AND c.tenant_id = $2");
  EXPECT_EQ(two.tenant, TenantRef::None());
  EXPECT_FALSE(two.tenant_conflict);
  EXPECT_EQ(two.tenant_refs, (std::vector<TenantRef>{TenantRef::Param(1), TenantRef::Param(2)}));
}

TEST_F(PgQueryAnalyzerTenantTest, SetOperationsNeedEveryArm) {
  EXPECT_EQ(Tenant("SELECT id FROM a WHERE tenant_id = 'x' UNION ALL "
                   "SELECT id FROM b WHERE tenant_id = 'x'"),
            TenantRef::Literal("x"));
  EXPECT_EQ(Tenant("SELECT id FROM a WHERE tenant_id = 'x' UNION SELECT id FROM b"),
            TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, InsertValuesSingleAndMultiRow) {
  const StatementDetail& d =
      One("INSERT INTO orders (id, tenant_id, total) VALUES (1, 'acme', 10)");
  EXPECT_EQ(d.kind, K::kInsert);
  EXPECT_EQ(d.table, "orders");
  EXPECT_EQ(d.tenant, TenantRef::Literal("acme"));
  EXPECT_EQ(Tenant("INSERT INTO orders (id, tenant_id) VALUES ($1, $2)"), TenantRef::Param(2));
  EXPECT_EQ(Tenant("INSERT INTO orders (tenant_id, id) VALUES ('a', 1), ('a', 2), ('a', 3)"),
            TenantRef::Literal("a"));
  EXPECT_TRUE(One("INSERT INTO orders (tenant_id, id) VALUES ('a', 1), ('b', 2)").tenant_conflict);
  EXPECT_EQ(Tenant("INSERT INTO orders (tenant_id, id) VALUES ('a', 1), (DEFAULT, 2)"),
            TenantRef::None());
  EXPECT_EQ(Tenant("INSERT INTO orders (tenant_id, id) VALUES (lower('A'), 1)"), TenantRef::None());
  // Without a column list the key's position is unknown.
  EXPECT_EQ(Tenant("INSERT INTO orders VALUES ('a', 1)"), TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, InsertWithSchemaOverrideAndOnConflict) {
  const StatementDetail& d =
      One("INSERT INTO billing.invoices (customer_org, n) VALUES ($1, $2) "
          "ON CONFLICT (customer_org, n) DO UPDATE SET n = EXCLUDED.n");
  EXPECT_EQ(d.table, "billing.invoices");
  EXPECT_EQ(d.tenant, TenantRef::Param(1));
  EXPECT_EQ(Tenant("INSERT INTO t (tenant_id, k) VALUES ('a', 1) ON CONFLICT DO NOTHING"),
            TenantRef::Literal("a"));
  EXPECT_TRUE(One("INSERT INTO t (tenant_id, k) VALUES ('a', 1) "
                  "ON CONFLICT (k) DO UPDATE SET tenant_id = 'b'")
                  .tenant_conflict);
}

TEST_F(PgQueryAnalyzerTenantTest, InsertSelectUsesValueOrSourceKey) {
  EXPECT_EQ(Tenant("INSERT INTO archive (tenant_id, id) "
                   "SELECT tenant_id, id FROM orders WHERE tenant_id = $1"),
            TenantRef::Param(1));
  EXPECT_EQ(Tenant("INSERT INTO archive (tenant_id, id) SELECT 'a', id FROM orders "
                   "WHERE tenant_id = 'a'"),
            TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("INSERT INTO archive (tenant_id, id) SELECT owner, id FROM orders "
                   "WHERE tenant_id = 'a'"),
            TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, UpdateAndDelete) {
  const StatementDetail& up = One("UPDATE orders SET total = 5 WHERE tenant_id = 'a' AND id = 3");
  EXPECT_EQ(up.kind, K::kUpdate);
  EXPECT_EQ(up.table, "orders");
  EXPECT_EQ(up.tenant, TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("UPDATE orders o SET total = 0 FROM customers c "
                   "WHERE c.id = o.cid AND c.tenant_id = $1"),
            TenantRef::Param(1));
  // Moving a row to another tenant spans two tenants.
  EXPECT_TRUE(One("UPDATE orders SET tenant_id = 'b' WHERE tenant_id = 'a'").tenant_conflict);

  const StatementDetail& del = One("DELETE FROM sales.orders WHERE tenant_id = $1");
  EXPECT_EQ(del.kind, K::kDelete);
  EXPECT_EQ(del.table, "sales.orders");
  EXPECT_EQ(del.tenant, TenantRef::Param(1));
  EXPECT_EQ(Tenant("DELETE FROM orders o USING customers c WHERE c.id = o.cid AND c.tenant_id = 9"),
            TenantRef::Literal("9"));
  EXPECT_EQ(Tenant("DELETE FROM orders"), TenantRef::None());
}

TEST_F(PgQueryAnalyzerTenantTest, CopyAndQueriesInsideOtherStatements) {
  const StatementDetail& in = One("COPY sales.orders (id, tenant_id) FROM STDIN");
  EXPECT_EQ(in.kind, K::kCopy);
  EXPECT_EQ(in.table, "sales.orders");
  EXPECT_TRUE(in.copy_from);
  EXPECT_EQ(in.tenant, TenantRef::None());
  const StatementDetail& out = One("COPY (SELECT * FROM orders WHERE tenant_id = 'a') TO STDOUT");
  EXPECT_EQ(out.kind, K::kCopy);
  EXPECT_FALSE(out.copy_from);
  EXPECT_EQ(out.tenant, TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("PREPARE q (int) AS SELECT * FROM orders WHERE tenant_id = $1"),
            TenantRef::Param(1));
  EXPECT_EQ(Tenant("DECLARE c CURSOR FOR SELECT * FROM orders WHERE tenant_id = 'a'"),
            TenantRef::Literal("a"));
  EXPECT_EQ(Tenant("EXPLAIN ANALYZE DELETE FROM orders WHERE tenant_id = 'a'"),
            TenantRef::Literal("a"));
}

TEST_F(PgQueryAnalyzerTenantTest, MultiStatementStringsKeepEachStatement) {
  const StatementInfo& info =
      Info("BEGIN; UPDATE orders SET x = 1 WHERE tenant_id = 'a';\n  SELECT 2 ; COMMIT");
  ASSERT_EQ(info.statements.size(), 4u);
  EXPECT_EQ(info.statements[0].kind, K::kBegin);
  EXPECT_EQ(info.statements[1].kind, K::kUpdate);
  EXPECT_EQ(info.statements[1].tenant, TenantRef::Literal("a"));
  EXPECT_EQ(info.statements[1].text, "UPDATE orders SET x = 1 WHERE tenant_id = 'a'");
  EXPECT_EQ(info.statements[2].text, "SELECT 2");
  EXPECT_EQ(info.statements[3].kind, K::kCommit);
  EXPECT_EQ(info.statements[3].text, "COMMIT");
}

TEST_F(PgQueryAnalyzerTenantTest, EmptyTextIsOneEmptyStatement) {
  for (std::string_view sql : {"", "  ;  ", "/* nothing */", ";;"}) {
    const StatementInfo& info = Info(sql);
    ASSERT_EQ(info.statements.size(), 1u) << sql;
    EXPECT_EQ(info.statements[0].kind, K::kEmpty) << sql;
  }
}

}  // namespace
}  // namespace domicile::testing
