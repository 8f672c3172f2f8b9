// Placement: chooses the home shard of a new tenant inside its allowed jurisdictions.
#pragma once

#include <string>
#include <vector>

#include "domain/shard.h"
#include "domain/shard_map.h"
#include "domain/status.h"

namespace domicile {

// Pure: safe from any thread.
class Placement {
 public:
  // Among active shards inside `allowed` (jurisdiction codes, normalised) that have room,
  // picks the one with the least load, load being tenants / weight; ties go to the smallest
  // shard id, so the same catalog always gives the same answer. Refuses (kPolicyRefused,
  // or kNotFound for an unknown jurisdiction) with a message that says why each shard in
  // the allowed jurisdictions was passed over.
  static Result<const Shard*> Choose(const ShardMap& map, const std::vector<std::string>& allowed);
};

}  // namespace domicile
