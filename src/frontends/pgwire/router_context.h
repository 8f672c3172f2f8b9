// RouterContext: what every client session of one `domicile serve` shares.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "app/resolver.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/conninfo.h"
#include "frontends/pgwire/scram.h"
#include "frontends/pgwire/server_connection.h"
#include "frontends/pgwire/server_pool.h"
#include "ports/statement_analyzer.h"

namespace domicile::pgwire {

class EmbeddedExecutor;

struct ClientUser {
  std::string name;
  ScramVerifier verifier;
};

struct RouterSettings {
  PoolSettings pool;
  size_t max_message_size = kDefaultMaxMessage;
  // Empty: trust (the server refuses to listen beyond loopback then). Otherwise every client
  // logs in with SCRAM-SHA-256 against these.
  std::map<std::string, ClientUser, std::less<>> users;
  std::string server_version = "15.0 (domicile)";
  std::string default_timezone = "UTC";
  // A client must finish startup and authentication within this, or it is disconnected: a
  // half-sent startup packet must not hold a session forever.
  std::chrono::milliseconds startup_timeout{15000};
  // TCP keepalive on client sockets (always on), in seconds; 0 keeps the OS default, as
  // PostgreSQL's tcp_keepalives_idle/interval/count do. Keepalive is what ends the session of
  // a client that half-closed right after a request (quiet_read_buffer.h).
  int tcp_keepalives_idle = 0;
  int tcp_keepalives_interval = 0;
  int tcp_keepalives_count = 0;
  // A new transaction of a tenant a move holds (state held) waits at most this long for the
  // hold to end, then is refused with 55006.
  std::chrono::milliseconds hold_timeout{5000};
};

// What one client session shows to CancelRequests arriving on other connections: the
// server its queries run on now. The session points `target` at its server connection's
// CancelTarget at every attach and clears it at every detach (twice per transaction), on its
// own thread and without a lock; a cancel therefore reads it on that thread too (`home`).
struct CancelSlot {
  explicit CancelSlot(Executor home_executor) : home(std::move(home_executor)) {}
  Executor home;
  const CancelTarget* target = nullptr;  // owned by the attached ServerConnection
};

// Client-side BackendKeyData -> the session's CancelSlot. Thread-safe; touched at session
// start and end and by cancels, never per transaction.
class CancelRegistry {
 public:
  // A fresh (pid, secret) pair for a new client session.
  std::pair<int32_t, int32_t> Register(std::shared_ptr<CancelSlot> slot);
  void Unregister(int32_t pid);
  // The slot for (pid, secret), or null (unknown key or wrong secret).
  std::shared_ptr<CancelSlot> Lookup(int32_t pid, int32_t secret) const;

 private:
  struct Entry {
    int32_t secret = 0;
    std::shared_ptr<CancelSlot> slot;
  };
  mutable std::mutex mu_;
  std::unordered_map<int32_t, Entry> entries_;
  int32_t next_pid_ = 1000;
};

struct RouterCounters {
  std::atomic<int64_t> clients{0};
  std::atomic<int64_t> pinned_clients{0};
  std::atomic<int64_t> transactions{0};
  std::atomic<int64_t> refused{0};
  // New transactions that waited for a move's hold; their waits in all; those that gave up.
  std::atomic<int64_t> held_transactions{0};
  std::atomic<int64_t> held_ms{0};
  std::atomic<int64_t> hold_timeouts{0};
};

// Shared, long-lived; every member is thread-safe.
struct RouterContext {
  asio::io_context& io;
  Resolver& resolver;
  StatementAnalyzer& analyzer;
  ServerPools& pools;
  const RouterSettings& settings;
  CancelRegistry cancels;
  RouterCounters counters;
  // Serves sqlite shards on worker threads; null: only PostgreSQL shards are served.
  EmbeddedExecutor* embedded = nullptr;
};

}  // namespace domicile::pgwire
