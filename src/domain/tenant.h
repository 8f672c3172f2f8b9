// Tenant: one customer whose rows live together on one home shard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domicile {

// active: routed normally. moving: a move saga owns it (routed to its home until the flip).
// frozen: reads only; writes are refused (used by cross-engine moves and by operators).
// held: a move is cutting over: routers hold T's new transactions until the state changes
// (transactions already running go on), then route them with the catalog they find then.
enum class TenantState { kActive, kMoving, kFrozen, kHeld };

std::string_view TenantStateName(TenantState state);
std::optional<TenantState> ParseTenantState(std::string_view text);

struct Tenant {
  std::string id;                    // normalised, see NormalizeId
  std::vector<std::string> allowed;  // jurisdiction codes, sorted, unique, never empty
  std::string home_shard;            // shard id
  TenantState state = TenantState::kActive;
  uint64_t version = 0;              // bumped by ShardMap each time this tenant changes

  bool Allows(std::string_view jurisdiction) const;
  bool operator==(const Tenant&) const = default;
};

}  // namespace domicile
