// EmbeddedExecutor and EmbeddedClient: pooled SQLite sessions, worker threads, leases.
#include "frontends/pgwire/embedded_executor.h"

#include <algorithm>

#include "frontends/pgwire/backend_encoder.h"

namespace domicile::pgwire {
namespace {

// The transaction a locally answered BEGIN promised could not start.
EmbeddedOutcome FailedBegin(const Status& st) {
  EmbeddedOutcome outcome;
  outcome.failed = true;
  EncodeError(outcome.bytes, "ERROR", SqlStateForStorageError(st), st.message());
  Encode(outcome.bytes, ReadyForQuery{TransactionStatus::kIdle});
  return outcome;
}

}  // namespace

EmbeddedExecutor::EmbeddedExecutor(ShardStorageFactory factory, EmbeddedSettings settings)
    : factory_(std::move(factory)),
      settings_(settings),
      pool_(static_cast<size_t>(std::max(1, settings.threads))) {}

EmbeddedExecutor::~EmbeddedExecutor() { Shutdown(); }

void EmbeddedExecutor::Shutdown() {
  stopped_ = true;
  pool_.join();
}

Result<std::unique_ptr<EmbeddedLease>> EmbeddedExecutor::AcquireBlocking(const Shard& shard) {
  auto lease = std::make_unique<EmbeddedLease>();
  lease->shard_id = shard.id;
  lease->address = shard.address;
  ShardStorage* storage = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ShardEntry& entry = shards_[shard.id];
    if (entry.storage && entry.address != shard.address) {
      entry = ShardEntry{};  // the catalog moved the shard: forget the old file's sessions
    }
    if (!entry.idle.empty()) {
      lease->session = std::move(entry.idle.back());
      entry.idle.pop_back();
      return lease;
    }
    if (!entry.storage) {
      auto made = factory_(shard);
      if (!made.ok()) return made.status();
      entry.storage = std::move(*made);
      entry.address = shard.address;
    }
    storage = entry.storage.get();  // storages live as long as the executor (or a move)
  }
  // Opening touches the file system, outside the lock. Open is thread-safe by contract.
  auto session = storage->Open();
  if (!session.ok()) {
    return Status(session.status().code(), "shard " + shard.id + ": " + session.status().message());
  }
  lease->session = std::move(*session);
  return lease;
}

void EmbeddedExecutor::Pool(std::unique_ptr<EmbeddedLease> lease) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shards_.find(lease->shard_id);
  if (it == shards_.end() || it->second.address != lease->address ||
      it->second.idle.size() >= settings_.max_idle_per_shard) {
    return;  // closed here
  }
  it->second.idle.push_back(std::move(lease->session));
}

void EmbeddedExecutor::Release(std::unique_ptr<EmbeddedLease> lease) {
  if (!lease || !lease->session) return;
  if (stopped_) return;  // the lease closes; SQLite rolls back what was open
  if (lease->status == 'I') {
    Pool(std::move(lease));
    return;
  }
  asio::post(pool_, [this, lease = std::move(lease)]() mutable {
    if (lease->session->Rollback().ok()) {
      lease->status = 'I';
      Pool(std::move(lease));
    }
  });
}

// The jobs below capture only pointers and flags: g++ 12 may copy a co_await expression's
// temporaries bitwise into the coroutine frame, which breaks captured std::strings (SSO).
// What a job reads lives in this object, which outlives the await.
awaitable<Status> EmbeddedClient::Attach(const Shard& shard) {
  if (lease_) co_return Status::Ok();
  pending_shard_ = shard;
  EmbeddedExecutor* executor = &executor_;
  const Shard* target = &pending_shard_;
  auto job = [executor, target]() { return executor->AcquireBlocking(*target); };
  auto lease = co_await executor_.Offload(job);
  if (!lease.ok()) co_return lease.status();
  lease_ = std::move(*lease);
  co_return Status::Ok();
}

awaitable<EmbeddedOutcome> EmbeddedClient::Query(std::string_view sql,
                                                 const std::shared_ptr<const StatementInfo>& info,
                                                 bool begin_first) {
  pending_sql_ = std::string(sql);
  pending_info_ = info;
  EmbeddedLease* lease = lease_.get();
  EmbeddedClient* self = this;
  auto job = [lease, self, begin_first]() -> EmbeddedOutcome {
    if (begin_first && lease->status == 'I') {
      Status st = lease->session->Begin();
      if (!st.ok()) return FailedBegin(st);
      lease->status = 'T';
    }
    return RunEmbeddedQuery(*lease, self->pending_sql_, self->pending_info_.get());
  };
  EmbeddedOutcome outcome = co_await executor_.Offload(job);
  pending_info_.reset();
  co_return outcome;
}

awaitable<EmbeddedOutcome> EmbeddedClient::Batch(std::vector<EmbeddedStep>& steps,
                                                 bool begin_first) {
  synced_ = !steps.empty() && steps.back().kind == EmbeddedStep::Kind::kSync;
  pending_steps_ = std::move(steps);
  steps.clear();
  EmbeddedLease* lease = lease_.get();
  EmbeddedClient* self = this;
  auto job = [lease, self, begin_first]() -> EmbeddedOutcome {
    std::string before;
    if (begin_first && lease->status == 'I') {
      Status st = lease->session->Begin();
      if (st.ok()) {
        lease->status = 'T';
      } else {
        EncodeError(before, "ERROR", SqlStateForStorageError(st), st.message());
        self->extended_.skip_to_sync = true;  // the error answers the batch up to its Sync
      }
    }
    EmbeddedOutcome outcome = RunEmbeddedBatch(*lease, self->extended_, self->pending_steps_);
    if (!before.empty()) {
      outcome.bytes.insert(0, before);
      outcome.failed = true;
    }
    return outcome;
  };
  EmbeddedOutcome outcome = co_await executor_.Offload(job);
  pending_steps_.clear();
  co_return outcome;
}

void EmbeddedClient::Detach() {
  extended_ = EmbeddedExtendedState{};
  synced_ = true;
  if (lease_) executor_.Release(std::move(lease_));
}

}  // namespace domicile::pgwire
