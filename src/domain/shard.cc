#include "domain/shard.h"

namespace domicile {

std::string_view EngineName(Engine engine) {
  return engine == Engine::kPostgres ? "postgres" : "sqlite";
}

std::optional<Engine> ParseEngine(std::string_view text) {
  if (text == "postgres" || text == "postgresql") return Engine::kPostgres;
  if (text == "sqlite") return Engine::kSqlite;
  return std::nullopt;
}

std::string_view ShardStateName(ShardState state) {
  switch (state) {
    case ShardState::kActive: return "active";
    case ShardState::kDraining: return "draining";
    case ShardState::kOffline: return "offline";
  }
  return "unknown";
}

std::optional<ShardState> ParseShardState(std::string_view text) {
  if (text == "active") return ShardState::kActive;
  if (text == "draining") return ShardState::kDraining;
  if (text == "offline") return ShardState::kOffline;
  return std::nullopt;
}

}  // namespace domicile
