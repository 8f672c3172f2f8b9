#include "adapters/sql/pgquery/lexical_fast_path.h"

#include <gtest/gtest.h>

#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"
#include "adapters/sql/pgquery/statement_shape.h"

namespace domicile::pgquery {
namespace {

RoutingRules Rules() {
  RoutingRules rules;
  rules.table_key_columns["orders"] = "customer_id";
  return rules;
}

// Whatever the fast path answers must be exactly what a full parse says.
TEST(LexicalFastPathTest, AgreesWithTheFullParseWhereItAnswers) {
  PgQueryStatementAnalyzer analyzer(Rules());
  const char* texts[] = {
      "SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
      "  select 1  ",
      "UPDATE pgbench_accounts SET abalance = abalance + -12 WHERE aid = 99;",
      "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, now())",
      "DELETE FROM t WHERE id = $1",
      "SELECT 'a;b'",
      "select 4/2, 5-1, - -3 FROM t",  // '/' and '-' that start no comment
  };
  int answered = 0;
  for (const char* text : texts) {
    auto fast = LexicalFastPath(Rules()).TryAnswer(text);
    if (!fast) continue;
    ++answered;
    auto full = analyzer.AnalyzeUncached(text);
    ASSERT_TRUE(full.ok()) << text;
    ASSERT_EQ((*full)->statements.size(), 1u) << text;
    const auto& a = fast->statements[0];
    const auto& b = (*full)->statements[0];
    EXPECT_EQ(a.kind, b.kind) << text;
    // The answer stands for the whole text: the parse finds one statement spanning it.
    EXPECT_TRUE(fast->whole_text_is_statement) << text;
    EXPECT_EQ(StatementBody(text), b.text) << text;
    EXPECT_EQ(a.tenant, b.tenant) << text;
    EXPECT_EQ(a.tenant_refs, b.tenant_refs) << text;
    EXPECT_EQ(a.hint, b.hint) << text;
    EXPECT_EQ(a.session, b.session) << text;
    EXPECT_EQ(fast->hint, (*full)->hint) << text;
    EXPECT_EQ(fast->session, (*full)->session) << text;
  }
  EXPECT_EQ(answered, 6);  // all but the one with ';' inside a literal
}

TEST(LexicalFastPathTest, DeclinesAnythingThatMayNameATenantOrMakeSessionState) {
  const char* texts[] = {
      "SELECT * FROM t WHERE tenant_id = 'a'",          // default key column
      "SELECT * FROM orders WHERE Customer_Id = 7",      // per-table key column, any case
      "SELECT * FROM t /* domicile.tenant=a */",         // hint
      "SELECT 1 -- domicile.tenant=a",                   // hint
      "SET domicile.tenant = 'a'",                       // router variable
      "SELECT pg_advisory_lock(1)",                      // pins the session
      "SELECT * INTO TEMP x FROM t",                     // creates a temp table
      "SELECT * INTO x FROM t",                          // creates a table
      "CREATE TEMP TABLE x (a int)",
      "BEGIN",
      "SELECT 1; SELECT 2",                              // several statements
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "selectfoo",
      "SELECT 1--2",                                     // a comment, not arithmetic
      "SELECT * FROM t WHERE note = 'a/*b'",             // comment-like text: parse to be sure
      "Select * From pg_Temp.x",                         // session-state words in any case
      "UPDATE t SET a = 1 WHERE TENANT_ID = 5",          // a key column in upper case
      "SELECT a FROM t ORDER BY tenant_id",              // a key column that ends the text
      "SELECT a InTo x FROM t",                          // INTO in any case
  };
  for (const char* text : texts) EXPECT_EQ(LexicalFastPath(Rules()).TryAnswer(text), nullptr) << text;
}

// The scan reads sixteen bytes at a time and the tail one by one: whatever the word's
// offset from a block's start (across the edge, last in the text), it is found.
TEST(LexicalFastPathTest, FindsWordsAtEveryOffsetFromTheScansBlocks) {
  LexicalFastPath fast(Rules());
  for (size_t pad = 0; pad < 40; ++pad) {
    const std::string head = "SELECT a FROM t WHERE b = 1" + std::string(pad, ' ');
    EXPECT_NE(fast.TryAnswer(head + " AND c = 2"), nullptr) << pad;
    for (const char* tail : {"AND TENANT_ID = 2", "AND customer_id = 2", "AND pg_temp.x = 2",
                             "/* domicile.tenant=a */", "-- x", "; SELECT 2"}) {
      EXPECT_EQ(fast.TryAnswer(head + tail), nullptr) << pad << " " << tail;
      EXPECT_EQ(fast.TryAnswer(head + tail + " AND d = 3"), nullptr) << pad << " " << tail;
    }
    std::string with_nul = head + "x";
    with_nul.back() = '\0';
    EXPECT_EQ(fast.TryAnswer(with_nul + " AND c = 2"), nullptr) << pad;
    EXPECT_EQ(fast.TryAnswer("SELECT a " + std::string(pad, ' ') + "INTO x FROM t"), nullptr) << pad;
  }
}

TEST(LexicalFastPathTest, DeclinesTextWithANulByte) {
  using namespace std::string_view_literals;
  EXPECT_EQ(LexicalFastPath(Rules()).TryAnswer("SELECT 'x\0y' FROM t"sv), nullptr);
}

TEST(LexicalFastPathTest, AnalyzerAnswersTheSameWithAndWithoutIt) {
  PgQueryStatementAnalyzer fast(Rules());
  PgQueryStatementAnalyzer slow(Rules(), PgQueryAnalyzerOptions{.lexical_fast_path = false});
  for (const char* text : {"SELECT abalance FROM a WHERE aid = 7", "BEGIN",
                           "SELECT * FROM t WHERE tenant_id = 'x'"}) {
    auto a = fast.Analyze(text);
    auto b = slow.Analyze(text);
    ASSERT_TRUE(a.ok() && b.ok()) << text;
    EXPECT_EQ((*a)->statements[0].kind, (*b)->statements[0].kind) << text;
    EXPECT_EQ((*a)->statements[0].tenant, (*b)->statements[0].tenant) << text;
  }
}

// Every text of one kind gets the same immutable answer, whatever else is held meanwhile.
TEST(LexicalFastPathTest, TextsOfOneKindShareOneAnswerThatNeverChanges) {
  LexicalFastPath fast(Rules());
  auto first = fast.TryAnswer("SELECT abalance FROM pgbench_accounts WHERE aid = 1");
  auto update = fast.TryAnswer("UPDATE pgbench_accounts SET abalance = 0 WHERE aid = 2");
  auto again = fast.TryAnswer("select 2");
  ASSERT_TRUE(first && update && again);
  EXPECT_EQ(first.get(), again.get());
  EXPECT_NE(first.get(), update.get());
  ASSERT_EQ(first->statements.size(), 1u);
  EXPECT_EQ(first->statements[0].kind, StatementKind::kSelect);
  EXPECT_EQ(first->TextOf(0, "SELECT 7"), "SELECT 7");
  EXPECT_EQ(update->statements[0].kind, StatementKind::kUpdate);
  auto del = fast.TryAnswer("DELETE FROM t WHERE id = 3");
  auto ins = fast.TryAnswer("INSERT INTO t VALUES (3)");
  ASSERT_TRUE(del && ins);
  EXPECT_EQ(del->statements[0].kind, StatementKind::kDelete);
  EXPECT_EQ(ins->statements[0].kind, StatementKind::kInsert);
  EXPECT_EQ(first->statements[0].kind, StatementKind::kSelect);
}

}  // namespace
}  // namespace domicile::pgquery
