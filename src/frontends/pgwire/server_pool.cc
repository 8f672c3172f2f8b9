#include "frontends/pgwire/server_pool.h"

#include <algorithm>

#include "frontends/pgwire/coarse_clock.h"

namespace domicile::pgwire {

using Clock = std::chrono::steady_clock;

namespace {

// At global_max, how long another shard's connection must have sat idle before a session
// may close it to open its own: a busy shard reuses its connections within microseconds,
// so this never takes one it still uses, and pools under a full cap do not thrash
// (closing and opening server connections, each a new PostgreSQL backend).
constexpr std::chrono::milliseconds kEvictAfterIdle{100};

// How far down the queue Release looks for a waiter on the released connection's thread.
constexpr long kHandOverLookahead = 4;

// Whether two endpoints name the same server and database (what Describe() shows), without
// building the strings on every Release.
bool SameServer(const ServerEndpoint& a, const ServerEndpoint& b) {
  return a.port == b.port && a.host == b.host &&
         (a.dbname.empty() ? a.user : a.dbname) == (b.dbname.empty() ? b.user : b.dbname);
}

}  // namespace

// A session waiting for a connection. Shared so a hand-over posted to the waiter's
// executor outlives a waiter that timed out meanwhile.
struct ServerPools::Waiter {
  explicit Waiter(Executor ex)
      : timer(ex), home(&asio::query(ex, asio::execution::context)) {}
  SteadyTimer timer;
  const asio::execution_context* home;  // the io_context the waiting session runs on
  std::unique_ptr<ServerConnection> conn;  // set by Release on hand-over
  bool retry = false;                      // a slot freed: try to open a connection
};

struct ServerPools::Lease {
  enum State : int { kInUse, kParked, kTaken };
  // kInUse: the session's, which holds the connection itself. kParked: `conn` waits for the
  // session, and whoever moves the state on (the session to kInUse, anyone else to kTaken,
  // under mu_) owns it. kTaken: spent.
  std::atomic<int> state{kInUse};
  std::atomic<Clock::rep> parked_at{0};  // CoarseSteadyNow's ticks when last parked
  std::unique_ptr<ServerConnection> conn;
  uint64_t conn_id = 0;              // the connection this lease is for
  Clock::time_point conn_created{};  // its created_at: set before the pool sees the lease
  // Shared: a retired pool lives on while sessions hold leases on it. Sweep drops a retired
  // pool only once its own list of leases is empty, and the destructor clears the lists of
  // the rest, so the two never keep each other alive.
  std::shared_ptr<Pool> pool;
};

struct ServerPools::Pool {
  std::string shard_id;
  std::string address;
  uint64_t catalog_version = 0;  // the newest catalog the pool was asked with
  ServerEndpoint endpoint;
  Status endpoint_status;
  std::vector<std::unique_ptr<ServerConnection>> idle;  // most recently used at the back
  size_t total = 0;                                     // idle + handed out + opening
  std::deque<std::shared_ptr<Waiter>> waiters;
  std::atomic<size_t> waiting{0};    // waiters.size(), for Park
  std::vector<LeasePtr> leases;      // made by Park, spent ones purged lazily
  std::atomic<bool> retired{false};  // replaced: the shard's address changed
  int failures = 0;
  Clock::time_point down_until{};
  std::string last_error;
};

ServerPools::ServerPools(asio::io_context& io, PoolSettings settings)
    : io_(io), settings_(settings) {}

ServerPools::~ServerPools() {
  Stop();
  // Pools and their leases point at each other; sessions may still hold leases.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, pool] : pools_) pool->leases.clear();
  for (auto& pool : retired_pools_) pool->leases.clear();
}

void ServerPools::Stop() {
  stopped_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (janitor_timer_) janitor_timer_->cancel();
  for (auto& [id, pool] : pools_) {
    while (auto parked = TakeParked(*pool, Clock::duration::zero(), Clock::time_point::max())) {
      pool->idle.push_back(std::move(parked));
    }
    total_ -= pool->idle.size();
    pool->total -= pool->idle.size();
    pool->idle.clear();
  }
}

void ServerPools::WaitersChanged(Pool& pool) { pool.waiting.store(pool.waiters.size()); }

void ServerPools::PurgeSpentLeases(Pool& pool) {
  std::erase_if(pool.leases, [](const LeasePtr& l) { return l->state.load() == Lease::kTaken; });
}

std::unique_ptr<ServerConnection> ServerPools::TakeParked(Pool& pool, Clock::duration min_parked,
                                                          Clock::time_point now) {
  PurgeSpentLeases(pool);
  while (true) {
    Lease* oldest = nullptr;
    Clock::rep oldest_at = 0;
    for (const LeasePtr& l : pool.leases) {
      if (l->state.load() != Lease::kParked) continue;
      Clock::rep at = l->parked_at.load();
      if (now - Clock::time_point(Clock::duration(at)) < min_parked) continue;
      if (oldest == nullptr || at < oldest_at) {
        oldest = l.get();
        oldest_at = at;
      }
    }
    if (oldest == nullptr) return nullptr;
    int parked = Lease::kParked;
    // Lost only to its session taking it back just now: look again.
    if (oldest->state.compare_exchange_strong(parked, Lease::kTaken)) {
      return std::move(oldest->conn);
    }
  }
}

bool ServerPools::Park(std::unique_ptr<ServerConnection>& conn, LeasePtr& lease) {
  if (settings_.mode != PoolMode::kTransaction || conn->broken()) return false;
  if (!lease || lease->conn_id != conn->id() || lease->state.load() != Lease::kInUse) {
    // The first park of this connection: the pool learns of the lease (once per connection
    // a session gets, not per transaction). A spent lease on the same pool still tells, with
    // no lock, that sessions queue there (more clients than connections: every transaction).
    if (lease && lease->pool->shard_id == conn->shard_id() && lease->pool->waiting.load() > 0) {
      return false;
    }
    EndLease(lease);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pools_.find(conn->shard_id());
    if (stopped_ || it == pools_.end() || !SameServer(it->second->endpoint, conn->endpoint())) {
      return false;
    }
    lease = std::make_shared<Lease>();
    lease->conn_id = conn->id();
    lease->conn_created = conn->created_at();
    lease->pool = it->second;
    if (!it->second->waiters.empty()) {
      lease->state = Lease::kTaken;  // spent at once, unlisted: only the hint above
      return false;
    }
    PurgeSpentLeases(*it->second);
    it->second->leases.push_back(lease);
  }
  Pool& pool = *lease->pool;
  if (pool.retired.load()) return false;
  conn->Touch();  // parked counts as idle: the janitor's idle_timeout runs from here
  lease->parked_at.store(conn->last_used().time_since_epoch().count());
  lease->conn = std::move(conn);
  // Both seq_cst, against Acquire's queue-then-look: either it sees this connection parked,
  // or this sees its waiter and hands the connection over.
  lease->state.store(Lease::kParked);
  if (pool.waiting.load() == 0) return true;
  int parked = Lease::kParked;
  if (lease->state.compare_exchange_strong(parked, Lease::kInUse)) {
    conn = std::move(lease->conn);
    return false;
  }
  return true;  // taken already: the session finds its lease spent
}

std::unique_ptr<ServerConnection> ServerPools::Unpark(const LeasePtr& lease, const Shard* shard,
                                                      uint64_t catalog_version) {
  int parked = Lease::kParked;
  if (!lease || !lease->state.compare_exchange_strong(parked, Lease::kInUse)) {
    return nullptr;  // spent: kept by the session as Park's hint of its pool
  }
  std::unique_ptr<ServerConnection> conn = std::move(lease->conn);
  // No clock read per transaction: Sweep retires a parked connection past server_lifetime.
  // A pool is retired only when someone asks for the shard's new address (PoolFor), which a
  // session taking back its parked connection never does: the address is compared here, so
  // traffic follows a changed address at the next transaction.
  const Pool& pool = *lease->pool;
  if (stopped_ || pool.retired.load() || (shard && Stale(*conn, *shard, catalog_version)) ||
      conn->broken()) {
    EndLease(lease);
    Release(std::move(conn), false);  // closed: to an old address, or broken
    return nullptr;
  }
  return conn;
}

void ServerPools::EndLease(const LeasePtr& lease) {
  if (!lease) return;
  // Only from kInUse (the session's): a parked lease is ended by taking it.
  int in_use = Lease::kInUse;
  lease->state.compare_exchange_strong(in_use, Lease::kTaken);
}

ServerPools::Pool& ServerPools::PoolFor(const Shard& shard, uint64_t catalog_version) {
  auto& slot = pools_[shard.id];
  if (slot && slot->address != shard.address && catalog_version < slot->catalog_version) {
    return *slot;  // asked with an older catalog than the one that gave the pool its address
  }
  if (slot) slot->catalog_version = std::max(slot->catalog_version, catalog_version);
  if (!slot || slot->address != shard.address) {
    // A changed address is a new pool; the old one's connections drain as sessions release.
    auto pool = std::make_shared<Pool>();
    pool->shard_id = shard.id;
    pool->address = shard.address;
    pool->catalog_version = catalog_version;
    auto endpoint = ParseConninfo(shard.address);
    if (endpoint.ok()) {
      pool->endpoint = *endpoint;
    } else {
      pool->endpoint_status = InvalidArgument("shard " + shard.id + ": " +
                                              endpoint.status().message());
    }
    if (slot) {
      pool->total = slot->total - slot->idle.size();
      total_ -= slot->idle.size();
      slot->idle.clear();
      // Its parked connections are closed when their sessions or the recycler find it retired.
      slot->retired = true;
      // Sessions queued for the old address try again at the new one at once, instead of
      // waiting out their timeout for a connection to the old one.
      for (auto& w : slot->waiters) WakeToRetry(w);
      slot->waiters.clear();
      WaitersChanged(*slot);
      retired_pools_.push_back(std::move(slot));
    }
    slot = std::move(pool);
  }
  return *slot;
}

void ServerPools::RecordFailure(Pool& pool) {
  ++pool.failures;
  auto backoff = settings_.breaker_min_backoff * (1 << std::min(pool.failures - 1, 10));
  pool.down_until = Clock::now() + std::min<std::chrono::milliseconds>(
                                       backoff, settings_.breaker_max_backoff);
}

std::unique_ptr<ServerConnection> ServerPools::EvictIdleElsewhere(const Pool& keep,
                                                                  Clock::time_point now) {
  Pool* victim = nullptr;
  for (auto& [id, pool] : pools_) {
    if (pool.get() == &keep || pool->idle.empty() ||
        now - pool->idle.front()->last_used() < kEvictAfterIdle) {
      continue;
    }
    // The longest idle connection overall: idle lists keep the most recently used last.
    if (victim == nullptr ||
        pool->idle.front()->last_used() < victim->idle.front()->last_used()) {
      victim = pool.get();
    }
  }
  if (victim == nullptr) {
    // Then a connection parked as long by a session between transactions.
    for (auto& [id, pool] : pools_) {
      if (pool.get() == &keep) continue;
      if (auto parked = TakeParked(*pool, kEvictAfterIdle, now)) {
        --pool->total;
        --total_;
        return parked;
      }
    }
    return nullptr;
  }
  std::unique_ptr<ServerConnection> conn = std::move(victim->idle.front());
  victim->idle.erase(victim->idle.begin());
  --victim->total;
  --total_;
  return conn;
}

bool ServerPools::Reusable(const ServerConnection& conn, Clock::time_point now) const {
  return !conn.broken() && now - conn.created_at() < settings_.server_lifetime;
}

size_t ServerPools::PickIdle(const Pool& pool, const asio::execution_context* home) {
  // The most recently used connection whose socket this thread already polls, else the most
  // recently used of any thread (moved to this one by the caller).
  for (size_t i = pool.idle.size(); i-- > 0;) {
    if (pool.idle[i]->home() == home) return i;
  }
  return pool.idle.size() - 1;
}

std::unique_ptr<ServerConnection> ServerPools::TryAcquireIdle(const Shard& shard,
                                                              uint64_t catalog_version,
                                                              const Executor& executor) {
  const asio::execution_context* home = &asio::query(executor, asio::execution::context);
  std::unique_ptr<ServerConnection> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Pool& pool = PoolFor(shard, catalog_version);
    // Queued sessions go first; a shard that failed lately and connections to close are
    // Acquire's business.
    if (pool.idle.empty() || !pool.waiters.empty() || pool.failures > 0) return nullptr;
    size_t pick = PickIdle(pool, home);
    const ServerConnection& candidate = *pool.idle[pick];
    if (!Reusable(candidate, CoarseSteadyNow())) return nullptr;  // every transaction: no fine clock
    conn = std::move(pool.idle[pick]);
    pool.idle.erase(pool.idle.begin() + static_cast<long>(pick));
  }
  conn->MoveTo(executor);
  if (conn->broken()) {
    Release(std::move(conn), false);
    return nullptr;
  }
  return conn;
}

