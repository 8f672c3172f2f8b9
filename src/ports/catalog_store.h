// CatalogStore: where the catalog (the shard map) is kept, shared by every router that uses it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/shard_map.h"
#include "domain/status.h"

namespace domicile {

// One committed catalog version, as kept in the change log.
struct ChangeRecord {
  uint64_t version = 0;
  int64_t committed_at_unix_ms = 0;
  std::string reason;
  std::vector<std::string> ops;  // DescribeOp of each effective operation
};

// Implementations must be safe to call from several threads and several processes at once:
// Commit is a compare-and-set on the catalog version, so of two writers that read the same
// version exactly one wins and the other gets kConflict. A failed Commit leaves the stored
// catalog exactly as it was (no half-written change).
class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  // The current snapshot (version 0 and empty for a new store). kCorrupt when what is stored
  // is not a valid catalog; kUnavailable when the store cannot be reached.
  virtual Result<ShardMap> Load() = 0;

  // The current version only: cheap, for routers that poll for changes.
  virtual Result<uint64_t> CurrentVersion() = 0;

  // Persists `change` (made by ShardMap::Apply on the snapshot of `expected_version`) if
  // and only if the stored version is still `expected_version`; the stored version becomes
  // change.map.version(). kConflict when another writer got there first. A change with no
  // effective operation is a no-op that succeeds without writing.
  virtual Status Commit(uint64_t expected_version, const AppliedChange& change,
                        const std::string& reason) = 0;

  // Change log entries with version > `after_version`, oldest first, at most `limit`.
  virtual Result<std::vector<ChangeRecord>> ChangesSince(uint64_t after_version,
                                                         size_t limit) = 0;
};

}  // namespace domicile
