#include "domain/placement.h"

#include <algorithm>

namespace domicile {

Result<const Shard*> Placement::Choose(const ShardMap& map,
                                       const std::vector<std::string>& allowed) {
  if (allowed.empty()) {
    return PolicyRefused(
        "residency rule R1 (allowed-jurisdiction-required): a tenant must allow at least one "
        "jurisdiction");
  }
  for (const auto& code : allowed) {
    if (map.FindJurisdiction(code) == nullptr) {
      return NotFound("unknown jurisdiction '" + code + "'");
    }
  }
  const Shard* best = nullptr;
  uint64_t best_count = 0;
  std::vector<std::string> passed_over;
  for (const Shard* s : map.SortedShards()) {
    if (std::find(allowed.begin(), allowed.end(), s->jurisdiction) == allowed.end()) continue;
    uint64_t count = map.TenantsOn(s->id);
    if (s->state != ShardState::kActive) {
      passed_over.push_back(s->id + " is " + std::string(ShardStateName(s->state)));
      continue;
    }
    if (s->capacity != 0 && count >= s->capacity) {
      passed_over.push_back(s->id + " is full (" + std::to_string(s->capacity) + " tenants)");
      continue;
    }
    // count/weight < best_count/best_weight, compared exactly by cross-multiplying.
    // Shards come sorted by id and only a strictly smaller load wins: ties keep the
    // smallest id.
    if (best == nullptr || count * best->weight < best_count * s->weight) {
      best = s;
      best_count = count;
    }
  }
  if (best != nullptr) return best;
  std::string where;
  for (const auto& code : allowed) where += (where.empty() ? "" : ", ") + code;
  std::string text = "no shard can take a new tenant in [" + where + "]";
  if (passed_over.empty()) {
    text += ": there is no shard in these jurisdictions";
  } else {
    text += ":";
    for (const auto& reason : passed_over) text += " " + reason + ";";
    text.pop_back();
  }
  return PolicyRefused(std::move(text));
}

}  // namespace domicile
