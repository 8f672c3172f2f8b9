#include "adapters/sql/pgquery/statement_shape.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"
#include "adapters/sql/pgquery/recent_shapes.h"

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

// Runs `body` on a new thread, whose RecentShapes is fresh: what it remembers, and the credit
// for remembering more, does not depend on the tests that ran before on this thread.
template <typename Body>
void OnFreshThread(Body body) {
  std::thread(body).join();
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
  // The same texts through an analyzer: from the second text of a shape on, its answers come
  // from this thread's RecentShapes, written over the answer to an earlier text.
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  for (const auto& shape : shapes) {
    std::shared_ptr<const StatementInfo> tmpl;
    for (int round = 0; round < 60; ++round) {
      std::string text = fill(shape);
      auto scan = ScanShape(text);
      ASSERT_TRUE(scan.has_value()) << text;
      auto full = Parser().Analyze(text);
      ASSERT_TRUE(full.ok()) << text << ": " << full.status().ToString();
      auto recent = analyzer.Analyze(text);
      ASSERT_TRUE(recent.ok()) << text;
      ExpectSameRouting(**recent, **full, text);
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

// ShapePattern stands in for a scan: for any text it must agree with ScanShape on whether
// the text has the pattern's shape, and give the same literal values. Texts are built from
// pieces chosen to sit on the lexer's edges (names with digits, decimals, strings next to
// names or other literals, '' escapes, trailing ';' and space).
TEST(StatementShapeTest, PatternMatchesExactlyTheTextsScanShapeGivesItsShape) {
  const std::vector<std::string> pieces = {"SELECT ",   "a",       " FROM t WHERE ",
                                           "tenant_id", " = ",     "x1",
                                           "1",         "42",      "4.5",
                                           "7.",        "'q'",     "'it''s'",
                                           "''",        "'a\\b'",  "E'x'",
                                           "$1",        " AND ",   ", ",
                                           "(",         ")",       ".",
                                           "-",         "&",       " ",
                                           "\n",        ";",       "a$2",
                                           "\"Q\"",     "'x' 'y'", "/",
                                           "e5",        "0"};
  std::mt19937 rng(11);
  auto text = [&] {
    std::string out;
    const int n = 2 + static_cast<int>(rng() % 9);
    for (int i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
    return out;
  };
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) texts.push_back(text());
  // A decimal with no digits after its point may touch a string; one with digits may not.
  for (const char* edge : {"SELECT 7.'q' FROM t", "SELECT 4.5'q' FROM t", "SELECT 7.'q'x"}) {
    for (int i = 0; i < 7; ++i) texts.push_back(edge);
  }
  // Texts that share shapes: the same frame with other literals.
  for (int i = 0; i < 300; ++i) {
    std::string v = std::to_string(rng() % 100);
    texts.push_back("SELECT a FROM t WHERE tenant_id = " + v + " AND b = '" + v + "'" +
                    (i % 3 == 0 ? ";" : "") + (i % 5 == 0 ? "  " : ""));
    texts.push_back("SELECT a FROM t WHERE tenant_id = " + v + ".5 AND b = 'x" + v + "'");
  }
  int matched = 0;
  std::vector<std::string_view> literals;
  for (size_t p = 0; p < texts.size(); p += 7) {
    auto pattern_scan = ScanShape(texts[p]);
    if (!pattern_scan) continue;
    ShapePattern pattern(pattern_scan->shape);
    for (size_t t = p % 5; t < texts.size(); t += 5) {
      const std::string& candidate = texts[t];
      auto scan = ScanShape(candidate);
      const bool same_shape = scan && scan->shape == pattern.shape();
      const bool has_escape =
          same_shape && StatementBody(candidate).find("''") != std::string_view::npos;
      const bool got = pattern.Match(StatementBody(candidate), literals);
      // With '' in the text declining is allowed (the scan answers it then).
      if (!has_escape || got) {
        ASSERT_EQ(got, same_shape) << "pattern of [" << texts[p] << "] on [" << candidate << "]";
      }
      if (!got) continue;
      ++matched;
      ASSERT_EQ(literals.size(), scan->literals.size()) << candidate;
      for (size_t i = 0; i < literals.size(); ++i) {
        EXPECT_EQ(literals[i], scan->literals[i]) << candidate;
      }
    }
  }
  EXPECT_GT(matched, 500);
}

// A thread's recent shapes answer the second and later texts of a shape. The answers are
// recycled, so one that a caller still holds must keep its own tenant.
TEST(StatementShapeTest, RecentShapesNeverChangeAnAnswerSomeoneHolds) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  auto text = [](int i) {
    return "UPDATE t SET v = v + " + std::to_string(i) + " WHERE tenant_id = 'c" +
           std::to_string(i) + "'";
  };
  std::vector<std::shared_ptr<const StatementInfo>> held;
  for (int i = 0; i < 40; ++i) {
    auto info = analyzer.Analyze(text(i));
    ASSERT_TRUE(info.ok());
    if (i % 3 == 0) held.push_back(*info);  // some kept, more than RecentShapes::kInstances
  }
  for (size_t k = 0; k < held.size(); ++k) {
    const int i = static_cast<int>(k) * 3;
    EXPECT_EQ(held[k]->statements[0].tenant, TenantRef::Literal("c" + std::to_string(i)));
    EXPECT_EQ(held[k]->statements[0].kind, StatementKind::kUpdate);
    EXPECT_EQ(held[k]->TextOf(0, text(i)), text(i));
  }
  EXPECT_EQ(analyzer.cache_stats().entries, 1u);  // parsed once
}

// Analyzers with different key columns on one thread: each answers by its own rules, even
// for a text whose shape the other one met first.
TEST(StatementShapeTest, RecentShapesAreKeptApartPerAnalyzer) {
  RoutingRules by_org;
  by_org.default_key_column = "org";
  PgQueryStatementAnalyzer tenant_keyed({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  PgQueryStatementAnalyzer org_keyed(by_org, PgQueryAnalyzerOptions{.cache_entries = 64});
  for (int i = 0; i < 5; ++i) {
    const std::string v = std::to_string(i);
    const std::string sql = "SELECT * FROM t WHERE tenant_id = " + v + " AND org = 'o" + v + "'";
    auto a = tenant_keyed.Analyze(sql);
    auto b = org_keyed.Analyze(sql);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ((*a)->statements[0].tenant, TenantRef::Literal(v)) << sql;
    EXPECT_EQ((*b)->statements[0].tenant, TenantRef::Literal("o" + v)) << sql;
  }
}

// A text whose string literal holds '' takes the scan's path, with the same answer.
TEST(StatementShapeTest, EscapedQuotesTakeTheScanAndRouteTheSame) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  const std::pair<const char*, const char*> cases[] = {
      {"plain", "plain"}, {"o''brien", "o'brien"}, {"again", "again"}, {"x''''y", "x''y"}};
  for (const auto& [written, value] : cases) {
    std::string sql = std::string("DELETE FROM t WHERE tenant_id = '") + written + "'";
    auto info = analyzer.Analyze(sql);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ((*info)->statements[0].tenant, TenantRef::Literal(value)) << sql;
  }
  EXPECT_EQ(analyzer.cache_stats().entries, 1u);
}

// More shapes in turn than a thread remembers: the oldest are replaced, every answer is still
// the text's own, and each shape is still parsed once (the shape cache behind keeps them).
TEST(StatementShapeTest, MoreShapesThanRememberedStillRouteRight) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  const int shapes = static_cast<int>(RecentShapes::kShapes) + 4;
  for (int round = 0; round < 3; ++round) {
    for (int s = 0; s < shapes; ++s) {
      const std::string tenant = "t" + std::to_string(round * 100 + s);
      const std::string sql =
          "SELECT c" + std::to_string(s) + " FROM t WHERE tenant_id = '" + tenant + "'";
      auto info = analyzer.Analyze(sql);
      ASSERT_TRUE(info.ok());
      EXPECT_EQ((*info)->statements[0].tenant, TenantRef::Literal(tenant)) << sql;
    }
  }
  EXPECT_EQ(analyzer.cache_stats().entries, static_cast<size_t>(shapes));
}

// A text the lexical fast path answers names no tenant, and so does every text of its shape:
// later ones are answered from RecentShapes, also those whose literals hold words that make
// the fast path decline (a key column's name, "domicile", a comment's marks), with the answer
// a full parse gives them, and none of them is parsed.
TEST(StatementShapeTest, FastPathShapesAnswerEveryTextOfTheShapeLikeAFullParse) {
  OnFreshThread([] {
    PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
    const std::vector<std::string> shapes = {
        "SELECT v FROM t WHERE name = {s} AND id = {n}",
        "UPDATE t SET name = {s} WHERE id = {n}",
        "INSERT INTO t (id, name) VALUES ({n}, {s})",
        "DELETE FROM t WHERE name = {s}",
    };
    const std::vector<std::string> strings = {
        "plain",      "tenant_id", "domicile.tenant", "/* domicile.tenant=9 */", "-- x",
        "temp; into", ""};
    size_t k = 0;
    for (const std::string& shape : shapes) {
      for (size_t round = 0; round < strings.size() * 2; ++round, ++k) {
        std::string text;
        for (size_t i = 0; i < shape.size(); ++i) {
          if (shape[i] != '{') {
            text += shape[i];
            continue;
          }
          text += shape[i + 1] == 'n' ? std::to_string(k) : "'" + strings[k % strings.size()] + "'";
          i += 2;
        }
        auto full = Parser().Analyze(text);
        ASSERT_TRUE(full.ok()) << text;
        auto fast = analyzer.Analyze(text);
        ASSERT_TRUE(fast.ok()) << text;
        ExpectSameRouting(**fast, **full, text);
        EXPECT_FALSE((*fast)->statements[0].tenant_conflict) << text;
        EXPECT_TRUE((*fast)->statements[0].tenant.is_none()) << text;
      }
    }
    // The first text of each shape had the fast path's answer; the rest were recognised.
    EXPECT_EQ(analyzer.cache_stats().entries, 0u);
  });
}

// A text without literals is its own shape: once analyzed, it and the same text with other
// surrounding space or a final ';' are answered from RecentShapes (no cache lookup), with
// the answer a full parse gives, session effects and parameters included.
TEST(StatementShapeTest, TextsWithoutLiteralsAreAnsweredFromRecentShapes) {
  OnFreshThread([] {
    PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
    const std::vector<std::string> texts = {"BEGIN",
                                            "COMMIT",
                                            "SET search_path TO app",
                                            "SELECT * FROM t WHERE tenant_id = $1",
                                            "CREATE TEMP TABLE x (a int)",
                                            "BEGIN; SELECT * FROM t WHERE tenant_id = $1"};
    for (const std::string& base : texts) {
      for (const std::string& text : {base, base + ";", "  " + base + " ;\n", base}) {
        auto full = Parser().Analyze(text);
        ASSERT_TRUE(full.ok()) << text;
        auto recent = analyzer.Analyze(text);
        ASSERT_TRUE(recent.ok()) << text;
        ASSERT_EQ((*recent)->statements.size(), (*full)->statements.size()) << text;
        for (size_t i = 0; i < (*full)->statements.size(); ++i) {
          EXPECT_EQ((*recent)->statements[i].kind, (*full)->statements[i].kind) << text;
          EXPECT_EQ((*recent)->TextOf(i, text), (*full)->TextOf(i, text)) << text;
          EXPECT_EQ((*recent)->statements[i].tenant_refs, (*full)->statements[i].tenant_refs);
          EXPECT_EQ((*recent)->statements[i].session, (*full)->statements[i].session) << text;
        }
        EXPECT_EQ((*recent)->session, (*full)->session) << text;
      }
    }
    // Each text parsed once, then never looked up in the cache again; except the two
    // statements, which the scan does not model: its three spellings are three texts for the
    // cache, and its repeat a hit there.
    EXPECT_EQ(analyzer.cache_stats().misses, texts.size() - 1 + 3);
    EXPECT_EQ(analyzer.cache_stats().hits, 1u);
  });
}

// Remembering a fast-path shape costs a scan and a pattern build, so it is rationed: a fresh
// thread may remember kShapes at once, then one per kAnswerCost texts of no remembered shape.
TEST(StatementShapeTest, RememberingFastPathShapesIsPaidForByMissedTexts) {
  OnFreshThread([] {
    RecentShapes& recent = RecentShapes::ForThisThread();
    for (size_t i = 0; i < RecentShapes::kShapes; ++i) EXPECT_TRUE(recent.TakeAnswerCredit());
    EXPECT_FALSE(recent.TakeAnswerCredit());
    for (uint32_t i = 0; i + 1 < RecentShapes::kAnswerCost; ++i) {
      EXPECT_EQ(recent.Find(1, "SELECT " + std::to_string(i)), nullptr);
    }
    EXPECT_FALSE(recent.TakeAnswerCredit());
    EXPECT_EQ(recent.Find(1, "SELECT 1"), nullptr);
    EXPECT_TRUE(recent.TakeAnswerCredit());
    EXPECT_FALSE(recent.TakeAnswerCredit());
  });
}

// More fast-path shapes in turn than a thread remembers: every text still has its answer.
TEST(StatementShapeTest, MoreFastPathShapesThanRememberedStillAnswerRight) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.cache_entries = 64});
  const int shapes = static_cast<int>(RecentShapes::kShapes) * 3;
  for (int round = 0; round < 40; ++round) {
    for (int s = 0; s < shapes; ++s) {
      const std::string sql = (s % 2 ? "UPDATE t SET c" : "SELECT c") + std::to_string(s) +
                              (s % 2 ? " = 1 WHERE id = " : " FROM t WHERE id = ") +
                              std::to_string(round);
      auto info = analyzer.Analyze(sql);
      ASSERT_TRUE(info.ok());
      EXPECT_EQ((*info)->statements[0].kind,
                s % 2 ? StatementKind::kUpdate : StatementKind::kSelect)
          << sql;
      EXPECT_TRUE((*info)->statements[0].tenant.is_none()) << sql;
    }
  }
  EXPECT_EQ(analyzer.cache_stats().entries, 0u);
}

}  // namespace
}  // namespace domicile::pgquery
