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

// One io_context run by `threads` threads; each client session runs on its own strand, so no
// thread is tied to a connection and idle clients cost only their buffers.
class PgwireServer {
 public:
  PgwireServer(asio::io_context& io, RouterContext& ctx);
  ~PgwireServer();

  // Binds host:port (port 0 picks a free one). kUnavailable when the address is taken.
  Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }

  // Runs the io_context on `threads` threads until Stop; returns when they have finished.
  void Run(int threads);
  void Stop();

 private:
  awaitable<void> AcceptLoop();

  asio::io_context& io_;
  RouterContext& ctx_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
};

}  // namespace domicile::pgwire
