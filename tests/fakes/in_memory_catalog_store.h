// InMemoryCatalogStore: a CatalogStore fake with the real compare-and-set semantics, for app tests.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ports/catalog_store.h"

namespace domicile::testing {

// A CatalogChangeWatch woken by hand only (State::Signal, or Interrupt), like a real watch
// that misses nothing.
class ManualChangeWatch final : public CatalogChangeWatch {
 public:
  struct State {
    void Signal();
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false;
  };
  explicit ManualChangeWatch(std::shared_ptr<State> state) : state_(std::move(state)) {}
  bool Wait(std::chrono::milliseconds timeout) override;
  void Interrupt() override { state_->Signal(); }

 private:
  std::shared_ptr<State> state_;
};

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
  // Null (no change signal) unless a test called OfferWatch or FailWatch.
  Result<std::unique_ptr<CatalogChangeWatch>> WatchChanges() override;

  // Test knobs for WatchChanges: hand out a watch that only SignalChange wakes (a commit
  // does not), or fail with `status`.
  void OfferWatch();
  void FailWatch(Status status);
  void SignalChange();
  // How many CurrentVersion calls were made: how often a refresher asked.
  int version_checks() const;

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
  int version_checks_ = 0;

  enum class WatchMode { kNone, kOffer, kFail } watch_mode_ = WatchMode::kNone;
  Status watch_failure_;
  // Shared with the watches handed out.
  std::shared_ptr<ManualChangeWatch::State> watch_state_ =
      std::make_shared<ManualChangeWatch::State>();
};

}  // namespace domicile::testing
