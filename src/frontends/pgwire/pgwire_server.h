// PgwireServer: accepts PostgreSQL clients and runs their sessions on a pool of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "domain/status.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/router_context.h"

namespace domicile::pgwire {

// One io_context per thread, each run by exactly that thread: the io_context passed in (which
// also runs the acceptor, the pools' janitor and whatever else its owner put on it) and
// threads - 1 more. Accepted clients are handed to the threads round-robin, and a session
// stays on its thread for its life, so its coroutine needs no strand and its socket's
// readiness wakes the thread that runs it. Idle clients cost only their buffers.
class PgwireServer {
 public:
  PgwireServer(asio::io_context& io, RouterContext& ctx);
  ~PgwireServer();

  // Binds host:port (port 0 picks a free one). kUnavailable when the address is taken.
  Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }

  // Runs the io_contexts, one thread each, until Stop; returns when they have finished.
  // Call once, from the thread that is to run the io_context passed to the constructor.
  void Run(int threads);
  // Thread-safe.
  void Stop();

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  awaitable<void> AcceptLoop();
  // The io_context for the next accepted client (round-robin); used on io_'s thread only.
  asio::io_context& NextContext();

  asio::io_context& io_;
  RouterContext& ctx_;
  std::unique_ptr<Acceptor> acceptor_;
  uint16_t port_ = 0;
  // Set up by Run before any thread starts, read-only afterwards.
  std::vector<std::unique_ptr<asio::io_context>> more_;  // threads 1..N-1
  std::vector<asio::io_context*> contexts_;              // io_ first, then more_
  std::vector<WorkGuard> work_;
  size_t next_context_ = 0;
};

}  // namespace domicile::pgwire
