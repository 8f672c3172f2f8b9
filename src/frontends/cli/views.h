// How the CLI shows catalog entities: JSON objects (stable field names) and text tables.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "domain/shard_map.h"

namespace domicile::cli {

// A shard's address fit to print: a password in a DSN (keyword or URI form) becomes "***".
std::string DisplayAddress(const Shard& shard);

// {"code","name","regions"}
nlohmann::json JurisdictionJson(const Jurisdiction& j);
// {"id","engine","region","jurisdiction","address","state","weight","capacity","tenants"}
nlohmann::json ShardJson(const Shard& shard, size_t tenants);
// {"id","allow","shard","state","version"}
nlohmann::json TenantJson(const Tenant& tenant);
// {"version","jurisdictions":[...],"shards":[...],"tenants":[...]}, each sorted.
nlohmann::json CatalogJson(const ShardMap& map);

// Prints rows as left-aligned columns; the first row is the header.
void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                const std::string& indent = "  ");

std::string Join(const std::vector<std::string>& items, const std::string& sep);

// Text tables of the shards / tenants of `map`.
void PrintShards(std::ostream& out, const ShardMap& map);
void PrintTenants(std::ostream& out, const ShardMap& map);

}  // namespace domicile::cli
