// ServerPools: pooled server connections per shard, with a queue, a global cap, an idle
// recycler and a circuit breaker that makes a down shard fail fast.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/shard.h"
#include "domain/status.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/server_connection.h"

namespace domicile::pgwire {

enum class PoolMode { kTransaction, kSession };

struct PoolSettings {
  PoolMode mode = PoolMode::kTransaction;
  size_t min_size = 0;      // idle connections kept open per shard
  size_t max_size = 20;     // connections per shard
  size_t global_max = 200;  // connections over all shards
  std::chrono::milliseconds acquire_timeout{5000};  // queue wait before SQLSTATE 53300
  std::chrono::milliseconds idle_timeout{60000};    // close idle connections after this
  std::chrono::milliseconds server_lifetime{3600000};
  std::chrono::milliseconds breaker_min_backoff{100};  // first pause after a failed connect
  std::chrono::milliseconds breaker_max_backoff{5000};
};

struct PoolStats {
  std::string shard;
  size_t idle = 0;
  size_t active = 0;   // handed out to sessions
  size_t waiting = 0;  // sessions queued
  bool down = false;
};

// Thread-safe: sessions on any thread acquire and release. A connection handed out is owned
// by the session until it gives it back with Release.
class ServerPools {
 public:
  ServerPools(asio::io_context& io, PoolSettings settings);
  ~ServerPools();

  // A logged-in connection to `shard`'s PostgreSQL server. Fails fast with kUnavailable
  // (naming the shard) while the shard's breaker is open, with kUnavailable when a connect
  // fails, and with kResourceExhausted when no connection frees up within acquire_timeout.
  // `place`: the caller's place in pool queues, kept between calls (one per session): a
  // session that queues for every transaction (more clients than connections) then reuses
  // its waiter and timer instead of making them each time. Empty at first.
  // `catalog_version`: the version of the catalog `shard` comes from. A pool takes its address
  // from the newest catalog it was asked with: a session still routing with an older one is
  // given a connection to the newer address, and pools never go back to an old one. One
  // handed over while the caller queued may be to an address the catalog has since replaced:
  // the session routes again after such a wait (ClientSession::FinishRouting), and its
  // ChooseShard drops a Stale connection.
  struct Waiter;
  using QueuePlace = std::shared_ptr<Waiter>;
  awaitable<Result<std::unique_ptr<ServerConnection>>> Acquire(const Shard& shard,
                                                               uint64_t catalog_version,
                                                               QueuePlace& place);

  // An idle connection to `shard`, moved to `executor`'s thread, when one is ready and no
  // session is queued ahead; null otherwise (then Acquire). Never waits, so the hot path of
  // a transaction needs no coroutine for it.
  std::unique_ptr<ServerConnection> TryAcquireIdle(const Shard& shard, uint64_t catalog_version,
                                                   const Executor& executor);

  // Gives a connection back. `reusable` must be false when the connection is in an unknown
  // state (mid-transaction, broken, failed reset): it is then closed.
  void Release(std::unique_ptr<ServerConnection> conn, bool reusable);

