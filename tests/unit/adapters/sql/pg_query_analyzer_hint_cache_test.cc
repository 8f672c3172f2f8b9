// Comment hints, parse errors and limits, the statement cache, and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "unit/adapters/sql/analyzer_test_util.h"

namespace domicile::testing {
namespace {

class PgQueryAnalyzerHintTest : public AnalyzerFixture {};

TEST_F(PgQueryAnalyzerHintTest, BlockAndLineCommentHints) {
  const StatementInfo& block = Info("/* domicile.tenant=acme */ SELECT * FROM t");
  EXPECT_EQ(block.hint, TenantRef::Literal("acme"));
  EXPECT_EQ(block.statements[0].hint, TenantRef::Literal("acme"));
  EXPECT_EQ(Info("-- domicile.tenant=acme\nSELECT 1").hint, TenantRef::Literal("acme"));
  EXPECT_EQ(Info("SELECT 1 /* app=web, domicile.tenant = 'acme corp' */").hint,
            TenantRef::Literal("acme corp"));
  EXPECT_EQ(Info("SELECT 1 /*domicile.tenant=t-42*/").hint, TenantRef::Literal("t-42"));
  EXPECT_EQ(Info("SELECT 1 -- DOMICILE.TENANT=7").hint, TenantRef::Literal("7"));
  EXPECT_EQ(Info("SELECT 1 /* domicile.tenant_x=7 domicile.tenant */").hint, TenantRef::None());
}

TEST_F(PgQueryAnalyzerHintTest, FakeHintsInLiteralsDoNotCount) {
  EXPECT_EQ(Info("SELECT '/* domicile.tenant=x */'").hint, TenantRef::None());
  EXPECT_EQ(Info("SELECT '-- domicile.tenant=x'").hint, TenantRef::None());
  EXPECT_EQ(Info("SELECT $$ /* domicile.tenant=x */ $$").hint, TenantRef::None());
  EXPECT_EQ(Info("SELECT 1 AS \"/* domicile.tenant=x */\"").hint, TenantRef::None());
  EXPECT_EQ(Info("SELECT E'\\' /* domicile.tenant=x */'").hint, TenantRef::None());
  EXPECT_EQ(Info("SELECT '/* domicile.tenant=x */' /* domicile.tenant=y */").hint,
            TenantRef::Literal("y"));
}

TEST_F(PgQueryAnalyzerHintTest, HintsAttachToTheirStatement) {
  const StatementInfo& info = Info("SELECT 1; /* domicile.tenant=b */ SELECT 2");
  ASSERT_EQ(info.statements.size(), 2u);
  EXPECT_EQ(info.statements[0].hint, TenantRef::None());
  EXPECT_EQ(info.statements[1].hint, TenantRef::Literal("b"));
  EXPECT_EQ(info.hint, TenantRef::Literal("b"));
  EXPECT_FALSE(info.hint_conflict);
  const StatementInfo& two =
      Info("SELECT 1 /* domicile.tenant=a */; SELECT 2 -- domicile.tenant=b");
  EXPECT_TRUE(two.hint_conflict);
  EXPECT_EQ(two.statements[0].hint, TenantRef::Literal("a"));
  EXPECT_EQ(two.statements[1].hint, TenantRef::Literal("b"));
}

TEST(PgQueryAnalyzerErrorTest, SyntaxErrorCarriesMessageAndPosition) {
  // The lexical fast path leaves the syntax of plain tenant-less DML to the shard.
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.lexical_fast_path = false});
  auto result = analyzer.Analyze("SELEC 1");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  auto error = ParseSqlSyntaxError(result.status());
  ASSERT_TRUE(error.has_value()) << result.status().ToString();
  EXPECT_EQ(error->message, "syntax error at or near \"SELEC\"");
  EXPECT_EQ(error->position, 1);

  auto at_end = ParseSqlSyntaxError(analyzer.Analyze("SELECT * FROM t WHERE").status());
  ASSERT_TRUE(at_end.has_value());
  EXPECT_EQ(at_end->message, "syntax error at end of input");
  EXPECT_EQ(at_end->position, 22);

  auto second = ParseSqlSyntaxError(analyzer.Analyze("SELECT 1; SELECT FROM WHERE ;").status());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->position, 23);
}

TEST(PgQueryAnalyzerErrorTest, LimitsAreNotSyntaxErrors) {
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.max_sql_bytes = 16});
  auto too_long = analyzer.Analyze("SELECT 1234567890123456789");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSqlSyntaxError(too_long.status()).has_value());
  EXPECT_TRUE(analyzer.Analyze("SELECT 1").ok());
  auto nul = analyzer.Analyze(std::string_view("SELECT\0 1", 9));
  ASSERT_FALSE(nul.ok());
  EXPECT_FALSE(ParseSqlSyntaxError(nul.status()).has_value());
  EXPECT_FALSE(ParseSqlSyntaxError(Status()).has_value());
}

