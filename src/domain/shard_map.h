// ShardMap: an immutable, versioned snapshot of the catalog with O(1) tenant -> shard lookup.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/catalog_change.h"
#include "domain/jurisdiction.h"
#include "domain/shard.h"
#include "domain/status.h"
#include "domain/tenant.h"

namespace domicile {

// Where a tenant lives. Pointers into the ShardMap that produced it: valid while that
// ShardMap lives.
struct Route {
  const Tenant* tenant = nullptr;
  const Shard* shard = nullptr;
};

class ShardMap;

// The outcome of applying a change: the new map, and the operations that actually changed
// something, rewritten as complete normalised entities (PutJurisdiction, PutShard, PutTenant
// with its new version, RemoveTenant) so a store can persist exactly them.
struct AppliedChange;

// Immutable once built: every method is const and safe from any number of threads. A new
// version comes only from Apply (validated changes) or Build (validated stored rows).
//
// Invariants every ShardMap holds:
//  - ids and codes are normalised; a region belongs to at most one jurisdiction;
//  - every shard's region lies in a known jurisdiction, which is the shard's jurisdiction;
//  - every tenant allows >= 1 known jurisdiction and its home shard exists and lies inside them.
class ShardMap {
 public:
  ShardMap() = default;  // the empty catalog, version 0

  uint64_t version() const { return version_; }

  const Jurisdiction* FindJurisdiction(std::string_view code) const;
  const Jurisdiction* JurisdictionOfRegion(std::string_view region) const;
  const Shard* FindShard(std::string_view id) const;
  const Tenant* FindTenant(std::string_view id) const;
  // The hot path: one hash lookup. kNotFound "unknown tenant 'x'" when absent. The id must
  // already be normalised (lower case); see NormalizeId.
  Result<Route> Resolve(std::string_view tenant_id) const;

  // Tenants whose home is the shard (0 for an unknown shard).
  size_t TenantsOn(std::string_view shard_id) const;
  size_t tenant_count() const { return tenants_.size(); }

  // Sorted by code / id, for display and deterministic iteration.
  const std::vector<Jurisdiction>& jurisdictions() const { return jurisdictions_; }
  std::vector<const Shard*> SortedShards() const;
  std::vector<const Tenant*> SortedTenants() const;
  // Unordered, for bulk work (persisting, counting).
  void ForEachTenant(const std::function<void(const Tenant&)>& fn) const;

  // Applies `change` to a copy of this map, normalising and validating every operation.
  // Returns the new map, whose version is version()+1 when anything changed and version()
  // when every operation was a no-op (so applying the same change twice is idempotent).
  // On failure returns the first problem's code with every problem listed in the message;
  // use Check to get them one by one.
  Result<AppliedChange> Apply(const CatalogChange& change) const;
  // Every problem Apply would report, in operation order; empty when the change is valid.
  std::vector<Problem> Check(const CatalogChange& change) const;

  // Builds a map from stored rows (catalog adapters), checking the invariants above.
  static Result<ShardMap> Build(uint64_t version, std::vector<Jurisdiction> jurisdictions,
                                std::vector<Shard> shards, std::vector<Tenant> tenants);

 private:
  struct TenantEntry {
    Tenant tenant;
    uint32_t shard_slot;  // index into shards_
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  using Effects = std::vector<CatalogOp>;
  // Applies ops in order on *this (a working copy), appending problems and the effective
  // operations.
  void ApplyOps(const CatalogChange& change, uint64_t new_version, std::vector<Problem>* problems,
                Effects* effects);
  Status ApplyOne(const CatalogOp& op, uint64_t new_version, Effects* effects);
  Status PutJurisdictionOp(Jurisdiction j, Effects* effects);
  Status PutShardOp(Shard s, Effects* effects);
  Status SetShardStateOp(const std::string& id, ShardState state, Effects* effects);
  Status PutTenantOp(Tenant t, uint64_t new_version, Effects* effects);
  Status SetTenantStateOp(const std::string& id, TenantState state, uint64_t new_version,
                          Effects* effects);
  Status RemoveTenantOp(const std::string& id, Effects* effects);
  // Checks that every tenant on `shard_slot` (or on every shard when -1) may stay there.
  Status CheckTenantsOn(int64_t shard_slot) const;
  void RebuildRegionIndex();

  uint64_t version_ = 0;
  std::vector<Jurisdiction> jurisdictions_;  // sorted by code
  StringMap<size_t> region_to_jurisdiction_; // region -> index into jurisdictions_
  std::vector<Shard> shards_;                // append-only: slots stay valid across versions
  StringMap<uint32_t> shard_slots_;
  std::vector<uint32_t> tenants_per_shard_;  // by slot
  StringMap<TenantEntry> tenants_;
};

struct AppliedChange {
  ShardMap map;
  std::vector<CatalogOp> effective;  // empty: nothing changed and map.version() is unchanged
  bool changed() const { return !effective.empty(); }
};

}  // namespace domicile
