// Splits a query text into statements, classifies each, attaches comment hints, caches.
#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"

#include <atomic>
#include <cstring>
#include <string>
#include <utility>

#include "adapters/sql/pgquery/comment_hints.h"
#include "adapters/sql/pgquery/lexical_fast_path.h"
#include "adapters/sql/pgquery/pg_query_handles.h"
#include "adapters/sql/pgquery/recent_shapes.h"
#include "adapters/sql/pgquery/statement_classifier.h"
#include "adapters/sql/pgquery/statement_shape.h"

namespace domicile {
namespace {

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Byte range [begin, end) of a RawStmt; PostgreSQL reports length 0 for "up to the end".
std::pair<size_t, size_t> StatementRange(const PgQuery__RawStmt& raw, size_t text_size) {
  size_t begin = std::min(static_cast<size_t>(std::max(raw.stmt_location, 0)), text_size);
  size_t end =
      raw.stmt_len > 0 ? std::min(begin + static_cast<size_t>(raw.stmt_len), text_size) : text_size;
  return {begin, end};
}

// Adds the hints to the statements that contain them and to the text as a whole.
void AttachHints(const std::vector<pgquery::CommentHint>& hints,
                 const std::vector<std::pair<size_t, size_t>>& ranges, StatementInfo& info) {
  for (const pgquery::CommentHint& hint : hints) {
    TenantRef ref = TenantRef::Literal(hint.tenant);
    if (info.hint.is_none()) {
      info.hint = ref;
    } else if (info.hint != ref) {
      info.hint_conflict = true;
    }
    size_t at = static_cast<size_t>(hint.offset);
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (at >= ranges[i].first && at < ranges[i].second && info.statements[i].hint.is_none()) {
        info.statements[i].hint = ref;
      }
    }
  }
}

// Never reused, unlike addresses: a thread's RecentShapes may outlive an analyzer.
std::atomic<uint64_t> next_analyzer_id{1};

}  // namespace

PgQueryStatementAnalyzer::PgQueryStatementAnalyzer(RoutingRules rules,
                                                   PgQueryAnalyzerOptions options)
    : rules_(std::move(rules)),
      options_(options),
      id_(next_analyzer_id.fetch_add(1, std::memory_order_relaxed)),
      fast_path_(rules_),
      cache_(options.cache_entries),
      shapes_(options.shape_cache ? options.cache_entries : 0) {}

