// InMemoryCatalogStore: a CatalogStore fake with the real compare-and-set semantics, for app tests.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "ports/catalog_store.h"

namespace domicile::testing {

// Thread-safe (one mutex). Same contract as every CatalogStore: Commit succeeds only at the
// expected version, a change without effective operations writes nothing, and a failed commit
// leaves the catalog unchanged. Not shared across processes.
class InMemoryCatalogStore final : public CatalogStore {
 public:
  InMemoryCatalogStore() = default;

  Result<ShardMap> Load() override;
  Result<uint64_t> CurrentVersion() override;
  Status Commit(uint64_t expected_version, const AppliedChange& change,
                const std::string& reason) override;
  Result<std::vector<ChangeRecord>> ChangesSince(uint64_t after_version, size_t limit) override;

  // Test knob: the next `n` calls of any method fail with `status` (kUnavailable by default),
  // so app tests can exercise a store that cannot be reached.
  void FailNextCalls(int n, Status status = Unavailable("in-memory catalog made to fail"));
  // How many Commit calls were made (successful or not).
  int commit_calls() const;

 private:
  // Consumes one injected failure if any is pending. Caller holds mu_.
  bool TakeFailure(Status* out);

  mutable std::mutex mu_;
  ShardMap map_;
  std::vector<ChangeRecord> log_;
  int fail_next_ = 0;
  Status failure_;
  int commit_calls_ = 0;
};

}  // namespace domicile::testing