awaitable<Result<std::unique_ptr<ServerConnection>>> ServerPools::Acquire(const Shard& shard,
                                                                          uint64_t catalog_version,
                                                                          QueuePlace& place) {
  auto executor = co_await asio::this_coro::executor;
  const asio::execution_context* home = &asio::query(executor, asio::execution::context);
  auto deadline = Clock::now() + settings_.acquire_timeout;
  while (true) {
    std::shared_ptr<Waiter> waiter;
    ServerEndpoint endpoint;
    std::string address;
    uint64_t address_version = 0;
    bool moved_broken = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      Pool& pool = PoolFor(shard, catalog_version);
      if (!pool.endpoint_status.ok()) co_return pool.endpoint_status;
      auto now = Clock::now();
      if (pool.failures > 0 && now < pool.down_until) {
        co_return Unavailable("shard " + shard.id + " is unavailable: " + pool.last_error);
      }
      while (!pool.idle.empty()) {
        size_t pick = PickIdle(pool, home);
        auto conn = std::move(pool.idle[pick]);
        pool.idle.erase(pool.idle.begin() + static_cast<long>(pick));
        if (Reusable(*conn, now)) {
          lock.unlock();
          conn->MoveTo(executor);
          if (!conn->broken()) co_return conn;
          Release(std::move(conn), false);
          moved_broken = true;
          break;
        }
        --pool.total;
        --total_;
        lock.unlock();
        conn.reset();  // closes outside the lock
        lock.lock();
      }
      if (moved_broken) continue;
      std::unique_ptr<ServerConnection> evicted;
      if (pool.total < settings_.max_size && total_ >= settings_.global_max) {
        // At the global cap, an idle connection of another shard makes room: traffic that
        // moved between shards must not queue behind connections nobody uses.
        evicted = EvictIdleElsewhere(pool, now);
      }
      if (pool.total < settings_.max_size && total_ < settings_.global_max) {
        ++pool.total;
        ++total_;
        endpoint = pool.endpoint;
        address = pool.address;
        address_version = pool.catalog_version;
        if (evicted) {
          lock.unlock();
          evicted.reset();  // closes outside the lock
        }
      } else {
        if (now >= deadline) {
          co_return ResourceExhausted("no server connection for shard " + shard.id +
                                      " became free within " +
                                      std::to_string(settings_.acquire_timeout.count()) +
                                      " ms (pool of " + std::to_string(settings_.max_size) +
                                      ", " + std::to_string(total_.load()) + " connections in all)");
        }
        // Reused only when nothing else holds it: a wakeup posted from another thread
        // still in flight would otherwise cancel the next wait.
        if (!place || place.use_count() != 1 || place->home != home) {
          place = std::make_shared<Waiter>(executor);
        }
        place->conn.reset();
        place->retry = false;
        waiter = place;
        // Held back by global_max only: look again once another shard's connection may have
        // sat idle long enough to be evicted.
        bool cap_only = pool.total < settings_.max_size;
        waiter->timer.expires_at(cap_only ? std::min(deadline, now + kEvictAfterIdle) : deadline);
        pool.waiters.push_back(waiter);
        WaitersChanged(pool);
        // After queueing (see Park): a connection parked by a session between transactions.
        if (auto parked = TakeParked(pool, Clock::duration::zero(), now)) {
          pool.waiters.pop_back();
          WaitersChanged(pool);
          lock.unlock();
          if (Reusable(*parked, now)) {
            parked->MoveTo(executor);
            if (!parked->broken()) co_return parked;
          }
          Release(std::move(parked), false);
          continue;
        }
      }
    }
    if (!waiter) {
      auto conn = std::make_unique<ServerConnection>(executor);
      conn->set_shard_id(shard.id);
      conn->set_address(std::move(address), address_version);
      Status st = co_await conn->Open(endpoint);
      std::lock_guard<std::mutex> lock(mu_);
      Pool& pool = PoolFor(shard, catalog_version);
      if (!st.ok()) {
        --pool.total;
        --total_;
        pool.last_error = st.message();
        RecordFailure(pool);
        // Queued sessions must not wait out their timeout for a shard that is down.
        for (auto& w : pool.waiters) WakeToRetry(w);
        pool.waiters.clear();
        WaitersChanged(pool);
        co_return Unavailable("shard " + shard.id + " is unavailable: " + st.message());
      }
      pool.failures = 0;
      co_return conn;
    }
    ErrorCode ec;
    co_await waiter->timer.async_wait(Await(ec));
    std::unique_lock<std::mutex> lock(mu_);
    if (waiter->conn) {
      auto conn = std::move(waiter->conn);
      lock.unlock();
      // It may be to an address a newer catalog no longer has: the session routes again
      // (ClientSession::FinishRouting) and drops it.
      conn->MoveTo(executor);
      co_return conn;
    }
    Pool& pool = PoolFor(shard, catalog_version);
    pool.waiters.erase(std::remove(pool.waiters.begin(), pool.waiters.end(), waiter),
                       pool.waiters.end());
    WaitersChanged(pool);
    if (!waiter->retry && Clock::now() >= deadline) {
      co_return ResourceExhausted("no server connection for shard " + shard.id +
                                  " became free within " +
                                  std::to_string(settings_.acquire_timeout.count()) + " ms");
    }
    // retry: a slot freed up (or the shard failed); loop to take it or fail fast.
  }
}

