#include "adapters/sql/pgquery/statement_shape.h"

#include <gtest/gtest.h>

#include <random>

#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"

namespace domicile::pgquery {
namespace {

PgQueryStatementAnalyzer& Parser() {
  static PgQueryStatementAnalyzer parser(
      {},
      PgQueryAnalyzerOptions{.cache_entries = 0, .lexical_fast_path = false, .shape_cache = false});
  return parser;
}

void ExpectSameRouting(const StatementInfo& a, const StatementInfo& b, const std::string& text) {
  ASSERT_EQ(a.statements.size(), b.statements.size()) << text;
  const auto& x = a.statements[0];
  const auto& y = b.statements[0];
  EXPECT_EQ(x.kind, y.kind) << text;
  // An instance's statement is the query string itself (TextOf), trimmed as a parse has it.
  EXPECT_EQ(StatementBody(a.TextOf(0, text)), StatementBody(b.TextOf(0, text))) << text;
  EXPECT_EQ(x.tenant, y.tenant) << text;
  EXPECT_EQ(x.tenant_refs, y.tenant_refs) << text;
  EXPECT_EQ(x.tenant_conflict, y.tenant_conflict) << text;
  EXPECT_EQ(x.session, y.session) << text;
  EXPECT_EQ(a.hint, b.hint) << text;
}

// For each shape: the template comes from one text, then texts with other literal values must
// route exactly as a full parse of them does.
TEST(StatementShapeTest, InstancesRouteLikeAFullParse) {
  const std::vector<std::string> shapes = {
      "SELECT abalance FROM accounts WHERE tenant_id = {s} AND aid = {n}",
      "SELECT * FROM accounts WHERE aid = {n} AND tenant_id = {n}",
      "UPDATE accounts SET abalance = abalance + {n} WHERE tenant_id = {s} AND aid = {n};",
      "INSERT INTO history (tenant_id, aid, delta) VALUES ({s}, {n}, {n})",
      "DELETE FROM t WHERE tenant_id = {s}",
      "SELECT * FROM a JOIN b ON a.id = b.id WHERE a.tenant_id = {s} AND b.tenant_id = {s}",
      "SELECT * FROM t WHERE tenant_id IN ({s}, {s})",
      "SELECT * FROM t WHERE tenant_id = {s} OR x = {n}",
      "SELECT name FROM t WHERE tenant_id = $1 AND name = {s}",
  };
  std::mt19937 rng(7);
  auto literal = [&](char kind) -> std::string {
    int v = static_cast<int>(rng() % 6);  // small range: equal values happen often
    if (kind == 'n') return std::to_string(v);
    std::string s = "t" + std::to_string(v);
    if (rng() % 4 == 0) s += "''q";  // an escaped quote inside
    return "'" + s + "'";
  };
  auto fill = [&](const std::string& shape) {
    std::string out;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == '{') {
        out += literal(shape[i + 1]);
        i += 2;
      } else {
        out += shape[i];
      }
    }
    return out;
  };
  int instantiated = 0;
  for (const auto& shape : shapes) {
    std::shared_ptr<const StatementInfo> tmpl;
    for (int round = 0; round < 60; ++round) {
      std::string text = fill(shape);
      auto scan = ScanShape(text);
      ASSERT_TRUE(scan.has_value()) << text;
      auto full = Parser().Analyze(text);
      ASSERT_TRUE(full.ok()) << text << ": " << full.status().ToString();
      if (!tmpl) {
        tmpl = MakeShapeTemplate(**full, *scan);
        continue;
      }
      auto info = InstantiateShape(*tmpl, *scan);
      ASSERT_NE(info, nullptr) << text;
      ExpectSameRouting(*info, **full, text);
      ++instantiated;
    }
  }
  EXPECT_GT(instantiated, 300);
}

TEST(StatementShapeTest, AmbiguousTenantLiteralMakesNoTemplate) {
  std::string text = "SELECT * FROM t WHERE tenant_id = 'a' AND name = 'a'";
  auto scan = ScanShape(text);
  ASSERT_TRUE(scan);
  auto full = Parser().Analyze(text);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(MakeShapeTemplate(**full, *scan), nullptr);
}

