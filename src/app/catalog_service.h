// CatalogService: the admin use cases that change the catalog (apply a topology, add shards
// and tenants, drain), each committed with compare-and-set on the catalog version.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/shard_map.h"
#include "domain/status.h"
#include "domain/topology.h"
#include "ports/catalog_store.h"

namespace domicile {

// What a topology apply did, for the CLI to print.
struct ApplyReport {
  uint64_t old_version = 0;
  uint64_t new_version = 0;          // == old_version when nothing changed
  std::vector<std::string> changes;  // DescribeOp of each effective operation
};

// Thread-compatible: one instance per thread, or external locking. Every method reads the
// current snapshot, validates the change in the domain, and commits it with CAS; on a lost
// race it re-reads and retries (bounded), so concurrent admins never overwrite each other.
class CatalogService {
 public:
  explicit CatalogService(CatalogStore& store) : store_(store) {}

  Result<ShardMap> Snapshot() { return store_.Load(); }

  // Makes the catalog contain everything `topology` declares. Idempotent: applying the same
  // topology twice changes nothing the second time. All or nothing: on any problem nothing
  // is written and the error lists every problem as "FILE:LINE: message".
  Result<ApplyReport> ApplyTopology(const Topology& topology);

  // Adds a shard (kAlreadyExists if a different shard has that id).
  Result<Shard> AddShard(const Shard& shard);
  Status SetShardState(const std::string& shard_id, ShardState state);

  // Adds a tenant. Without `shard`, placement picks one inside `allowed`; with it, the shard
  // is checked against residency (kPolicyRefused). Adding the same tenant again with the same
  // jurisdictions is a no-op; with different ones it is kAlreadyExists.
  Result<Tenant> AddTenant(const std::string& id, const std::vector<std::string>& allowed,
                           const std::optional<std::string>& shard);

  // Commits an arbitrary change (with bounded CAS retries). Used by the above and by tools.
  Result<AppliedChange> Submit(const CatalogChange& change);

 private:
  CatalogStore& store_;
};

}  // namespace domicile
