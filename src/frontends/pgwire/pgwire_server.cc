#include "frontends/pgwire/pgwire_server.h"

#include <cstdio>
#include <exception>

#include "frontends/pgwire/client_session.h"

namespace domicile::pgwire {
namespace {

// Owns the session for as long as it runs: Asio starts coroutines lazily, so the caller's
// shared_ptr may be gone before the first line of Run executes.
awaitable<void> RunSession(std::shared_ptr<ClientSession> session) { co_await session->Run(); }

}  // namespace

PgwireServer::PgwireServer(asio::io_context& io, RouterContext& ctx) : io_(io), ctx_(ctx) {}

PgwireServer::~PgwireServer() { Stop(); }

Status PgwireServer::Listen(const std::string& host, uint16_t port) {
  ErrorCode ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("cannot listen on '" + host + "': not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  return Status::Ok();
}

awaitable<void> PgwireServer::AcceptLoop() {
  while (acceptor_ && acceptor_->is_open()) {
    ErrorCode ec;
    tcp::socket socket = co_await acceptor_->async_accept(Await(ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      continue;  // EMFILE and friends: the client is refused, the server goes on
    }
    auto session = std::make_shared<ClientSession>(ctx_, std::move(socket));
    asio::co_spawn(asio::make_strand(io_), RunSession(std::move(session)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "domicile: session ended by an exception: %s\n", ex.what());
      }
    });
  }
}

void PgwireServer::Run(int threads) {
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_.get_executor());
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : pool) t.join();
}

void PgwireServer::Stop() {
  if (acceptor_) {
    asio::post(io_, [this] {
      ErrorCode ec;
      if (acceptor_) acceptor_->close(ec);
    });
  }
  work_.reset();
  io_.stop();
}

}  // namespace domicile::pgwire
