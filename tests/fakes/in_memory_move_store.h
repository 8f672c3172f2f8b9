// InMemoryMoveStore: a MoveStore fake with the real uniqueness and compare-and-set rules.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ports/move_store.h"

namespace domicile::testing {

// Thread-safe (one mutex). Same contract as SqliteMoveStore, including its refusals of a record
// that lists a table twice and of a Save whose `move` is not `expected`'s id; a failed call
// changes nothing. Not shared across processes.
class InMemoryMoveStore final : public MoveStore {
 public:
  InMemoryMoveStore() = default;

  Status Create(const TenantMove& move) override;
  Status Save(const TenantMove& expected, const TenantMove& move) override;
  Result<TenantMove> Get(const std::string& id) override;
  Result<std::optional<TenantMove>> Unfinished(const std::string& tenant) override;
  Result<std::vector<TenantMove>> List(bool include_ended) override;

  // Test knob: the next `n` calls of any method fail with `status` (kUnavailable by default),
  // so app tests can exercise a store that cannot be reached.
  void FailNextCalls(int n, Status status = Unavailable("in-memory move store made to fail"));

 private:
  // Consumes one injected failure if any is pending. Caller holds mu_.
  bool TakeFailure(Status* out);
  // kConflict when a move of `move.tenant` other than `move` itself is unfinished while `move`
  // is, or kInvalidArgument when `move` lists a table twice. Caller holds mu_.
  Status CheckWritable(const TenantMove& move) const;

  mutable std::mutex mu_;
  std::map<std::string, TenantMove> moves_;  // by id
  int fail_next_ = 0;
  Status failure_;
};

}  // namespace domicile::testing
