#include "frontends/pgwire/server_connection.h"

#include <openssl/evp.h>

#include <unistd.h>

#include <atomic>

#include "frontends/pgwire/backend_parsers.h"
#include "frontends/pgwire/frontend_encoder.h"
#include "frontends/pgwire/messages.h"
#include "frontends/pgwire/scram_exchange.h"

namespace domicile::pgwire {
namespace {

std::atomic<uint64_t> next_connection_id{1};

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// Connects `socket` to `endpoint`, giving up after its connect_timeout.
awaitable<Status> Dial(Socket& socket, const ServerEndpoint& endpoint) {
  ErrorCode ec;
  auto address = asio::ip::make_address(endpoint.host, ec);
  tcp::endpoint target;
  if (ec) {
    DnsResolver resolver(socket.get_executor());
    auto results = co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                                                   Await(ec));
    if (ec || results.empty()) {
      co_return Unavailable("cannot resolve " + endpoint.host + ": " + ec.message());
    }
    target = *results.begin();
  } else {
    target = tcp::endpoint(address, endpoint.port);
  }
  SteadyTimer timer(socket.get_executor());
  timer.expires_after(endpoint.connect_timeout);
  bool timed_out = false;
  timer.async_wait([&](const ErrorCode& e) {
    if (!e) {
      timed_out = true;
      ErrorCode ignored;
      socket.cancel(ignored);
    }
  });
  co_await socket.async_connect(target, Await(ec));
  timer.cancel();
  if (timed_out) co_return Unavailable("timed out connecting to " + endpoint.Describe());
  if (ec) co_return Unavailable("cannot connect to " + endpoint.Describe() + ": " + ec.message());
  socket.set_option(tcp::no_delay(true), ec);
  co_return Status::Ok();
}

const asio::execution_context* ContextOf(const Executor& executor) {
  return &asio::query(executor, asio::execution::context);
}

}  // namespace

ServerConnection::ServerConnection(Executor executor)
    : socket_(executor),
      home_(ContextOf(executor)),
      id_(next_connection_id.fetch_add(1)),
      created_at_(std::chrono::steady_clock::now()),
      last_used_(created_at_) {}

ServerConnection::~ServerConnection() { Close(); }

void ServerConnection::Close() {
  ErrorCode ec;
  if (socket_.is_open()) {
    if (!broken_) {
      out_.clear();
      Encode(out_, Terminate{});
      asio::write(socket_, asio::buffer(out_), ec);  // tiny, best effort, never blocks long
    }
    socket_.close(ec);
  }
  broken_ = true;
}

void ServerConnection::MoveTo(const Executor& executor) {
  if (ContextOf(executor) != home_) Reregister(executor);
}

void ServerConnection::Reregister(const Executor& executor) {
  const asio::execution_context* target = ContextOf(executor);
  if (!socket_.is_open()) return;
  ErrorCode ec;
  auto protocol = socket_.local_endpoint(ec).protocol();
  if (!ec) {
    auto fd = socket_.release(ec);
    if (!ec) {
      Socket moved(executor);
      moved.assign(protocol, fd, ec);
      if (ec) ::close(fd);
      socket_ = std::move(moved);
    }
  }
  home_ = target;
  if (ec) broken_ = true;
}

void ServerConnection::NoteParameter(std::string_view name, std::string_view value) {
  parameters_[std::string(name)] = std::string(value);
}

awaitable<Status> ServerConnection::Open(const ServerEndpoint& endpoint) {
  endpoint_ = endpoint;
  Status st = co_await Dial(socket_, endpoint);
  if (!st.ok()) {
    broken_ = true;
    co_return st;
  }
  StartupMessage startup;
  startup.parameters["user"] = endpoint.user;
  startup.parameters["database"] = endpoint.dbname;
  startup.parameters["client_encoding"] = "UTF8";
  out_.clear();
  Encode(out_, startup);
  st = co_await Write(out_);
  if (st.ok()) st = co_await Authenticate();
  if (!st.ok()) {
    broken_ = true;
    co_return st;
  }
  // After authentication: ParameterStatus, BackendKeyData, then ReadyForQuery.
  while (true) {
    auto frame = co_await ReadFrame();
    if (!frame.ok()) co_return frame.status();
    switch (frame->type) {
      case be::kParameterStatus: {
        auto p = ParseParameterStatus(*frame);
        if (p.ok()) NoteParameter(p->name, p->value);
        break;
      }
      case be::kBackendKeyData: {
        auto k = ParseBackendKeyData(*frame);
        if (k.ok()) {
          backend_pid_ = k->pid;
          backend_secret_ = k->secret;
        }
        break;
      }
      case be::kReadyForQuery:
        // The connect left EPOLLOUT in the socket's epoll registration, and with it a wakeup
        // each time the server acknowledges a request; a fresh registration has EPOLLIN only
        // (Asio adds EPOLLOUT back only if a write ever has to wait).
        cancel_target_ = CancelTarget{endpoint_, backend_pid_, backend_secret_};
        Reregister(socket_.get_executor());
        co_return broken_ ? Unavailable("lost connection to " + endpoint.Describe())
                          : Status::Ok();
      case be::kErrorResponse: {
        auto e = ParseErrorFields(*frame);
        broken_ = true;
        co_return Unavailable(endpoint.Describe() + " refused the session: " +
                              std::string(e.ok() ? e->message() : "unreadable error"));
      }
      default:
        break;  // NoticeResponse and friends
    }
  }
}

