// PgQueryStatementAnalyzer: the StatementAnalyzer port implemented with libpg_query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "adapters/sql/pgquery/lexical_fast_path.h"
#include "adapters/sql/pgquery/statement_cache.h"
#include "ports/statement_analyzer.h"

namespace domicile {

struct PgQueryAnalyzerOptions {
  // Longer texts are refused without parsing (kInvalidArgument): the parse tree of a huge
  // multi-row INSERT costs far more memory than its text.
  size_t max_sql_bytes = 1 << 20;
  // Distinct texts kept; 0 disables the cache.
  size_t cache_entries = 8192;
  // Longer texts are analyzed every time and never cached: they are rarely repeated
  // (literal bulk loads) and would crowd out the hot, parameterized statements.
  size_t max_cached_sql_bytes = 16 * 1024;
  // Answer plain DML that cannot name a tenant without parsing (see lexical_fast_path.h).
  // Such texts are not syntax-checked here: the shard reports their syntax errors.
  bool lexical_fast_path = true;
  // Reuse one parse for every text of the same shape (literals aside; statement_shape.h).
  bool shape_cache = true;
};

// Parses with libpg_query (PostgreSQL 15 grammar) and caches each text's analysis, so a hot
// query is parsed once. Thread-safe: Analyze may be called from any thread concurrently;
// the cache is sharded to keep contention low. Never calls pg_query_exit(): libpg_query
// frees each thread's parser memory when that thread exits.
class PgQueryStatementAnalyzer final : public StatementAnalyzer {
 public:
  explicit PgQueryStatementAnalyzer(RoutingRules rules, PgQueryAnalyzerOptions options = {});

  Result<std::shared_ptr<const StatementInfo>> Analyze(std::string_view sql) override;

  // Analyzes without touching the cache: what every miss costs. For benchmarks and tools.
  Result<std::shared_ptr<const StatementInfo>> AnalyzeUncached(std::string_view sql) const;

  pgquery::StatementCacheStats cache_stats() const { return cache_.Stats(); }
  const RoutingRules& rules() const { return rules_; }

 private:
  const RoutingRules rules_;
  const PgQueryAnalyzerOptions options_;
  const uint64_t id_;  // tags this analyzer's entries in the threads' RecentShapes
  const pgquery::LexicalFastPath fast_path_;
  pgquery::StatementCache cache_;
  pgquery::StatementCache shapes_;  // shape -> template analysis
};

}  // namespace domicile