  // Affinity (transaction mode): a session keeps the connection of its last transaction on
  // a shard, parked in a Lease, while no other session needs one. Its next transaction there
  // takes it back without the pool's lock, and the connection still has the session's
  // settings and prepared statements. A session that finds its pool full takes a parked
  // connection (the longest parked) before it queues; a session that parks while others
  // queue hands its connection over instead; the recycler treats a connection parked for
  // idle_timeout as idle, and closes one past server_lifetime when it finds it parked.
  // Parked connections count as idle in Stats.
  struct Lease;
  using LeasePtr = std::shared_ptr<Lease>;
  // Parks `conn` (clean, between transactions) in `lease`, made when the session has none for
  // it. False when it has to go back now instead, with Release (sessions queue for it, the
  // shard's address changed, session mode): then `conn` is still the caller's.
  bool Park(std::unique_ptr<ServerConnection>& conn, LeasePtr& lease);
  // Takes back the connection parked in `lease`; null when another session or the recycler
  // took it meanwhile (the lease is spent), or when it may not be used any more (then it is
  // closed here): its pool retired, or, given `shard` and `catalog_version` (the session's
  // catalog), it is Stale. A session keeps a spent lease for Park (it names the pool).
  std::unique_ptr<ServerConnection> Unpark(const LeasePtr& lease, const Shard* shard = nullptr,
                                           uint64_t catalog_version = 0);
  // Whether `conn` goes to an address `shard` no longer has: a catalog newer than the one
  // that gave the connection its address (`catalog_version`) names another one. After a
  // failover, a session's next transaction must not run at the old address.
  static bool Stale(const ServerConnection& conn, const Shard& shard, uint64_t catalog_version) {
    return catalog_version > conn.catalog_version() && conn.address() != shard.address;
  }
  // The session gives up its lease on the connection it holds (to Release it): spent.
  static void EndLease(const LeasePtr& lease);

  // Starts the idle recycler on the io_context (every second).
  void StartJanitor();
  void Stop();

  std::vector<PoolStats> Stats() const;
  size_t total_connections() const { return total_.load(); }
  // Pools replaced by a changed shard address and not yet dropped by the recycler.
  size_t retired_pools() const;
  const PoolSettings& settings() const { return settings_; }

 private:
  struct Pool;
  Pool& PoolFor(const Shard& shard, uint64_t catalog_version);
  // Takes the connection parked longest in `pool`, parked for at least `min_parked`, from
  // its session; null when there is none. mu_ held.
  static std::unique_ptr<ServerConnection> TakeParked(
      Pool& pool, std::chrono::steady_clock::duration min_parked,
      std::chrono::steady_clock::time_point now);
  // Keeps pool.waiting, which Park reads without the lock, equal to the queue's length.
  static void WaitersChanged(Pool& pool);
  // Drops the spent leases from pool.leases. mu_ held.
  static void PurgeSpentLeases(Pool& pool);
  // Takes the longest-idle connection of a pool other than `keep`, idle for at least
  // kEvictAfterIdle, out of the accounting (the caller closes it, outside the lock); null
  // when there is none. mu_ held.
  std::unique_ptr<ServerConnection> EvictIdleElsewhere(const Pool& keep,
                                                       std::chrono::steady_clock::time_point now);
  // Wakes a queued session to try again (a slot freed, or its shard failed).
  static void WakeToRetry(const std::shared_ptr<Waiter>& waiter);
  // Ends `waiter`'s wait (it then looks at its conn and retry fields).
  static void Wake(const std::shared_ptr<Waiter>& waiter);
  // An idle connection that may be handed out: not broken, not past server_lifetime.
  bool Reusable(const ServerConnection& conn, std::chrono::steady_clock::time_point now) const;
  // Wakes one session queued on a pool other than `except` only because of global_max, to
  // retry (and take a freed slot or evict an idle connection). mu_ held.
  void WakeCapWaiter(const Pool* except);
  // Index of the idle connection to hand out next (pool.idle must not be empty).
  static size_t PickIdle(const Pool& pool, const asio::execution_context* home);
  void RecordFailure(Pool& pool);
  awaitable<void> JanitorLoop();
  void Sweep();

  asio::io_context& io_;
  const PoolSettings settings_;
  mutable std::mutex mu_;
  // Shared with the leases made on them (a session keeps a spent lease as a hint of its pool).
  std::map<std::string, std::shared_ptr<Pool>> pools_;  // by shard id
  // Pools replaced by a changed shard address, until Sweep has closed the connections their
  // sessions parked in them and no lease can park there any more.
  std::vector<std::shared_ptr<Pool>> retired_pools_;
  std::atomic<size_t> total_{0};
  std::atomic<bool> stopped_{false};
  std::unique_ptr<SteadyTimer> janitor_timer_;
};

}  // namespace domicile::pgwire