TEST(PgQueryAnalyzerCacheTest, SecondCallReturnsTheSamePointer) {
  // The text cache alone: with the shape cache on, RecentShapes in front of it would answer
  // the repeat of a text without literals.
  PgQueryStatementAnalyzer analyzer({}, PgQueryAnalyzerOptions{.shape_cache = false});
  auto first = analyzer.Analyze("SELECT * FROM t WHERE tenant_id = $1");
  auto again = analyzer.Analyze("SELECT * FROM t WHERE tenant_id = $1");
  auto other = analyzer.Analyze("SELECT * FROM t WHERE tenant_id = $2");
  ASSERT_TRUE(first.ok() && again.ok() && other.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_NE(first->get(), other->get());
  auto stats = analyzer.cache_stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.entries, 2u);
  // Errors are not cached: they are reported afresh every time.
  EXPECT_FALSE(analyzer.Analyze("SELEC").ok());
  EXPECT_FALSE(analyzer.Analyze("SELEC").ok());
  EXPECT_EQ(analyzer.cache_stats().entries, 2u);
}

TEST(PgQueryAnalyzerCacheTest, BoundedDisabledAndLongTexts) {
  // Texts the fast path answers are not cached at all; this test is about parsed ones.
  PgQueryStatementAnalyzer one({}, PgQueryAnalyzerOptions{.cache_entries = 1,
                                                         .lexical_fast_path = false,
                                                         .shape_cache = false});
  auto a = one.Analyze("SELECT 1");
  ASSERT_TRUE(one.Analyze("SELECT 2").ok());  // evicts SELECT 1
  auto a2 = one.Analyze("SELECT 1");
  ASSERT_TRUE(a.ok() && a2.ok());
  EXPECT_NE(a->get(), a2->get());
  EXPECT_EQ(one.cache_stats().entries, 1u);

  PgQueryStatementAnalyzer off({}, PgQueryAnalyzerOptions{.cache_entries = 0,
                                                         .lexical_fast_path = false});
  EXPECT_NE(off.Analyze("SELECT 1")->get(), off.Analyze("SELECT 1")->get());
  EXPECT_EQ(off.cache_stats().entries, 0u);

  PgQueryStatementAnalyzer small({}, PgQueryAnalyzerOptions{.max_cached_sql_bytes = 8,
                                                           .lexical_fast_path = false,
                                                           .shape_cache = false});
  EXPECT_EQ(small.Analyze("SELECT 1")->get(), small.Analyze("SELECT 1")->get());
  EXPECT_NE(small.Analyze("SELECT 10")->get(), small.Analyze("SELECT 10")->get());
}

// Texts with literals go to the shape cache first (statement_shape_test.cc): with it on,
// threads share templates; with it off, the text cache alone, whose counts are checked.
class PgQueryAnalyzerConcurrencyTest : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(ShapeCacheOffAndOn, PgQueryAnalyzerConcurrencyTest, ::testing::Bool());

TEST_P(PgQueryAnalyzerConcurrencyTest, ManyThreadsShareOneCache) {
  const bool shapes = GetParam();
  PgQueryStatementAnalyzer analyzer(
      {}, PgQueryAnalyzerOptions{.cache_entries = 64, .shape_cache = shapes});
  constexpr int kTexts = 40;  // more than fits, so threads also evict under each other
  constexpr int kThreads = 6;
  constexpr int kRounds = 300;
  std::vector<std::string> texts;
  for (int i = 0; i < kTexts; ++i) {
    texts.push_back("SELECT * FROM t WHERE id = $1 AND tenant_id = 'tenant" + std::to_string(i) +
                    "'");
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        int i = (r * 7 + t) % kTexts;
        auto result = analyzer.Analyze(texts[i]);
        if (!result.ok() || (*result)->statements.size() != 1 ||
            (*result)->statements[0].tenant != TenantRef::Literal("tenant" + std::to_string(i))) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto stats = analyzer.cache_stats();
  if (!shapes) {
    EXPECT_EQ(stats.hits + stats.misses, static_cast<uint64_t>(kThreads * kRounds));
  }
  EXPECT_LE(stats.entries, 64u);
}

TEST(PgQueryAnalyzerRulesTest, KeyColumnLookupPrefersSchemaQualifiedEntry) {
  RoutingRules rules;
  rules.table_key_columns["orders"] = "org";
  rules.table_key_columns["eu.orders"] = "eu_org";
  EXPECT_EQ(rules.KeyColumnFor("", "orders"), "org");
  EXPECT_EQ(rules.KeyColumnFor("us", "orders"), "org");
  EXPECT_EQ(rules.KeyColumnFor("eu", "orders"), "eu_org");
  EXPECT_EQ(rules.KeyColumnFor("eu", "items"), "tenant_id");
}

}  // namespace
}  // namespace domicile::testing
