#include "adapters/sql/pgquery/lexical_fast_path.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
  auto add_folded = [&](std::string_view word) {
    FoldedStart start;
    start.first.fill(static_cast<uint8_t>(word[0] | 0x20));
    start.second.fill(word.size() == 1 ? 0 : static_cast<uint8_t>(word[1] | 0x20));
    start.any_second = word.size() == 1;
    for (const FoldedStart& have : folded_starts_) {
      if (have.first == start.first && have.second == start.second &&
          have.any_second == start.any_second) {
        return;
      }
    }
    folded_starts_.push_back(start);
  };
  // Marks `word`'s first two bytes in every case (a one-byte word: followed by anything).
  auto mark = [&](std::string_view word) {
    add_folded(word);
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

bool LexicalFastPath::AcceptAt(const char* at, const char* end, bool& into) const {
  const char c = *at;
  // A ';' left after the final one means several statements (or one inside a literal:
  // either way, parse); NUL is invalid.
  if (c == ';' || c == '\0') return false;
  const char next = at + 1 != end ? at[1] : '\0';
  unsigned key = static_cast<unsigned char>(c) | static_cast<unsigned char>(next) << 8;
  if ((starts_[key / 64] >> (key % 64) & 1) == 0) return true;
  // Comments ("--" and "/*" may hold hints) and stop words.
  if ((c == '-' && next == '-') || (c == '/' && next == '*')) return false;
  const std::string_view rest(at, static_cast<size_t>(end - at));
  for (const std::string& word : stop_words_) {
    if (StartsWithFolded(rest, word)) return false;
  }
  into = into || StartsWithFolded(rest, kInto);
  return true;
}

uint32_t LexicalFastPath::Candidates16(const char* at) const {
#if defined(__SSE2__)
  auto lane = [](const std::array<uint8_t, 16>& bytes) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(bytes.data()));
  };
  const __m128i fold = _mm_set1_epi8(0x20);
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  const __m128i here = _mm_or_si128(raw, fold);
  const __m128i next =
      _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 1)), fold);
  __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(raw, _mm_set1_epi8(';')),
                              _mm_cmpeq_epi8(raw, _mm_setzero_si128()));
  for (const FoldedStart& start : folded_starts_) {
    __m128i first = _mm_cmpeq_epi8(here, lane(start.first));
    if (!start.any_second) first = _mm_and_si128(first, _mm_cmpeq_epi8(next, lane(start.second)));
    hits = _mm_or_si128(hits, first);
  }
  return static_cast<uint32_t>(_mm_movemask_epi8(hits));
#else
  uint32_t hits = 0;
  for (int i = 0; i < 16; ++i) hits |= uint32_t{first_[static_cast<unsigned char>(at[i])]} << i;
  return hits;
#endif
}

std::shared_ptr<const StatementInfo> LexicalFastPath::TryAnswer(std::string_view sql) const {
  if (sql.size() > kMaxFastPathBytes) return nullptr;
  const std::string_view body = StatementBody(sql);
  const size_t n = body.size();
  bool into = false;
  const char* p = body.data();
  const char* const end = p + n;
  // Sixteen bytes at a time while a block and the byte after it are in the text: typical
  // DML has a candidate every few blocks only (one branch per block instead of per byte).
  for (; end - p > 16; p += 16) {
    for (uint32_t hits = Candidates16(p); hits != 0; hits &= hits - 1) {
      if (!AcceptAt(p + __builtin_ctz(hits), end, into)) return nullptr;
    }
  }
  for (; p != end; ++p) {
    if (first_[static_cast<unsigned char>(*p)] && !AcceptAt(p, end, into)) return nullptr;
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
