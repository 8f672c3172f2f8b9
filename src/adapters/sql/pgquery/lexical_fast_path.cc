#include "adapters/sql/pgquery/lexical_fast_path.h"

#include <algorithm>

#include "adapters/sql/pgquery/statement_shape.h"

namespace domicile::pgquery {
namespace {

constexpr size_t kMaxFastPathBytes = 4096;

// ASCII only, branch-free: SQL keywords and identifiers fold that way (std::tolower, a libc
// call per byte, showed up in profiles).
char Lower(char c) { return static_cast<char>(c | (static_cast<char>(c >= 'A' && c <= 'Z') << 5)); }
char Upper(char c) { return static_cast<char>(c & ~(static_cast<char>(c >= 'a' && c <= 'z') << 5)); }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSqlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// `text` starts with `lower_word` (lowercase), ignoring ASCII case.
bool StartsWithFolded(std::string_view text, std::string_view lower_word) {
  if (text.size() < lower_word.size()) return false;
  for (size_t i = 0; i < lower_word.size(); ++i) {
    if (Lower(text[i]) != lower_word[i]) return false;
  }
  return true;
}

// SELECT INTO creates a table: such a SELECT goes to the parser.
constexpr std::string_view kInto = "into";

// The answer for one plain statement of `kind`: the same for every text of that form, so it
// is built once and handed out without a reference count. An earlier version rewrote recycled
// objects per text; their cold cache lines and atomic counts cost more than the scan itself.
std::shared_ptr<const StatementInfo> FixedAnswer(StatementKind kind) {
  static const auto* const answers = [] {
    auto* all = new std::array<StatementInfo, 4>;
    const StatementKind kinds[] = {StatementKind::kSelect, StatementKind::kInsert,
                                   StatementKind::kUpdate, StatementKind::kDelete};
    for (size_t i = 0; i < all->size(); ++i) {
      (*all)[i].statements.emplace_back().kind = kinds[i];
      (*all)[i].whole_text_is_statement = true;
    }
    return all;
  }();
  for (const StatementInfo& answer : *answers) {
    if (answer.statements.front().kind == kind) {
      // Aliasing an empty owner: copies touch no counter; the object lives forever.
      return std::shared_ptr<const StatementInfo>(std::shared_ptr<const void>(), &answer);
    }
  }
  return nullptr;
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
  auto mark_pair = [&](char b0, char b1) {
    unsigned key = static_cast<unsigned char>(b0) | static_cast<unsigned char>(b1) << 8;
    starts_[key / 64] |= uint64_t{1} << (key % 64);
  };
  // Marks `word`'s first two bytes in every case (a one-byte word: followed by anything).
  auto mark = [&](std::string_view word) {
    for (char b0 : {Lower(word[0]), Upper(word[0])}) {
      first_[static_cast<unsigned char>(b0)] = true;
      if (word.size() == 1) {
        for (unsigned b1 = 0; b1 < 256; ++b1) mark_pair(b0, static_cast<char>(b1));
        continue;
      }
      for (char b1 : {Lower(word[1]), Upper(word[1])}) mark_pair(b0, b1);
    }
  };
  mark("--");
  mark("/*");
  mark(kInto);
  for (const std::string& word : stop_words_) mark(word);
  first_[';'] = true;
  first_[0] = true;
}

std::shared_ptr<const StatementInfo> LexicalFastPath::TryAnswer(std::string_view sql) const {
  if (sql.size() > kMaxFastPathBytes) return nullptr;
  const std::string_view body = StatementBody(sql);
  const size_t n = body.size();
  bool into = false;
  const char* const end = body.data() + n;
  for (const char* p = body.data();; ++p) {
    // Skip bytes that start nothing of interest: the bulk of the text, so a tight loop.
    while (p != end && !first_[static_cast<unsigned char>(*p)]) ++p;
    if (p == end) break;
    const char c = *p;
    // A ';' left after the final one means several statements (or one inside a literal:
    // either way, parse); NUL is invalid.
    if (c == ';' || c == '\0') return nullptr;
    const char next = p + 1 != end ? p[1] : '\0';
    unsigned key = static_cast<unsigned char>(c) | static_cast<unsigned char>(next) << 8;
    if ((starts_[key / 64] >> (key % 64) & 1) == 0) continue;
    // Comments ("--" and "/*" may hold hints) and stop words.
    if ((c == '-' && next == '-') || (c == '/' && next == '*')) return nullptr;
    const std::string_view rest(p, static_cast<size_t>(end - p));
    for (const std::string& word : stop_words_) {
      if (StartsWithFolded(rest, word)) return nullptr;
    }
    into = into || StartsWithFolded(rest, kInto);
  }
  size_t word_end = 0;
  while (word_end < n && IsAsciiAlpha(body[word_end])) ++word_end;
  if (word_end < n && !IsSqlSpace(body[word_end])) return nullptr;
  const std::string_view first = body.substr(0, word_end);
  auto is = [&](std::string_view keyword) {
    return first.size() == keyword.size() && StartsWithFolded(first, keyword);
  };
  StatementKind kind;
  if (is("select")) {
    if (into) return nullptr;
    kind = StatementKind::kSelect;
  } else if (is("insert")) {
    kind = StatementKind::kInsert;
  } else if (is("update")) {
    kind = StatementKind::kUpdate;
  } else if (is("delete")) {
    kind = StatementKind::kDelete;
  } else {
    return nullptr;
  }
  return FixedAnswer(kind);
}

}  // namespace domicile::pgquery
