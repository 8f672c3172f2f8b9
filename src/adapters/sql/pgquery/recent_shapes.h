// RecentShapes: the statement shapes one thread met last, answered without a scan or a lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "adapters/sql/pgquery/statement_shape.h"
#include "domain/statement_info.h"

namespace domicile::pgquery {

// A client sends the same few statements again and again with new values in them (pgbench's
// scripts, an ORM's queries with inlined literals). For a text of a shape met here lately the
// answer takes a compare of the shape's fixed text, a lex of the literals and a rewrite of the
// tenant in an instance made before (for a shape naming no tenant, one shared answer): no
// scan, no hash, no lock, no allocation. Other texts cost a compare of their first 16 bytes
// per remembered shape and go on through the rest of the analyzer.
//
// One per thread (ForThisThread), never shared: instances are written over only when this
// thread holds the last reference to them. Entries are tagged with the analyzer that made
// them, so analyzers with different routing rules on one thread never answer for each other.
class RecentShapes {
 public:
  // Shapes remembered, replaced oldest first. pgbench's TPC-B-like script alone has nine (a
  // negative value makes another shape: "+ -5" is not "+ 5").
  static constexpr size_t kShapes = 16;
  static constexpr size_t kInstances = 8;  // recycled answers per shape

  static RecentShapes& ForThisThread();

  // The analysis of `sql` when it has one of `owner`'s remembered shapes, else null. The
  // object returned is not changed while anyone holds it.
  std::shared_ptr<const StatementInfo> Find(uint64_t owner, std::string_view sql);
  // Remembers `shape` and its template (MakeShapeTemplate) for `owner`.
  void Remember(uint64_t owner, std::string_view shape, std::shared_ptr<const StatementInfo> tmpl);

  // Some answers hold for every text of their shape, and Find gives them as they stand: the
  // lexical fast path's (they name no tenant), and those of texts without literals (the shape
  // is the text). Remembering one costs a shape scan and a pattern, though, and with more
  // such shapes in turn than kShapes every text would pay that to replace another. So it is
  // paid for with credit that texts of no remembered shape earn (one each, in Find): at most
  // one text in kAnswerCost pays it. True when this text may.
  bool TakeAnswerCredit();
  // Remembers for `owner` that every text of `shape` has the analysis `answer`.
  void RememberAnswer(uint64_t owner, std::string_view shape,
                      std::shared_ptr<const StatementInfo> answer);

  static constexpr uint32_t kAnswerCost = 32;

 private:
  static constexpr uint32_t kMaxAnswerCredit = kAnswerCost * kShapes;

  struct Entry {
    std::unique_ptr<ShapePattern> pattern;
    std::shared_ptr<const StatementInfo> tmpl;
    bool tmpl_is_answer = false;  // RememberAnswer's: given as it is, no instances
    // Answers given for texts of this shape; one is written over when nobody else holds it.
    std::array<std::shared_ptr<StatementInfo>, kInstances> instances;
    size_t next_instance = 0;
  };

  // An answer for the text whose literals are in literals_, from `entry`'s instances.
  std::shared_ptr<const StatementInfo> Instance(Entry& entry);
  // A fresh entry for `owner` in place of the oldest, unless `shape` is remembered already.
  Entry* Replace(uint64_t owner, std::string_view shape);

  // Up to the first 16 bytes of a text, in two words (zeros past its end).
  using Bytes16 = std::array<uint64_t, 2>;
  static Bytes16 FirstBytes(std::string_view text);
  // An entry's pattern's head (up to 16 bytes) and which bytes of those words it fixes: a text
  // whose first bytes differ there cannot match, told in a few instructions instead of a call
  // to Match.
  struct Head {
    Bytes16 bytes{};
    Bytes16 mask{};
  };
  static Head HeadOf(std::string_view fixed);

  // entries_[i]'s analyzer (0: empty) and head, apart from the entries: all that Find reads
  // for a text of no remembered shape.
  std::array<uint64_t, kShapes> owners_{};
  std::array<Head, kShapes> heads_{};  // entries_[i]'s pattern's head
  std::array<Entry, kShapes> entries_;
  size_t used_ = 0;  // entries filled, from the first (until all are: then replaced in turn)
  size_t next_entry_ = 0;
  size_t last_found_ = 0;                   // the entry that answered last (asked first)
  std::vector<std::string_view> literals_;  // Match's output, kept for its capacity
  // Starts with enough for kShapes answers, so a client's first few shapes are remembered at
  // once; earned back one per missed text, up to that.
  uint32_t answer_credit_ = kMaxAnswerCredit;
};

}  // namespace domicile::pgquery
