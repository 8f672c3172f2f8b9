// ResidencyPolicy: where a tenant's raw rows may live and where they may flow.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/shard.h"
#include "domain/status.h"
#include "domain/tenant.h"

namespace domicile {

// The rules, named so that every refusal says which one it applied.
enum class ResidencyRule {
  kAllowedJurisdictionRequired,  // R1: a tenant allows at least one jurisdiction
  kShardInAllowedJurisdiction,   // R2: a tenant lives only on shards inside its jurisdictions
  kFlowInsideAllowed,            // R3: raw rows flow only between jurisdictions the tenant allows
};

std::string_view ResidencyRuleName(ResidencyRule rule);

// A typed refusal: which rule, and a message that names tenant, shard and jurisdictions.
struct ResidencyRefusal {
  ResidencyRule rule;
  std::string message;
  // kPolicyRefused with "residency rule R2 (shard-in-allowed-jurisdiction): ..."
  Status ToStatus() const;
};

// Pure and stateless: safe from any thread.
class ResidencyPolicy {
 public:
  // May `tenant` keep its rows on `shard`? The shard's jurisdiction must be set (ShardMap
  // derives it from the region).
  static std::optional<ResidencyRefusal> CheckPlacement(const Tenant& tenant, const Shard& shard);

  // May raw rows of `tenant` flow from jurisdiction `from` to jurisdiction `to` (a move, a
  // copy, a query result)? Both ends must be allowed for the tenant.
  static std::optional<ResidencyRefusal> CheckFlow(const Tenant& tenant, std::string_view from,
                                                   std::string_view to);
};

}  // namespace domicile
