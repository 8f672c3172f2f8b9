// LexicalFastPath: answers for plain DML that cannot name a tenant, without parsing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/statement_info.h"
#include "ports/statement_analyzer.h"

namespace domicile::pgquery {

// Simple-protocol clients send the same statement with a new literal each time (pgbench -S:
// "... WHERE aid = 4711"), so the text cache misses and every statement would be parsed
// (~30 us). Many such texts cannot carry anything the router needs: a single SELECT/INSERT/
// UPDATE/DELETE with no comment (so no hint), no "domicile" (no router variable), no tenant key
// column name anywhere (so no key reference), and none of the words that create session state
// ("temp", "advisory", SELECT ... "into"). For those the analysis is fixed: one statement of
// that kind, no tenant, no effects. Deliberately conservative: any doubt means "parse it".
//
// On the hot path of every such statement, so it allocates nothing (the answer is one shared
// object per kind, StatementInfo::whole_text_is_statement) and reads the text once, in place,
// sixteen bytes to a vector compare.
class LexicalFastPath {
 public:
  explicit LexicalFastPath(const RoutingRules& rules);

  // The analysis of `sql`, or null when the text does not qualify. `table` and `text` are
  // left empty (nothing routes on the table for DML; the text is the whole of `sql`).
  std::shared_ptr<const StatementInfo> TryAnswer(std::string_view sql) const;

 private:
  // Lowercase words whose presence anywhere (even inside a literal) sends the text to the
  // parser: the router's own names, the session-state words and every tenant key column.
  std::vector<std::string> stop_words_;
  // first_[b]: b (in either case) may start a stop word, "into", a comment ("--", "/*"), a
  // second statement (';') or an invalid text (NUL). Any other byte is passed over at once.
  std::array<bool, 256> first_{};
  // Bit (b0 | b1 << 8) set: some stop word, "into", "--" or "/*" starts with the bytes b0 b1
  // (either case). Asked only for the bytes first_ lets through; a word is compared only on
  // a hit (on typical DML, rarely).
  std::array<uint64_t, 65536 / 64> starts_{};
  // The vector scan's coarse filter, 16 bytes at a time: the pairs above folded with | 0x20
  // (every case of a letter meets there; other bytes may collide, which only adds candidates
  // for starts_ to turn down). Each byte is kept splatted across a 16-byte lane, ready for
  // a vector compare; `any_second` for a one-byte word: any next byte.
  struct FoldedStart {
    alignas(16) std::array<uint8_t, 16> first;
    alignas(16) std::array<uint8_t, 16> second;
    bool any_second = false;
  };
  std::vector<FoldedStart> folded_starts_;

  // What the byte at `at` starts, given the scan has reached it: false to decline the text.
  bool AcceptAt(const char* at, const char* end, bool& into) const;
  // Bit i set: the byte at at[i] may start a word or mark of interest (reads at[0..16]).
  uint32_t Candidates16(const char* at) const;
};

}  // namespace domicile::pgquery
