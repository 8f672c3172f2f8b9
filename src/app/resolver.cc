#include "app/resolver.h"

#include <algorithm>

namespace domicile {
namespace {

std::atomic<uint64_t> next_instance_id{1};

// One slot per thread: the map the thread last used and the generation it had then.
struct ThreadCache {
  uint64_t instance_id = 0;
  uint64_t generation = 0;
  std::shared_ptr<const ShardMap> map;
};
thread_local ThreadCache tls_cache;

bool HasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

Resolver::Resolver(CatalogStore& store, ResolverOptions options)
    : store_(store),
      options_(options),
      instance_id_(next_instance_id.fetch_add(1)),
      current_(std::make_shared<const ShardMap>()) {}

Resolver::~Resolver() { Stop(); }

Status Resolver::Start() {
  DOMICILE_RETURN_IF_ERROR(Refresh());
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (refresher_.joinable()) return Status::Ok();
  stop_ = false;
  if (!watch_) {
    const std::string polled = "polled every " + std::to_string(options_.ttl.count()) + " ms";
    auto watch = store_.WatchChanges();
    if (!watch.ok()) {
      change_detection_ = polled + " (" + watch.status().message() + ")";
    } else if (!*watch) {
      change_detection_ = polled + " (the catalog store has no change signal)";
    } else {
      watch_ = std::move(*watch);
      change_detection_ = "watched";
    }
  }
  refresher_ = std::thread([this] { RefreshLoop(); });
  return Status::Ok();
}

void Resolver::Stop() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stop_ = true;
  }
  loop_cv_.notify_all();
  if (watch_) watch_->Interrupt();
  if (refresher_.joinable()) refresher_.join();
}

void Resolver::RefreshLoop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point ask_often_until{};  // after a signal: the store is asked every ttl
  while (true) {
    if (watch_) {
      // An idle router with a watch does not touch the store for watched_poll at a time.
      bool often = Clock::now() < ask_often_until;
      if (watch_->Wait(often ? options_.ttl : options_.watched_poll)) {
        ask_often_until = Clock::now() + options_.after_signal;
      }
    }
    {
      std::unique_lock<std::mutex> lock(loop_mu_);
      if (!watch_) loop_cv_.wait_for(lock, options_.ttl, [this] { return stop_; });
      if (stop_) return;
    }
    Refresh();  // errors are kept in last_refresh_status_; the last good map stays
  }
}

Status Resolver::Refresh() {
  std::lock_guard<std::mutex> serial(refresh_mu_);
  Status st;
  auto stored = store_.CurrentVersion();
  if (!stored.ok()) {
    st = stored.status();
  } else if (*stored != version_.load(std::memory_order_acquire)) {
    auto map = store_.Load();
    if (map.ok()) {
      Publish(std::make_shared<const ShardMap>(std::move(*map)));
    } else {
      st = map.status();
    }
  }
  std::lock_guard<std::mutex> lock(status_mu_);
  last_refresh_status_ = st;
  return st;
}

void Resolver::Publish(std::shared_ptr<const ShardMap> map) {
  {
    std::lock_guard<std::mutex> lock(map_mu_);
    if (current_ && map->version() < current_->version()) return;  // never go back in time
    current_ = std::move(map);
    version_.store(current_->version(), std::memory_order_release);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

const ShardMap& Resolver::ThreadLocalMap() const {
  ThreadCache& cache = tls_cache;
  uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cache.instance_id != instance_id_ || cache.generation != generation || !cache.map) {
    std::lock_guard<std::mutex> lock(map_mu_);
    cache.map = current_;
    cache.instance_id = instance_id_;
    cache.generation = generation;
  }
  return *cache.map;
}

Result<Route> Resolver::Lookup(std::string_view tenant_id) const {
  const ShardMap& map = ThreadLocalMap();
  if (!HasUpper(tenant_id)) return map.Resolve(tenant_id);
  std::string lower(tenant_id);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return map.Resolve(lower);
}

std::shared_ptr<const ShardMap> Resolver::Snapshot() const { return ThreadSnapshot(); }

const std::shared_ptr<const ShardMap>& Resolver::ThreadSnapshot() const {
  ThreadLocalMap();
  return tls_cache.map;
}

uint64_t Resolver::version() const { return version_.load(std::memory_order_acquire); }

Status Resolver::last_refresh_status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return last_refresh_status_;
}

}  // namespace domicile
