#include "frontends/pgwire/pgwire_server.h"

#include <cstdio>
#include <exception>

#include "frontends/pgwire/client_session.h"

namespace domicile::pgwire {
namespace {

// Owns the session for as long as it runs: Asio starts coroutines lazily, so the caller's
// shared_ptr may be gone before the first line of Run executes.
awaitable<void> RunSession(std::shared_ptr<ClientSession> session) { co_await session->Run(); }

void ReportSessionException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "domicile: session ended by an exception: %s\n", ex.what());
  }
}

}  // namespace

PgwireServer::PgwireServer(asio::io_context& io, RouterContext& ctx) : io_(io), ctx_(ctx) {
  contexts_.push_back(&io_);
}

PgwireServer::~PgwireServer() {
  Stop();
  // Sessions still suspended on the extra threads' io_contexts are destroyed with them here,
  // while the pools they give their server connections back to still exist.
  work_.clear();
  more_.clear();
}

Status PgwireServer::Listen(const std::string& host, uint16_t port) {
  ErrorCode ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("cannot listen on '" + host + "': not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_ = std::make_unique<Acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(Acceptor::reuse_address(true), ec);
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

asio::io_context& PgwireServer::NextContext() {
  asio::io_context& next = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  return next;
}

awaitable<void> PgwireServer::AcceptLoop() {
  while (acceptor_ && acceptor_->is_open()) {
    ErrorCode ec;
    asio::io_context& home = NextContext();
    // The socket is made on the session's own io_context, so its I/O never crosses threads.
    Socket socket = co_await acceptor_->async_accept(home, Await(ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      continue;  // EMFILE and friends: the client is refused, the server goes on
    }
    auto session = std::make_shared<ClientSession>(ctx_, std::move(socket));
    asio::co_spawn(home, RunSession(std::move(session)), ReportSessionException);
  }
}

void PgwireServer::Run(int threads) {
  for (int i = 1; i < threads; ++i) {
    // Concurrency hint 1: only its own thread runs it, so Asio skips waking other threads.
    more_.push_back(std::make_unique<asio::io_context>(1));
    contexts_.push_back(more_.back().get());
  }
  for (auto* context : contexts_) work_.push_back(asio::make_work_guard(*context));
  std::vector<std::thread> pool;
  for (auto& context : more_) pool.emplace_back([c = context.get()] { c->run(); });
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
  for (auto* context : contexts_) context->stop();
}

}  // namespace domicile::pgwire
