// Topology: a declared catalog (jurisdictions, shards, tenants) as read from a file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/jurisdiction.h"
#include "domain/shard.h"

namespace domicile {

// Each entry remembers the line it came from (0 when unknown) so problems can point at it.
struct TopologyJurisdiction {
  Jurisdiction jurisdiction;
  int line = 0;
};

struct TopologyShard {
  Shard shard;  // jurisdiction left empty: the catalog derives it from the region
  int line = 0;
};

struct TopologyTenant {
  std::string id;
  std::vector<std::string> allow;
  std::optional<std::string> shard;  // absent: placement chooses
  int line = 0;
};

struct Topology {
  std::string source;  // file name, for messages
  std::vector<TopologyJurisdiction> jurisdictions;
  std::vector<TopologyShard> shards;
  std::vector<TopologyTenant> tenants;
};

}  // namespace domicile
