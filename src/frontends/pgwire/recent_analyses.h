// RecentAnalyses: a session's last few statement analyses by exact text, in front of the
// shared analyzer.
//
// Drivers re-send each statement of a transaction as the unnamed statement, every time
// (pgbench -M extended's TPC-B-like cycles through seven texts; JDBC and node `pg` do the
// same before they switch to named statements). A hash and a compare of the text here cost a
// fraction of the analyzer's lexical scan and need no lock. Only for texts the session
// expects again: texts with literal values (simple-protocol queries) differ every time and
// would only miss.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "domain/statement_info.h"

namespace domicile::pgwire {

class RecentAnalyses {
 public:
  static constexpr size_t kCapacity = 16;

  // The analysis last inserted for exactly `text`, or null.
  const std::shared_ptr<const StatementInfo>* Find(std::string_view text, size_t hash) const {
    for (size_t i = 0; i < used_; ++i) {
      const Entry& e = entries_[i];
      if (e.hash == hash && e.text == text) return &e.info;
    }
    return nullptr;
  }

  // Remembers `info` for `text`, replacing the oldest entry when full.
  void Insert(std::string_view text, size_t hash, std::shared_ptr<const StatementInfo> info) {
    Entry& e = entries_[next_];
    e.hash = hash;
    e.text.assign(text);  // in place: an entry's capacity is reused
    e.info = std::move(info);
    next_ = (next_ + 1) % kCapacity;
    if (used_ < kCapacity) ++used_;
  }

  static size_t Hash(std::string_view text) { return std::hash<std::string_view>{}(text); }

 private:
  struct Entry {
    size_t hash = 0;
    std::string text;
    std::shared_ptr<const StatementInfo> info;
  };
  std::array<Entry, kCapacity> entries_;
  size_t used_ = 0;
  size_t next_ = 0;
};

}  // namespace domicile::pgwire
