#include "adapters/sql/pgquery/lexical_fast_path.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "adapters/sql/pgquery/statement_shape.h"

namespace domicile::pgquery {
namespace {

constexpr size_t kMaxFastPathBytes = 4096;

// ASCII only, inline: SQL keywords and identifiers fold that way (and std::tolower, a libc
// call per byte, showed up in profiles of the hot path).
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsFolded(std::string_view haystack_lower, std::string_view needle) {
  if (needle.empty()) return false;
  std::string n(needle);
  for (char& c : n) c = Lower(c);
  return haystack_lower.find(n) != std::string_view::npos;
}

}  // namespace

std::shared_ptr<const StatementInfo> TryLexicalFastPath(std::string_view sql,
                                                        const RoutingRules& rules) {
  if (sql.size() > kMaxFastPathBytes) return nullptr;
  // Any ';' left after the final one means several statements (or one inside a literal:
  // either way, parse).
  std::string_view body = StatementBody(sql);
  std::string lower(body);
  for (char& c : lower) {
    if (c == '\0') return nullptr;
    c = Lower(c);
  }
  if (lower.find(';') != std::string::npos || lower.find("--") != std::string::npos ||
      lower.find("/*") != std::string::npos || lower.find("domicile") != std::string::npos ||
      lower.find("temp") != std::string::npos || lower.find("advisory") != std::string::npos) {
    return nullptr;
  }
  if (ContainsFolded(lower, rules.default_key_column)) return nullptr;
  for (const auto& [table, column] : rules.table_key_columns) {
    if (ContainsFolded(lower, column)) return nullptr;
  }
  size_t word_end = 0;
  while (word_end < lower.size() && std::isalpha(static_cast<unsigned char>(lower[word_end]))) {
    ++word_end;
  }
  std::string_view first(lower.data(), word_end);
  StatementKind kind;
  if (first == "select") {
    kind = StatementKind::kSelect;
    if (lower.find("into") != std::string::npos) return nullptr;  // SELECT INTO makes a table
  } else if (first == "insert") {
    kind = StatementKind::kInsert;
  } else if (first == "update") {
    kind = StatementKind::kUpdate;
  } else if (first == "delete") {
    kind = StatementKind::kDelete;
  } else {
    return nullptr;
  }
  if (word_end < lower.size() && !std::isspace(static_cast<unsigned char>(lower[word_end]))) {
    return nullptr;
  }
  auto info = std::make_shared<StatementInfo>();
  StatementDetail detail;
  detail.kind = kind;
  detail.text = std::string(body);
  info->statements.push_back(std::move(detail));
  return info;
}

}  // namespace domicile::pgquery
