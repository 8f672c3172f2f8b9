// A bounded, sharded LRU map from query text to its shared, immutable analysis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/statement_info.h"

namespace domicile::pgquery {

struct StatementCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  size_t entries = 0;
};

// Thread-safe. Texts hash to one of several shards, each with its own mutex and LRU list,
// so concurrent lookups of different texts rarely wait on each other; a hit holds its
// shard's lock only to move the entry to the front and copy a shared_ptr.
class StatementCache {
 public:
  // Holds at most about `capacity` entries (rounded up to a multiple of the shard count);
  // 0 disables caching: Find always misses and Insert keeps nothing.
  explicit StatementCache(size_t capacity);

  // The cached analysis of `sql`, or null.
  std::shared_ptr<const StatementInfo> Find(std::string_view sql);
  // Caches `info` for `sql` unless another thread got there first; returns what is cached
  // now, so every caller of a hot text ends up sharing one object.
  std::shared_ptr<const StatementInfo> Insert(std::string_view sql,
                                              std::shared_ptr<const StatementInfo> info);
  StatementCacheStats Stats() const;

 private:
  struct Entry {
    std::string sql;
    std::shared_ptr<const StatementInfo> info;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // most recently used first
    // Keys view Entry::sql, which list nodes keep at a stable address.
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    uint64_t hits = 0;
    uint64_t misses = 0;
  };

  Shard& ShardFor(std::string_view sql);

  size_t per_shard_capacity_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace domicile::pgquery