TEST(StatementShapeTest, ScannerDeclinesWhatItDoesNotModel) {
  for (const char* text :
       {"SELECT 1 -- c", "SELECT /* c */ 1", "SELECT $$x$$", "SELECT E'a\\nb'", "SELECT 'a' 'b'",
        "SELECT 1e5", "SELECT .5", "SELECT 0x1F", "SELECT 'a\\b'", "SELECT 1; SELECT 2",
        "SELECT caf\xc3\xa9", "SELECT x'1F'", "SELECT U&'d'", "SELECT 'unterminated"}) {
    EXPECT_FALSE(ScanShape(text).has_value()) << text;
  }
  // UTF-8 inside a string literal is opaque to the lexer, as in PostgreSQL.
  EXPECT_TRUE(ScanShape("SELECT 'caf\xc3\xa9'").has_value());
  auto scan = ScanShape("  SELECT \"Odd\"\"Name\" FROM t WHERE a = 'it''s' AND b = 4.5 ;  ");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->body, "SELECT \"Odd\"\"Name\" FROM t WHERE a = 'it''s' AND b = 4.5");
  EXPECT_EQ(scan->literals, (std::vector<std::string>{"it's", "4.5"}));
}

// The scan passes over names in one loop and looks only at the bytes that can start
// something: digits and '$' inside names are parts of the names, not literals or parameters.
TEST(StatementShapeTest, DigitsAndDollarsInsideNamesAreNotLiterals) {
  auto scan = ScanShape("SELECT t1.a2, x$3 FROM t1 WHERE t1.b9 = -5 AND c = $2 AND d = 'q' || 'r'");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->literals, (std::vector<std::string>{"5", "q", "r"}));
  EXPECT_EQ(scan->shape,
            "SELECT t1.a2, x$3 FROM t1 WHERE t1.b9 = -\x01I AND c = $2 AND d = \x01S || \x01S");
  scan = ScanShape("SELECT a/2, a.b FROM t WHERE n = 1.25");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->literals, (std::vector<std::string>{"2", "1.25"}));
  for (const char* text : {"SELECT 'a'\n 'b'", "SELECT 2x", "SELECT $1a", "SELECT $", "SELECT a.5",
                           "SELECT 1.2.3", "SELECT a -- c", "SELECT a/*c*/", "SELECT \"open"}) {
    EXPECT_FALSE(ScanShape(text).has_value()) << text;
  }
}

// The analyzer keeps one scan per thread and scans into it again and again: what a longer
// or declined text left there must not show in the next one.
TEST(StatementShapeTest, ScanningIntoAUsedScanGivesAFreshScansResult) {
  ShapeScan reused;
  for (const char* text :
       {"UPDATE t SET a = 'x', b = 12, c = 'yy' WHERE tenant_id = 'long-tenant-value'",
        "SELECT 1; SELECT 2", "SELECT * FROM t WHERE tenant_id = 'z'", "SELECT 1e5",
        "  DELETE FROM t WHERE id = 4.5 ;", "SELECT a FROM t"}) {
    auto fresh = ScanShape(text);
    ASSERT_EQ(ScanShapeInto(text, reused), fresh.has_value()) << text;
    if (!fresh) continue;
    EXPECT_EQ(reused.shape, fresh->shape) << text;
    EXPECT_EQ(reused.literals, fresh->literals) << text;
    EXPECT_EQ(reused.body, fresh->body) << text;
  }
}

TEST(StatementShapeTest, AnalyzerParsesOncePerShape) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  for (int i = 0; i < 50; ++i) {
    std::string text = "SELECT * FROM t WHERE tenant_id = 'c" + std::to_string(i) +
                       "' AND id = " + std::to_string(i);
    auto info = analyzer.Analyze(text);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ((*info)->statements[0].tenant, TenantRef::Literal("c" + std::to_string(i)));
  }
  EXPECT_EQ(analyzer.cache_stats().entries, 1u);  // only the first text was parsed and cached
}

}  // namespace
}  // namespace domicile::pgquery
