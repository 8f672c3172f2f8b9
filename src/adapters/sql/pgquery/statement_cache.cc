// Sharded LRU for statement analyses: find, insert-if-absent, evict the least recently used.
#include "adapters/sql/pgquery/statement_cache.h"

#include <algorithm>
#include <functional>

namespace domicile::pgquery {
namespace {

constexpr size_t kShards = 16;

}  // namespace

StatementCache::StatementCache(size_t capacity) {
  size_t shards = capacity == 0 ? 1 : std::min(kShards, capacity);
  per_shard_capacity_ = (capacity + shards - 1) / shards;
  shards_.reserve(shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

StatementCache::Shard& StatementCache::ShardFor(std::string_view sql) {
  // The high bits, so that the shard choice does not correlate with the bucket choice.
  size_t hash = std::hash<std::string_view>{}(sql);
  return *shards_[(hash >> 40) % shards_.size()];
}

std::shared_ptr<const StatementInfo> StatementCache::Find(std::string_view sql) {
  Shard& shard = ShardFor(sql);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(sql);
  if (it == shard.index.end()) {
    ++shard.misses;
    return nullptr;
  }
  ++shard.hits;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->info;
}

std::shared_ptr<const StatementInfo> StatementCache::Insert(
    std::string_view sql, std::shared_ptr<const StatementInfo> info) {
  if (per_shard_capacity_ == 0) return info;
  Shard& shard = ShardFor(sql);
  std::shared_ptr<const StatementInfo> evicted;  // released after the lock is dropped
  std::lock_guard<std::mutex> lock(shard.mu);
  if (auto it = shard.index.find(sql); it != shard.index.end()) return it->second->info;
  shard.lru.push_front(Entry{std::string(sql), std::move(info)});
  shard.index.emplace(shard.lru.front().sql, shard.lru.begin());
  if (shard.lru.size() > per_shard_capacity_) {
    shard.index.erase(shard.lru.back().sql);
    evicted = std::move(shard.lru.back().info);
    shard.lru.pop_back();
  }
  return shard.lru.front().info;
}

StatementCacheStats StatementCache::Stats() const {
  StatementCacheStats stats;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    stats.hits += shard->hits;
    stats.misses += shard->misses;
    stats.entries += shard->lru.size();
  }
  return stats;
}

}  // namespace domicile::pgquery