void ServerPools::Release(std::unique_ptr<ServerConnection> conn, bool reusable) {
  if (!conn) return;
  std::unique_lock<std::mutex> lock(mu_);
  auto it = pools_.find(conn->shard_id());
  // A connection to an address the shard no longer has is closed, not pooled.
  if (it == pools_.end() || stopped_ ||
      !SameServer(it->second->endpoint, conn->endpoint())) {
    if (it != pools_.end() && it->second->total > 0) --it->second->total;  // carried over
    --total_;
    WakeCapWaiter(nullptr);
    lock.unlock();
    conn.reset();
    return;
  }
  Pool& pool = *it->second;
  if (reusable && !conn->broken()) {
    conn->Touch();
    if (!pool.waiters.empty()) {
      // Among the first few in the queue, one on the connection's own thread: handing over
      // then needs no wakeup of another thread and no move of the socket between epolls.
      auto chosen = pool.waiters.begin();
      for (auto w = pool.waiters.begin();
           w != pool.waiters.end() && w - pool.waiters.begin() < kHandOverLookahead; ++w) {
        if ((*w)->home == conn->home()) {
          chosen = w;
          break;
        }
      }
      auto waiter = *chosen;
      pool.waiters.erase(chosen);
      WaitersChanged(pool);
      waiter->conn = std::move(conn);
      Wake(waiter);
      return;
    }
    pool.idle.push_back(std::move(conn));
    return;
  }
  --pool.total;
  --total_;
  if (!pool.waiters.empty()) {
    WakeToRetry(pool.waiters.front());
    pool.waiters.pop_front();
    WaitersChanged(pool);
  } else {
    WakeCapWaiter(&pool);  // a slot under global_max freed up
  }
  lock.unlock();
  conn.reset();
}