Result<std::shared_ptr<const StatementInfo>> PgQueryStatementAnalyzer::Analyze(
    std::string_view sql) {
  // A text of a shape this thread met lately: asked first, as the cheapest answer of all
  // (recent_shapes.h). It holds the shapes of texts that needed the scan, of some the fast
  // path answered and of some texts without literals, and only while the shape cache it
  // stands in front of is on.
  const bool shapes_on = options_.shape_cache && sql.size() <= options_.max_sql_bytes;
  const bool recent_on = shapes_on && options_.cache_entries > 0;
  pgquery::RecentShapes& recent = pgquery::RecentShapes::ForThisThread();
  if (recent_on) {
    if (auto info = recent.Find(id_, sql)) return info;
  }
  // Kept per thread for its capacity: the scan runs on every keyed statement.
  thread_local pgquery::ShapeScan scan;
  // `answer` holds for every text of this text's shape: RecentShapes keeps it, when its credit
  // allows (recent_shapes.h). `have_scan`: `scan` is this text's already; else it is made
  // here, only once the credit is taken.
  auto remember_answer = [&](const std::shared_ptr<const StatementInfo>& answer, bool have_scan) {
    if (!recent_on || !recent.TakeAnswerCredit()) return;
    if (have_scan || pgquery::ScanShapeInto(sql, scan)) {
      recent.RememberAnswer(id_, scan.shape, answer);
    }
  };
  // Texts answered without a parse are not cached: they usually differ only in literals and
  // would evict the hot, parameterized statements. Asked first: it answers from the text
  // alone, cheaper than the cache's hash and lock, and for the texts it answers the cache
  // could only miss.
  if (options_.lexical_fast_path && sql.size() <= options_.max_sql_bytes) {
    if (auto fast = fast_path_.TryAnswer(sql)) {
      // Its shape's later texts are then answered by RecentShapes: a compare instead of the
      // fast path's scan of the whole text (the answer names no tenant: the same for all).
      remember_answer(fast, false);
      return fast;
    }
  }
  const bool scanned = shapes_on && pgquery::ScanShapeInto(sql, scan);
  // A text with literal values seldom comes again as it is (the text cache would hash all of
  // it under its lock only to miss): its shape is asked first. A text without any is its own
  // shape, and the text cache has it.
  const bool shaped = scanned && !scan.literals.empty();
  if (shaped) {
    if (auto tmpl = shapes_.Find(scan.shape)) {
      if (recent_on) recent.Remember(id_, scan.shape, tmpl);
      if (auto info = pgquery::InstantiateShape(*tmpl, scan)) return info;
    }
  }
  // A text without literals is its own shape (up to surrounding space and a final ';'), so
  // its answer is every such text's: RecentShapes then answers it (BEGIN, COMMIT, a
  // parameterized statement) without the cache's hash and lock.
  const bool own_shape = scanned && !shaped;
  const bool cacheable = sql.size() <= options_.max_cached_sql_bytes;
  if (cacheable) {
    if (std::shared_ptr<const StatementInfo> hit = cache_.Find(sql)) {
      if (own_shape) remember_answer(hit, true);
      return hit;
    }
  }
  Result<std::shared_ptr<const StatementInfo>> analyzed = AnalyzeUncached(sql);
  if (!analyzed.ok()) return analyzed;
  if (shaped) {
    if (auto tmpl = pgquery::MakeShapeTemplate(**analyzed, scan)) {
      tmpl = shapes_.Insert(scan.shape, std::move(tmpl));
      if (recent_on) recent.Remember(id_, scan.shape, std::move(tmpl));
    }
  }
  if (!cacheable) return analyzed;
  std::shared_ptr<const StatementInfo> inserted = cache_.Insert(sql, std::move(analyzed).value());
  if (own_shape) remember_answer(inserted, true);
  return inserted;
}

Result<std::shared_ptr<const StatementInfo>> PgQueryStatementAnalyzer::AnalyzeUncached(
    std::string_view sql) const {
  if (sql.size() > options_.max_sql_bytes) {
    return InvalidArgument("statement text of " + std::to_string(sql.size()) +
                           " bytes exceeds the analyzer limit of " +
                           std::to_string(options_.max_sql_bytes) + " bytes");
  }
  if (std::memchr(sql.data(), '\0', sql.size()) != nullptr) {
    return InvalidArgument("statement text contains a NUL byte");
  }
  const std::string text(sql);  // libpg_query wants a NUL-terminated string
  Result<pgquery::ParsedTree> parsed = pgquery::ParsedTree::Parse(text);
  if (!parsed.ok()) return parsed.status();
  const PgQuery__ParseResult& tree = parsed->tree();

  auto info = std::make_shared<StatementInfo>();
  std::vector<std::pair<size_t, size_t>> ranges;
  info->statements.reserve(tree.n_stmts);
  for (size_t i = 0; i < tree.n_stmts; ++i) {
    const PgQuery__RawStmt& raw = *tree.stmts[i];
    auto range = StatementRange(raw, text.size());
    std::string_view stmt_text = Trim(sql.substr(range.first, range.second - range.first));
    StatementDetail detail = pgquery::ClassifyStatement(raw.stmt, stmt_text, rules_);
    detail.text = stmt_text;
    info->session.Merge(detail.session);
    info->statements.push_back(std::move(detail));
    ranges.push_back(range);
  }
  if (info->statements.empty()) {  // "", ";", or only comments: EmptyQueryResponse
    info->statements.emplace_back();
    ranges.emplace_back(0, text.size());
  }
  AttachHints(pgquery::FindCommentHints(text), ranges, *info);
  return std::shared_ptr<const StatementInfo>(std::move(info));
}

}  // namespace domicile
