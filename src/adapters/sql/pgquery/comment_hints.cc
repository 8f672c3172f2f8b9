// Reads tenant hints out of the comments that libpg_query's scanner finds.
#include "adapters/sql/pgquery/comment_hints.h"

#include <string_view>

#include "adapters/sql/pgquery/pg_query_handles.h"
#include "adapters/sql/pgquery/pg_query_nodes.h"

namespace domicile::pgquery {
namespace {

constexpr std::string_view kHintName = "domicile.tenant";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool EndsBareValue(char c) {
  return IsSpace(c) || c == '*' || c == ',' || c == ';' || c == ')' || c == '\'' || c == '"';
}

// The value after `domicile.tenant` at `pos` in `comment`; empty when it is not `= value`.
std::string ReadValue(std::string_view comment, size_t pos) {
  while (pos < comment.size() && IsSpace(comment[pos])) ++pos;
  if (pos >= comment.size() || comment[pos] != '=') return {};
  ++pos;
  while (pos < comment.size() && IsSpace(comment[pos])) ++pos;
  if (pos >= comment.size()) return {};
  char quote = comment[pos];
  if (quote == '\'' || quote == '"') {
    size_t close = comment.find(quote, pos + 1);
    if (close == std::string_view::npos) return {};
    return std::string(comment.substr(pos + 1, close - pos - 1));
  }
  size_t end = pos;
  while (end < comment.size() && !EndsBareValue(comment[end])) ++end;
  return std::string(comment.substr(pos, end - pos));
}

}  // namespace

std::vector<CommentHint> FindCommentHints(const std::string& sql) {
  std::vector<CommentHint> hints;
  // Scanning costs about as much as parsing: only pay it when a hint may be present.
  if (!ContainsIgnoreCase(sql, kHintName)) return hints;
  for (const CommentSpan& span : ScanComments(sql)) {
    if (span.start < 0 || span.end > static_cast<int>(sql.size()) || span.start >= span.end) {
      continue;
    }
    std::string_view comment(sql.data() + span.start, static_cast<size_t>(span.end - span.start));
    for (size_t at = FindIgnoreCase(comment, kHintName); at != std::string_view::npos;
         at = FindIgnoreCase(comment, kHintName, at + kHintName.size())) {
      std::string value = ReadValue(comment, at + kHintName.size());
      if (!value.empty()) hints.push_back({span.start, std::move(value)});
    }
  }
  return hints;
}

}  // namespace domicile::pgquery
