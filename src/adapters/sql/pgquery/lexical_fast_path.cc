#include "adapters/sql/pgquery/lexical_fast_path.h"

#include <algorithm>

#include "adapters/sql/pgquery/statement_shape.h"

namespace domicile::pgquery {
namespace {

constexpr size_t kMaxFastPathBytes = 4096;

// ASCII only, branch-free: SQL keywords and identifiers fold that way, and the loop over a
// whole text vectorizes (std::tolower, a libc call per byte, showed up in profiles).
char Lower(char c) { return static_cast<char>(c | (static_cast<char>(c >= 'A' && c <= 'Z') << 5)); }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSqlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

LexicalFastPath::LexicalFastPath(const RoutingRules& rules) {
  stop_words_ = {"domicile", "temp", "advisory"};
  auto add = [&](std::string_view column) {
    if (column.empty()) return;
    std::string word(column);
    for (char& c : word) c = Lower(c);
    if (std::find(stop_words_.begin(), stop_words_.end(), word) == stop_words_.end()) {
      stop_words_.push_back(std::move(word));
    }
  };
  add(rules.default_key_column);
  for (const auto& [table, column] : rules.table_key_columns) add(column);
  auto mark = [&](unsigned char b0, unsigned char b1) {
    unsigned key = b0 | b1 << 8;
    starts_[key / 64] |= uint64_t{1} << (key % 64);
  };
  mark('-', '-');
  mark('/', '*');
  for (const std::string& word : stop_words_) {
    auto b0 = static_cast<unsigned char>(word[0]);
    if (word.size() > 1) {
      mark(b0, static_cast<unsigned char>(word[1]));
    } else {
      for (unsigned b1 = 0; b1 < 256; ++b1) mark(b0, static_cast<unsigned char>(b1));
    }
  }
}

std::shared_ptr<const StatementInfo> LexicalFastPath::TryAnswer(std::string_view sql) const {
  if (sql.size() > kMaxFastPathBytes) return nullptr;
  std::string_view body = StatementBody(sql);
  // Any ';' left after the final one means several statements (or one inside a literal:
  // either way, parse); NUL is invalid.
  if (body.find(';') != std::string_view::npos || body.find('\0') != std::string_view::npos) {
    return nullptr;
  }
  char folded[kMaxFastPathBytes + 1];
  const size_t n = body.size();
  for (size_t i = 0; i < n; ++i) folded[i] = Lower(body[i]);
  folded[n] = '\0';  // the last position's pair; no stop word or comment has a NUL
  const std::string_view lower(folded, n);
  // Comments ("--" and "/*" may hold hints) and stop words, one lookup per position.
  for (size_t i = 0; i < n; ++i) {
    unsigned key = static_cast<unsigned char>(folded[i]) |
                   static_cast<unsigned char>(folded[i + 1]) << 8;
    if ((starts_[key / 64] >> (key % 64) & 1) == 0) continue;
    if (key == ('-' | '-' << 8) || key == ('/' | '*' << 8)) return nullptr;
    for (const std::string& word : stop_words_) {
      if (lower.compare(i, word.size(), word) == 0) return nullptr;
    }
  }
  size_t word_end = 0;
  while (word_end < n && IsAsciiAlpha(lower[word_end])) ++word_end;
  if (word_end < n && !IsSqlSpace(lower[word_end])) return nullptr;
  const std::string_view first = lower.substr(0, word_end);
  StatementKind kind;
  if (first == "select") {
    kind = StatementKind::kSelect;
    if (lower.find("into") != std::string_view::npos) return nullptr;  // SELECT INTO makes a table
  } else if (first == "insert") {
    kind = StatementKind::kInsert;
  } else if (first == "update") {
    kind = StatementKind::kUpdate;
  } else if (first == "delete") {
    kind = StatementKind::kDelete;
  } else {
    return nullptr;
  }
  auto info = std::make_shared<StatementInfo>();
  StatementDetail& detail = info->statements.emplace_back();
  detail.kind = kind;
  detail.text = std::string(body);
  return info;
}

}  // namespace domicile::pgquery
