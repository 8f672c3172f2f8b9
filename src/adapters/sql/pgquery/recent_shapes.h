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
// tenant in an instance made before: no shape scan, no hash, no lock, no allocation. Other
// texts cost a compare per remembered shape and go on through the rest of the analyzer.
//
// One per thread (ForThisThread), never shared: instances are written over only when this
// thread holds the last reference to them. Entries are tagged with the analyzer that made
// them, so analyzers with different routing rules on one thread never answer for each other.
class RecentShapes {
 public:
  static constexpr size_t kShapes = 8;     // shapes remembered, replaced oldest first
  static constexpr size_t kInstances = 8;  // recycled answers per shape

  static RecentShapes& ForThisThread();

  // The analysis of `sql` when it has one of `owner`'s remembered shapes, else null. The
  // object returned is not changed while anyone holds it.
  std::shared_ptr<const StatementInfo> Find(uint64_t owner, std::string_view sql);
  // Remembers `shape` and its template (MakeShapeTemplate) for `owner`.
  void Remember(uint64_t owner, std::string_view shape, std::shared_ptr<const StatementInfo> tmpl);

 private:
  struct Entry {
    std::unique_ptr<ShapePattern> pattern;
    std::shared_ptr<const StatementInfo> tmpl;
    // Answers given for texts of this shape; one is written over when nobody else holds it.
    std::array<std::shared_ptr<StatementInfo>, kInstances> instances;
    size_t next_instance = 0;
  };

  // An answer for the text whose literals are in literals_, from `entry`'s instances.
  std::shared_ptr<const StatementInfo> Instance(Entry& entry);

  // entries_[i]'s analyzer (0: empty), apart from the entries: the one cache line Find reads
  // for a text of no remembered shape (most texts, when the fast path answers them).
  std::array<uint64_t, kShapes> owners_{};
  std::array<Entry, kShapes> entries_;
  size_t used_ = 0;  // entries filled, from the first (until all are: then replaced in turn)
  size_t next_entry_ = 0;
  std::vector<std::string_view> literals_;  // Match's output, kept for its capacity
};

}  // namespace domicile::pgquery
