// InMemoryCatalogStore: a CatalogStore fake with the real compare-and-set semantics, for app tests.
#include "fakes/in_memory_catalog_store.h"

#include <chrono>

namespace domicile::testing {

void ManualChangeWatch::State::Signal() {
  std::lock_guard<std::mutex> lock(mu);
  pending = true;
  cv.notify_all();
}

bool ManualChangeWatch::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  bool woken = state_->cv.wait_for(lock, timeout, [&] { return state_->pending; });
  state_->pending = false;
  return woken;
}

bool InMemoryCatalogStore::TakeFailure(Status* out) {
  if (fail_next_ <= 0) return false;
  --fail_next_;
  *out = failure_;
  return true;
}

Result<ShardMap> InMemoryCatalogStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  return map_;
}

Result<uint64_t> InMemoryCatalogStore::CurrentVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  ++version_checks_;
  Status failure;
  if (TakeFailure(&failure)) return failure;
  return map_.version();
}

Status InMemoryCatalogStore::Commit(uint64_t expected_version, const AppliedChange& change,
                                    const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++commit_calls_;
  Status failure;
  if (TakeFailure(&failure)) return failure;
  if (!change.changed()) return Status::Ok();
  if (change.map.version() != expected_version + 1) {
    return InvalidArgument("catalog commit: change makes version " +
                           std::to_string(change.map.version()) + " but expects to follow " +
                           std::to_string(expected_version));
  }
  if (map_.version() != expected_version) {
    return Conflict("catalog moved from version " + std::to_string(expected_version) + " to " +
                    std::to_string(map_.version()));
  }
  ChangeRecord rec;
  rec.version = change.map.version();
  rec.committed_at_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  rec.reason = reason;
  for (const auto& op : change.effective) rec.ops.push_back(DescribeOp(op));
  map_ = change.map;
  log_.push_back(std::move(rec));
  return Status::Ok();
}

Result<std::vector<ChangeRecord>> InMemoryCatalogStore::ChangesSince(uint64_t after_version,
                                                                     size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  std::vector<ChangeRecord> out;
  for (const auto& rec : log_) {
    if (out.size() >= limit) break;
    if (rec.version > after_version) out.push_back(rec);
  }
  return out;
}

void InMemoryCatalogStore::FailNextCalls(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  failure_ = std::move(status);
}

int InMemoryCatalogStore::commit_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commit_calls_;
}

Result<std::unique_ptr<CatalogChangeWatch>> InMemoryCatalogStore::WatchChanges() {
  std::lock_guard<std::mutex> lock(mu_);
  if (watch_mode_ == WatchMode::kFail) return watch_failure_;
  if (watch_mode_ == WatchMode::kNone) return std::unique_ptr<CatalogChangeWatch>();
  return std::unique_ptr<CatalogChangeWatch>(std::make_unique<ManualChangeWatch>(watch_state_));
}

void InMemoryCatalogStore::OfferWatch() {
  std::lock_guard<std::mutex> lock(mu_);
  watch_mode_ = WatchMode::kOffer;
}

void InMemoryCatalogStore::FailWatch(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  watch_mode_ = WatchMode::kFail;
  watch_failure_ = std::move(status);
}

void InMemoryCatalogStore::SignalChange() { watch_state_->Signal(); }

int InMemoryCatalogStore::version_checks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_checks_;
}

}  // namespace domicile::testing
