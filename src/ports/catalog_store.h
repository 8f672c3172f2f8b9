// CatalogStore: where the catalog (the shard map) is kept, shared by every router that uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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

// Tells a router that the stored catalog may have changed, so it need not ask the store every
// few milliseconds. Wake-ups without a change are allowed. A change may be signalled before
// it is visible to readers (a file store sees the write before the commit ends), so a woken
// reader keeps checking for a short while.
class CatalogChangeWatch {
 public:
  virtual ~CatalogChangeWatch() = default;
  // Waits until the catalog may have changed since the previous Wait returned, `timeout`
  // passes, or Interrupt is called. True when woken by a possible change or by Interrupt.
  // One thread waits at a time.
  virtual bool Wait(std::chrono::milliseconds timeout) = 0;
  // Ends the Wait in progress, or else the next one, at once. Safe from any thread.
  virtual void Interrupt() = 0;
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

  // A watch for changes made by anyone (other processes too). Null when the store has no
  // change signal (callers then poll CurrentVersion); an error when it has one that cannot be
  // set up now (e.g. an OS limit), which callers may also answer by polling.
  virtual Result<std::unique_ptr<CatalogChangeWatch>> WatchChanges() {
    return std::unique_ptr<CatalogChangeWatch>();
  }
};

}  // namespace domicile
