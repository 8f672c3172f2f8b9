// Jurisdiction: a legal area whose law decides where a tenant's rows may live.
#pragma once

#include <string>
#include <vector>

namespace domicile {

// A jurisdiction ("EU", "BR", "US") and the cloud regions that lie inside it. A region belongs
// to at most one jurisdiction in a catalog; ShardMap enforces it.
struct Jurisdiction {
  std::string code;                  // normalised upper case, see NormalizeJurisdictionCode
  std::string name;                  // display name, "European Union"
  std::vector<std::string> regions;  // normalised "provider:region", sorted, unique

  bool operator==(const Jurisdiction&) const = default;
};

}  // namespace domicile
