// Shard: one database that holds whole tenants, and the words used for its engine and state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domicile {

enum class Engine { kPostgres, kSqlite };
// active: takes new tenants and traffic. draining: serves its tenants, takes no new ones.
// offline: serves nothing (its tenants get a clear "shard offline" error).
enum class ShardState { kActive, kDraining, kOffline };

std::string_view EngineName(Engine engine);
std::optional<Engine> ParseEngine(std::string_view text);
std::string_view ShardStateName(ShardState state);
std::optional<ShardState> ParseShardState(std::string_view text);

struct Shard {
  std::string id;            // normalised, see NormalizeId
  Engine engine = Engine::kPostgres;
  std::string region;        // normalised "provider:region"
  std::string jurisdiction;  // derived from the region by ShardMap; never set by hand
  std::string address;       // libpq DSN for postgres, file path for sqlite
  ShardState state = ShardState::kActive;
  uint32_t weight = 100;     // relative share of tenants placement aims for (> 0)
  uint32_t capacity = 0;     // most tenants it may hold; 0 means no limit

  std::string_view provider() const { return std::string_view(region).substr(0, region.find(':')); }
  bool operator==(const Shard&) const = default;
};

}  // namespace domicile
