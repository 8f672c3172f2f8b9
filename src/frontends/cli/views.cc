// JSON and text renderings of jurisdictions, shards and tenants for the CLI.
#include "frontends/cli/views.h"

#include <algorithm>
#include <regex>

namespace domicile::cli {

std::string DisplayAddress(const Shard& shard) {
  if (shard.engine != Engine::kPostgres) return shard.address;
  static const std::regex kKeyword(R"((password\s*=\s*)('([^'\\]|\\.)*'|\S+))", std::regex::icase);
  static const std::regex kUri(R"(^(postgres(ql)?://[^:/@]*:)[^@]*@)", std::regex::icase);
  std::string out = std::regex_replace(shard.address, kKeyword, "$1***");
  return std::regex_replace(out, kUri, "$1***@");
}

nlohmann::json JurisdictionJson(const Jurisdiction& j) {
  return {{"code", j.code}, {"name", j.name}, {"regions", j.regions}};
}

nlohmann::json ShardJson(const Shard& shard, size_t tenants) {
  return {{"id", shard.id},
          {"engine", EngineName(shard.engine)},
          {"region", shard.region},
          {"jurisdiction", shard.jurisdiction},
          {"address", DisplayAddress(shard)},
          {"state", ShardStateName(shard.state)},
          {"weight", shard.weight},
          {"capacity", shard.capacity},
          {"tenants", tenants}};
}

nlohmann::json TenantJson(const Tenant& tenant) {
  return {{"id", tenant.id},
          {"allow", tenant.allowed},
          {"shard", tenant.home_shard},
          {"state", TenantStateName(tenant.state)},
          {"version", tenant.version}};
}

nlohmann::json CatalogJson(const ShardMap& map) {
  nlohmann::json out = {{"version", map.version()},
                        {"jurisdictions", nlohmann::json::array()},
                        {"shards", nlohmann::json::array()},
                        {"tenants", nlohmann::json::array()}};
  for (const auto& j : map.jurisdictions()) out["jurisdictions"].push_back(JurisdictionJson(j));
  for (const Shard* s : map.SortedShards()) {
    out["shards"].push_back(ShardJson(*s, map.TenantsOn(s->id)));
  }
  for (const Tenant* t : map.SortedTenants()) out["tenants"].push_back(TenantJson(*t));
  return out;
}

void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

void PrintShards(std::ostream& out, const ShardMap& map) {
  std::vector<std::vector<std::string>> rows = {{"ID", "ENGINE", "REGION", "JURISDICTION", "STATE",
                                                 "WEIGHT", "CAPACITY", "TENANTS", "ADDRESS"}};
  for (const Shard* s : map.SortedShards()) {
    rows.push_back({s->id, std::string(EngineName(s->engine)), s->region, s->jurisdiction,
                    std::string(ShardStateName(s->state)), std::to_string(s->weight),
                    s->capacity == 0 ? "-" : std::to_string(s->capacity),
                    std::to_string(map.TenantsOn(s->id)), DisplayAddress(*s)});
  }
  PrintTable(out, rows);
}

void PrintTenants(std::ostream& out, const ShardMap& map) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "SHARD", "JURISDICTION", "ALLOW", "STATE", "VERSION"}};
  for (const Tenant* t : map.SortedTenants()) {
    const Shard* shard = map.FindShard(t->home_shard);
    rows.push_back({t->id, t->home_shard, shard != nullptr ? shard->jurisdiction : "?",
                    Join(t->allowed, ","), std::string(TenantStateName(t->state)),
                    std::to_string(t->version)});
  }
  PrintTable(out, rows);
}

}  // namespace domicile::cli
