// Resolver: answers "which shard holds tenant T" from a cached, versioned copy of the catalog.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "domain/shard_map.h"
#include "domain/status.h"
#include "ports/catalog_store.h"

namespace domicile {

struct ResolverOptions {
  // The cached map is never older than this: a store without a change watch is asked for its
  // version this often; with one, the store is asked at once when the watch signals and then
  // this often for `after_signal` (a signal may come before its commit is visible). A
  // changed version is loaded at once.
  std::chrono::milliseconds ttl{1000};
  std::chrono::milliseconds after_signal{1000};
  // With a watch, how often the store is still asked while nothing signals, in case a change
  // escaped the watch (a lost signal costs at most this much staleness).
  std::chrono::milliseconds watched_poll{1000};
};

// Holds the current ShardMap behind an atomically published pointer.
//
// Threads: Lookup/Snapshot/version may be called from any number of threads and never block
// in steady state: each thread keeps its own reference to the current map and only checks an
// atomic generation counter; after a new version is published, a thread's first lookup
// takes a short mutex once to pick it up. Start/Stop/Refresh/Publish are for one control
// thread (the background refresher is started by Start).
class Resolver {
 public:
  Resolver(CatalogStore& store, ResolverOptions options = {});
  ~Resolver();  // stops the refresher
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Loads the catalog once (failing if it cannot) and starts the background refresher.
  Status Start();
  void Stop();

  // Checks the store's version now and loads the catalog if it changed. Safe to call while
  // the refresher runs (serialised internally).
  Status Refresh();
  // Makes `map` current if it is newer than the current one (tests, in-process writers).
  void Publish(std::shared_ptr<const ShardMap> map);

  // Where `tenant_id` lives (case-insensitive). kNotFound "unknown tenant 'x'" when absent.
  // The pointers in the Route stay valid until this thread's next Lookup or Snapshot call;
  // hold Snapshot() instead to keep a map for longer.
  Result<Route> Lookup(std::string_view tenant_id) const;
  std::shared_ptr<const ShardMap> Snapshot() const;
  // This thread's current map without taking a reference: valid until this thread's next
  // Lookup, Snapshot or ThreadSnapshot call. For a holder that copies it only when it
  // changed (a shared_ptr copy is two atomic operations on every routed statement).
  const std::shared_ptr<const ShardMap>& ThreadSnapshot() const;
  uint64_t version() const;

  // The last refresh error (ok when the last check succeeded). Routing goes on with the
  // last good map while the store is unreachable.
  Status last_refresh_status() const;

  // How the refresher learns of changes, for the operator: "watched", or "polled every N ms"
  // and why there is no watch. Set by Start.
  const std::string& change_detection() const { return change_detection_; }

 private:
  const ShardMap& ThreadLocalMap() const;
  void RefreshLoop();

  CatalogStore& store_;
  const ResolverOptions options_;
  const uint64_t instance_id_;  // tells thread caches of different resolvers apart

  mutable std::mutex map_mu_;  // guards current_; readers take it once per new version
  std::shared_ptr<const ShardMap> current_;
  std::atomic<uint64_t> generation_{0};  // bumped after each publish
  std::atomic<uint64_t> version_{0};

  std::mutex refresh_mu_;  // serialises Refresh
  mutable std::mutex status_mu_;
  Status last_refresh_status_;

  // The store's change signal, when it has one (set by Start, before the refresher runs).
  // Without it the refresher waits on loop_cv_.
  std::unique_ptr<CatalogChangeWatch> watch_;
  std::string change_detection_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace domicile
