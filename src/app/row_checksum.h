// Row checksums that agree across engines: each value's canonical text by the column's kind,
// a 64-bit hash per row, summed so the order of rows does not matter.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ports/shard_storage.h"

namespace domicile {

// The kind both sides of a move compare a column as, given each side's kind: the kind itself
// when they agree; numbers compare as the wider number (bool < int64 < float64); text with
// bytes as bytes; anything else with text as text, so a text "007" that became the integer 7
// shows as a difference.
ColumnType CommonKind(ColumnType source, ColumnType target);

// Appends the canonical text of `value` read from a column compared as `kind`. The same
// logical value gives the same text whatever engine returned it: NULL differs from every
// string ('' included); integers (and integral doubles of an integer column) are decimal;
// booleans are 0/1; floats are the shortest text that reads back as the same double, with
// -0 as 0 and NaN/Infinity spelled out; text that parses as the kind's number is that
// number; bytes (and text of a bytes column) are lower-case hex.
void AppendCanonical(const Value& value, ColumnType kind, std::string* out);

// The value as the target column of `kind` should receive it from another engine: 0/1 as
// bool for a bool column, bool/integral/numeric text as an integer for an integer column,
// numeric text as a double for a float column, text as bytes for a bytes column, bytes as
// text for a text column. Anything that does not convert is returned as it is (the target
// then refuses it or stores it as its engine does).
Value CoerceForKind(Value value, ColumnType kind);

// Count and order-independent checksum of a multiset of rows. Not thread-safe.
class TableChecksum {
 public:
  // `kinds`: one per column, in the order rows come.
  explicit TableChecksum(std::vector<ColumnType> kinds);
  void Add(std::span<const Value> row);
  uint64_t rows() const { return rows_; }
  // The sum of every row's hash modulo 2^64, as 16 lower-case hex digits.
  std::string checksum() const;

 private:
  std::vector<ColumnType> kinds_;
  std::string text_;  // reused per row
  uint64_t rows_ = 0;
  uint64_t sum_ = 0;
};

// A stable 64-bit hash of `text` (FNV-1a, then a strong finalizer), the same on every build.
uint64_t StableHash64(std::string_view text);

}  // namespace domicile