void ServerPools::WakeToRetry(const std::shared_ptr<Waiter>& waiter) {
  waiter->retry = true;
  Wake(waiter);
}

void ServerPools::Wake(const std::shared_ptr<Waiter>& waiter) {
  // The timer is its session's thread's to touch. When that is this thread, the waiter is
  // suspended in its wait (it queued itself and awaited without yielding in between), so the
  // cancel is made here: its completion is queued at once, with no hop through the scheduler
  // (under a queue, every transaction is handed a connection this way).
  if (waiter->timer.get_executor().running_in_this_thread()) {
    waiter->timer.cancel();
  } else {
    asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  }
}

void ServerPools::WakeCapWaiter(const Pool* except) {
  for (auto& [id, pool] : pools_) {
    // Queued below its own max_size: it waits for the global cap only.
    if (pool.get() == except || pool->waiters.empty() || pool->total >= settings_.max_size) {
      continue;
    }
    WakeToRetry(pool->waiters.front());
    pool->waiters.pop_front();
    WaitersChanged(*pool);
    return;
  }
}

void ServerPools::StartJanitor() {
  asio::co_spawn(io_, JanitorLoop(), asio::detached);
}

awaitable<void> ServerPools::JanitorLoop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    janitor_timer_ = std::make_unique<SteadyTimer>(io_);
  }
  while (!stopped_) {
    janitor_timer_->expires_after(std::chrono::seconds(1));
    ErrorCode ec;
    co_await janitor_timer_->async_wait(Await(ec));
    if (stopped_) break;
    Sweep();
  }
}

