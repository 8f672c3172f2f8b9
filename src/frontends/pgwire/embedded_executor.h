// EmbeddedExecutor: serves embedded (SQLite) shards to wire clients on worker threads, so a
// slow statement never blocks the network threads that run every other session.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain/shard.h"
#include "domain/status.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/embedded_runner.h"
#include "ports/shard_storage.h"

namespace domicile::pgwire {

// Builds the storage adapter that reaches a shard (the CLI's MakeShardStorage).
using ShardStorageFactory = std::function<Result<std::unique_ptr<ShardStorage>>(const Shard&)>;

struct EmbeddedSettings {
  int threads = 2;                // worker threads running SQLite statements
  size_t max_idle_per_shard = 8;  // pooled sessions kept open per shard
};

// Shared by every client session of one server. Thread-safe. Work runs on a private thread
// pool; Offload resumes the awaiting coroutine on its own executor (the session's thread).
// Shutdown (or the destructor) waits for running work; destroy the executor only after the
// io_context it posts back to has stopped running, and call Shutdown before that io_context
// is destroyed.
class EmbeddedExecutor {
 public:
  EmbeddedExecutor(ShardStorageFactory factory, EmbeddedSettings settings = {});
  ~EmbeddedExecutor();
  EmbeddedExecutor(const EmbeddedExecutor&) = delete;
  EmbeddedExecutor& operator=(const EmbeddedExecutor&) = delete;

  // Runs `work` on a worker thread; the caller resumes on its executor with the result.
  // `work` must not throw.
  template <typename F>
  awaitable<std::invoke_result_t<F&>> Offload(F work);

  // Blocking (worker threads): a pooled session of `shard`, or a newly opened one.
  Result<std::unique_ptr<EmbeddedLease>> AcquireBlocking(const Shard& shard);
  // Any thread: takes a lease back. A lease mid-transaction is rolled back on a worker first;
  // after Shutdown the lease is simply closed (SQLite rolls back on close).
  void Release(std::unique_ptr<EmbeddedLease> lease);
  void Shutdown();

 private:
  struct ShardEntry {
    std::string address;
    std::unique_ptr<ShardStorage> storage;
    std::vector<std::unique_ptr<ShardSession>> idle;
  };
  void Pool(std::unique_ptr<EmbeddedLease> lease);

  ShardStorageFactory factory_;
  EmbeddedSettings settings_;
  std::mutex mu_;
  std::map<std::string, ShardEntry> shards_;  // by shard id
  asio::thread_pool pool_;
  std::atomic<bool> stopped_{false};
};

// One client session's view of the embedded shards: its leased SQLite session (held for a
// transaction, pinned state or an unsynced batch) and its portals. Owned by the session and
// used from its thread only; the session awaits every call before making the next.
class EmbeddedClient {
 public:
  explicit EmbeddedClient(EmbeddedExecutor& executor) : executor_(executor) {}
  ~EmbeddedClient() { Detach(); }
  EmbeddedClient(const EmbeddedClient&) = delete;
  EmbeddedClient& operator=(const EmbeddedClient&) = delete;

  bool attached() const { return lease_ != nullptr; }
  const std::string& shard_id() const { return lease_->shard_id; }
  char status() const { return lease_ ? lease_->status : 'I'; }
  bool synced() const { return synced_; }

  // Arguments are references, copied before the first suspension: a non-trivial temporary in
  // a co_await expression is unsafe with g++ 12 (see embedded_executor.cc).
  awaitable<Status> Attach(const Shard& shard);
  // Runs a simple Query; `begin_first` starts the transaction a locally answered BEGIN
  // promised.
  awaitable<EmbeddedOutcome> Query(std::string_view sql,
                                   const std::shared_ptr<const StatementInfo>& info,
                                   bool begin_first);
  // Takes the steps (leaves `steps` empty).
  awaitable<EmbeddedOutcome> Batch(std::vector<EmbeddedStep>& steps, bool begin_first);
  // Gives the lease back (rolled back if mid-transaction); portals go with it.
  void Detach();

 private:
  EmbeddedExecutor& executor_;
  std::unique_ptr<EmbeddedLease> lease_;
  EmbeddedExtendedState extended_;
  bool synced_ = true;
  // The inputs of the job in flight (see the note in embedded_executor.cc).
  Shard pending_shard_;
  std::string pending_sql_;
  std::shared_ptr<const StatementInfo> pending_info_;
  std::vector<EmbeddedStep> pending_steps_;
};

template <typename F>
awaitable<std::invoke_result_t<F&>> EmbeddedExecutor::Offload(F work) {
  using T = std::invoke_result_t<F&>;
  auto initiation = [this](auto handler, F job) {
    // The work guard keeps the session's io_context from running out of work meanwhile.
    auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(pool_, [handler = std::move(handler), job = std::move(job),
                       guard = std::move(guard)]() mutable {
      T result = job();
      auto back = guard.get_executor();
      asio::post(back, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<Executor>&, void(T)>(
      std::move(initiation), kUseAwaitable, std::move(work));
}

}  // namespace domicile::pgwire
