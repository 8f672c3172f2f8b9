#include "domain/tenant.h"

#include <algorithm>

namespace domicile {

std::string_view TenantStateName(TenantState state) {
  switch (state) {
    case TenantState::kActive: return "active";
    case TenantState::kMoving: return "moving";
    case TenantState::kFrozen: return "frozen";
    case TenantState::kHeld: return "held";
  }
  return "unknown";
}

std::optional<TenantState> ParseTenantState(std::string_view text) {
  if (text == "active") return TenantState::kActive;
  if (text == "moving") return TenantState::kMoving;
  if (text == "frozen") return TenantState::kFrozen;
  if (text == "held") return TenantState::kHeld;
  return std::nullopt;
}

bool Tenant::Allows(std::string_view jurisdiction) const {
  return std::binary_search(allowed.begin(), allowed.end(), jurisdiction);
}

}  // namespace domicile