awaitable<Status> ServerConnection::Authenticate() {
  std::unique_ptr<ScramClient> scram;
  while (true) {
    auto frame = co_await ReadFrame();
    if (!frame.ok()) co_return frame.status();
    if (frame->type == be::kErrorResponse) {
      auto e = ParseErrorFields(*frame);
      co_return Unavailable("login to " + endpoint_.Describe() + " failed: " +
                            std::string(e.ok() ? e->message() : "unreadable error"));
    }
    if (frame->type != be::kAuthentication) {
      co_return Unavailable("unexpected message '" + std::string(1, frame->type) + "' from " +
                            endpoint_.Describe() + " during login");
    }
    auto request = ParseAuthentication(*frame);
    if (!request.ok()) co_return request.status();
    out_.clear();
    if (std::holds_alternative<AuthenticationOk>(*request)) co_return Status::Ok();
    if (std::holds_alternative<AuthenticationCleartextPassword>(*request)) {
      Encode(out_, PasswordMessage{endpoint_.password});
    } else if (auto* md5 = std::get_if<AuthenticationMd5Password>(&*request)) {
      std::string inner = Md5Hex(endpoint_.password + endpoint_.user);
      std::string outer =
          "md5" + Md5Hex(inner + std::string(md5->salt.data(), md5->salt.size()));
      Encode(out_, PasswordMessage{outer});
    } else if (std::holds_alternative<AuthenticationSasl>(*request)) {
      scram = std::make_unique<ScramClient>(endpoint_.password);
      auto first = scram->ClientFirst();
      if (!first.ok()) co_return first.status();
      Encode(out_, SaslInitialResponse{"SCRAM-SHA-256", std::string_view(*first)});
    } else if (auto* cont = std::get_if<AuthenticationSaslContinue>(&*request)) {
      if (!scram) co_return Unavailable("SASL continue without SASL start");
      auto final_message = scram->HandleServerFirst(cont->data);
      if (!final_message.ok()) co_return final_message.status();
      Encode(out_, SaslResponse{*final_message});
    } else if (auto* fin = std::get_if<AuthenticationSaslFinal>(&*request)) {
      if (!scram) co_return Unavailable("SASL final without SASL start");
      Status st = scram->HandleServerFinal(fin->data);
      if (!st.ok()) co_return Unavailable("server " + endpoint_.Describe() +
                                          " failed SCRAM verification: " + st.message());
      continue;  // AuthenticationOk follows
    }
    Status st = co_await Write(out_);
    if (!st.ok()) co_return st;
  }
}

Status ServerConnection::WriteNow(std::string& bytes) {
  ErrorCode ec = SendFrontNow(socket_, bytes);
  if (ec) {
    broken_ = true;
    return Unavailable("lost connection to " + endpoint_.Describe() + ": " + ec.message());
  }
  return Status::Ok();
}

awaitable<Status> ServerConnection::Write(std::string_view bytes) {
  ErrorCode ec = co_await SendAll(socket_, bytes);
  if (ec) {
    broken_ = true;
    co_return Unavailable("lost connection to " + endpoint_.Describe() + ": " + ec.message());
  }
  co_return Status::Ok();
}

std::optional<Result<BackendFrame>> ServerConnection::TryReadFrame() {
  auto next = reader_.Next();
  if (next.has_value()) return next.value();
  if (next.is_error()) {
    broken_ = true;
    return Unavailable("bad data from " + endpoint_.Describe() + ": " + next.status().message());
  }
  return std::nullopt;
}

Status ServerConnection::ReadDone(size_t n, const ErrorCode& ec) {
  reader_.Commit(n);
  if (ec) {
    broken_ = true;
    return Unavailable("lost connection to " + endpoint_.Describe() + ": " + ec.message());
  }
  return Status::Ok();
}

awaitable<Result<BackendFrame>> ServerConnection::ReadFrame() {
  while (true) {
    if (auto frame = TryReadFrame()) co_return std::move(*frame);
    ErrorCode ec;
    size_t n = 0;
    co_await ReadMore(n, ec);
    if (Status st = ReadDone(n, ec); !st.ok()) co_return st;
  }
}

awaitable<Status> SendCancel(Executor executor, const ServerEndpoint& endpoint,
                             int32_t pid, int32_t secret) {
  Socket socket(executor);
  Status st = co_await Dial(socket, endpoint);
  if (!st.ok()) co_return st;
  std::string out;
  Encode(out, CancelRequest{pid, secret});
  ErrorCode ec;
  co_await asio::async_write(socket, asio::buffer(out), Await(ec));
  socket.close(ec);
  co_return Status::Ok();
}

}  // namespace domicile::pgwire