void ServerPools::Sweep() {
  std::vector<std::unique_ptr<ServerConnection>> doomed;
  std::vector<std::unique_ptr<ServerConnection>> retired;  // parked in retired pools
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    for (auto& pool : retired_pools_) {
      while (auto parked = TakeParked(*pool, Clock::duration::zero(), now)) {
        retired.push_back(std::move(parked));
      }
    }
    // Dropped once every lease on it is spent (TakeParked purged them): no session can park
    // there any more, and the connections still out close as their sessions release them.
    std::erase_if(retired_pools_, [](const std::shared_ptr<Pool>& pool) {
      PurgeSpentLeases(*pool);
      return pool->leases.empty();
    });
    for (auto& [id, pool] : pools_) {
      auto& idle = pool->idle;
      // A connection parked by its session for idle_timeout (or past its lifetime) is idle
      // like any other: the rules below apply to it.
      while (auto parked = TakeParked(*pool, settings_.idle_timeout, now)) {
        idle.push_back(std::move(parked));
      }
      for (const LeasePtr& l : pool->leases) {
        if (l->state.load() != Lease::kParked) continue;
        int parked = Lease::kParked;
        // Not l->conn: its session may be taking it back right now.
        if (now - l->conn_created > settings_.server_lifetime &&
            l->state.compare_exchange_strong(parked, Lease::kTaken)) {
          idle.push_back(std::move(l->conn));
        }
      }
      // Oldest-used first; keep min_size, close what sat idle too long or lived too long.
      std::sort(idle.begin(), idle.end(),
                [](const auto& a, const auto& b) { return a->last_used() < b->last_used(); });
      size_t keep_from = 0;
      for (size_t i = 0; i < idle.size(); ++i) {
        bool stale = now - idle[i]->last_used() > settings_.idle_timeout;
        bool old = now - idle[i]->created_at() > settings_.server_lifetime;
        bool surplus = idle.size() - i > settings_.min_size;
        if ((stale && surplus) || old || idle[i]->broken()) {
          keep_from = i + 1;
        } else {
          break;
        }
      }
      for (size_t i = 0; i < keep_from; ++i) doomed.push_back(std::move(idle[i]));
      idle.erase(idle.begin(), idle.begin() + static_cast<long>(keep_from));
      pool->total -= keep_from;
      total_ -= keep_from;
    }
    for (size_t i = 0; i < doomed.size(); ++i) WakeCapWaiter(nullptr);  // slots freed up
  }
  doomed.clear();  // closes outside the lock
  for (auto& conn : retired) Release(std::move(conn), false);
}

size_t ServerPools::retired_pools() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retired_pools_.size();
}

std::vector<PoolStats> ServerPools::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PoolStats> out;
  auto now = Clock::now();
  for (const auto& [id, pool] : pools_) {
    PoolStats s;
    s.shard = id;
    s.idle = pool->idle.size();
    for (const LeasePtr& l : pool->leases) s.idle += l->state.load() == Lease::kParked ? 1 : 0;
    s.active = pool->total - s.idle;
    s.waiting = pool->waiters.size();
    s.down = pool->failures > 0 && now < pool->down_until;
    out.push_back(s);
  }
  return out;
}

}  // namespace domicile::pgwire
