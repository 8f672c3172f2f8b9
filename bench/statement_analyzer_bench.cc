// Statement analysis cost: a cold libpg_query parse against a cache hit, pgbench-shaped query.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "adapters/sql/pgquery/lexical_fast_path.h"
#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"

namespace domicile {
namespace {

constexpr std::string_view kPgbenchSelect =
    "SELECT abalance FROM pgbench_accounts WHERE aid = $1 AND tenant_id = $2";
constexpr std::string_view kPgbenchUpdate =
    "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2 AND tenant_id = $3";
constexpr std::string_view kHinted =
    "/* domicile.tenant=acme */ SELECT abalance FROM pgbench_accounts WHERE aid = $1";

// What every cache miss costs: parse, unpack, walk (and scan comments when hinted).
void BM_ColdParse(benchmark::State& state, std::string_view sql) {
  PgQueryStatementAnalyzer analyzer({});
  for (auto _ : state) {
    auto result = analyzer.AnalyzeUncached(sql);
    if (!result.ok()) state.SkipWithError(result.status().message().c_str());
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_ColdParse, pgbench_select, kPgbenchSelect);
BENCHMARK_CAPTURE(BM_ColdParse, pgbench_update, kPgbenchUpdate);
BENCHMARK_CAPTURE(BM_ColdParse, hinted_select, kHinted);

// Simple-protocol DML with literals (pgbench -M simple): answered from the text, no parse.
void BM_LexicalFastPath(benchmark::State& state, std::string_view sql) {
  RoutingRules rules;
  rules.default_key_column = "tenant_id";
  pgquery::LexicalFastPath fast_path(rules);
  if (!fast_path.TryAnswer(sql)) state.SkipWithError("not answered by the fast path");
  for (auto _ : state) {
    auto result = fast_path.TryAnswer(sql);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_LexicalFastPath, pgbench_select,
                  std::string_view("SELECT abalance FROM pgbench_accounts WHERE aid = 48213;"));
BENCHMARK_CAPTURE(BM_LexicalFastPath, pgbench_update,
                  std::string_view("UPDATE pgbench_accounts SET abalance = abalance + -2331 "
                                   "WHERE aid = 74112;"));
BENCHMARK_CAPTURE(BM_LexicalFastPath, pgbench_insert,
                  std::string_view("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
                                   "VALUES (7, 1, 74112, -2331, CURRENT_TIMESTAMP);"));

// Simple-protocol DML naming its tenant by a literal (pgwire_compare.sh --two-shards): every
// text is new, so its analysis comes from its shape's template. The values change per
// iteration, as they do in the benchmark's traffic; the result is dropped before the next
// statement, as a session drops it.
void BM_KeyedLiteral(benchmark::State& state) {
  PgQueryStatementAnalyzer analyzer({});
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    texts.push_back("SELECT abalance FROM accounts WHERE tenant_id = " + std::to_string(i + 1) +
                    " AND aid = " + std::to_string(i * 37 % 1000 + 1) + ";");
  }
  (void)analyzer.Analyze(texts[0]);
  size_t i = 0;
  for (auto _ : state) {
    auto result = analyzer.Analyze(texts[i++ & 63]);
    if (!result.ok() || !(*result)->statements[0].tenant.is_literal()) {
      state.SkipWithError("keyed text not analyzed");
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_KeyedLiteral);

// pgbench's TPC-B-like statements with new values each time, through the whole analyzer:
// after their first texts they are recognised by shape (RecentShapes), not scanned by the fast
// path. Nine shapes in turn, as pgbench -M simple sends them (a negative delta is a shape).
void BM_UnkeyedLiterals(benchmark::State& state) {
  PgQueryStatementAnalyzer analyzer({});
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    const std::string aid = std::to_string(i * 7919 % 100000 + 1);
    const std::string delta = std::to_string(i % 2 ? -(i * 37 % 5000) : i * 37 % 5000);
    const std::string tid = std::to_string(i % 10 + 1);
    texts.push_back("UPDATE pgbench_accounts SET abalance = abalance + " + delta +
                    " WHERE aid = " + aid + ";");
    texts.push_back("SELECT abalance FROM pgbench_accounts WHERE aid = " + aid + ";");
    texts.push_back("UPDATE pgbench_tellers SET tbalance = tbalance + " + delta +
                    " WHERE tid = " + tid + ";");
    texts.push_back("UPDATE pgbench_branches SET bbalance = bbalance + " + delta +
                    " WHERE bid = 1;");
    texts.push_back("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (" + tid +
                    ", 1, " + aid + ", " + delta + ", CURRENT_TIMESTAMP);");
  }
  size_t i = 0;
  for (auto _ : state) {
    auto result = analyzer.Analyze(texts[i++ % texts.size()]);
    if (!result.ok() || !(*result)->statements[0].tenant.is_none()) {
      state.SkipWithError("text not analyzed");
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_UnkeyedLiterals);

// The steady state of a hot query: one shard lock, one hash lookup, one shared_ptr copy.
void BM_CacheHit(benchmark::State& state) {
  // Shared by the threads of a run; its thread-safe static initialization parses once.
  static PgQueryStatementAnalyzer analyzer({});
  (void)analyzer.Analyze(kPgbenchSelect);
  for (auto _ : state) {
    auto result = analyzer.Analyze(kPgbenchSelect);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CacheHit)->Threads(1)->Threads(2);

// A working set of distinct hot texts, so lookups spread over the cache's shards.
void BM_CacheHitSpread(benchmark::State& state) {
  PgQueryStatementAnalyzer analyzer({});
  std::vector<std::string> texts;
  for (int i = 0; i < 256; ++i) {
    texts.push_back(std::string(kPgbenchSelect) + " /* q" + std::to_string(i) + " */");
    (void)analyzer.Analyze(texts.back());
  }
  size_t i = 0;
  for (auto _ : state) {
    auto result = analyzer.Analyze(texts[i++ & 255]);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CacheHitSpread);

}  // namespace
}  // namespace domicile

BENCHMARK_MAIN();
