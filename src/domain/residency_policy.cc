#include "domain/residency_policy.h"

namespace domicile {
namespace {

std::string JoinAllowed(const Tenant& tenant) {
  std::string out = "[";
  for (size_t i = 0; i < tenant.allowed.size(); ++i) {
    if (i) out += ", ";
    out += tenant.allowed[i];
  }
  return out + "]";
}

std::string_view RuleLabel(ResidencyRule rule) {
  switch (rule) {
    case ResidencyRule::kAllowedJurisdictionRequired: return "R1";
    case ResidencyRule::kShardInAllowedJurisdiction: return "R2";
    case ResidencyRule::kFlowInsideAllowed: return "R3";
  }
  return "R?";
}

}  // namespace

std::string_view ResidencyRuleName(ResidencyRule rule) {
  switch (rule) {
    case ResidencyRule::kAllowedJurisdictionRequired: return "allowed-jurisdiction-required";
    case ResidencyRule::kShardInAllowedJurisdiction: return "shard-in-allowed-jurisdiction";
    case ResidencyRule::kFlowInsideAllowed: return "flow-inside-allowed";
  }
  return "unknown";
}

Status ResidencyRefusal::ToStatus() const {
  std::string text = "residency rule ";
  text += RuleLabel(rule);
  text += " (";
  text += ResidencyRuleName(rule);
  text += "): ";
  text += message;
  return PolicyRefused(std::move(text));
}

std::optional<ResidencyRefusal> ResidencyPolicy::CheckPlacement(const Tenant& tenant,
                                                                const Shard& shard) {
  if (tenant.allowed.empty()) {
    return ResidencyRefusal{ResidencyRule::kAllowedJurisdictionRequired,
                            "tenant '" + tenant.id + "' allows no jurisdiction"};
  }
  if (!tenant.Allows(shard.jurisdiction)) {
    return ResidencyRefusal{ResidencyRule::kShardInAllowedJurisdiction,
                            "tenant '" + tenant.id + "' may live only in " + JoinAllowed(tenant) +
                                ", but shard '" + shard.id + "' (" + shard.region + ") is in " +
                                (shard.jurisdiction.empty() ? "no jurisdiction" : shard.jurisdiction)};
  }
  return std::nullopt;
}

std::optional<ResidencyRefusal> ResidencyPolicy::CheckFlow(const Tenant& tenant,
                                                           std::string_view from,
                                                           std::string_view to) {
  if (tenant.allowed.empty()) {
    return ResidencyRefusal{ResidencyRule::kAllowedJurisdictionRequired,
                            "tenant '" + tenant.id + "' allows no jurisdiction"};
  }
  for (std::string_view end : {from, to}) {
    if (!tenant.Allows(end)) {
      return ResidencyRefusal{ResidencyRule::kFlowInsideAllowed,
                              "rows of tenant '" + tenant.id + "' may not flow from " +
                                  std::string(from) + " to " + std::string(to) + ": " +
                                  std::string(end) + " is outside " + JoinAllowed(tenant)};
    }
  }
  return std::nullopt;
}

}  // namespace domicile
