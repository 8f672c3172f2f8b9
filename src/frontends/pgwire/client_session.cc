#include "frontends/pgwire/client_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "domain/ids.h"
#include "frontends/pgwire/backend_encoder.h"
#include "frontends/pgwire/frontend_encoder.h"
#include "frontends/pgwire/scram_exchange.h"
#include "frontends/pgwire/startup_options.h"

namespace domicile::pgwire {
namespace {

// SendCancel with its own copy of the target (a coroutine keeps its by-value parameters).
awaitable<void> SendCancelTo(Executor executor, CancelTarget target) {
  co_await SendCancel(std::move(executor), target.endpoint, target.pid, target.secret);
}

// TCP keepalive on a client socket, as PostgreSQL and PgBouncer have it; it also ends the
// session of a client that half-closed right after a request and went away
// (quiet_read_buffer.h). Times the settings give (0: the OS's stays). A failure is ignored:
// the socket then keeps the OS's behaviour.
void SetKeepalive(Socket& socket, const RouterSettings& settings) {
  ErrorCode ignored;
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  auto set_time = [&](int name, int value) {
    if (value > 0) setsockopt(socket.native_handle(), IPPROTO_TCP, name, &value, sizeof value);
  };
  set_time(TCP_KEEPIDLE, settings.tcp_keepalives_idle);
  set_time(TCP_KEEPINTVL, settings.tcp_keepalives_interval);
  set_time(TCP_KEEPCNT, settings.tcp_keepalives_count);
}

// Startup parameters that are not session settings to replay.
bool IsConnectionParameter(std::string_view name) {
  return name == "user" || name == "database" || name == "options" || name == "replication" ||
         name.substr(0, 4) == "_pq_";
}

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string SettingText(std::string_view name, std::string_view value) {
  return "SET " + std::string(name) + " = " + QuoteLiteral(value);
}

ClientSession::ClientSession(RouterContext& ctx, Socket socket)
    : ctx_(ctx),
      socket_(std::move(socket)),
      decoder_(DecoderLimits{kDefaultMaxStartupPacket, ctx.settings.max_message_size,
                             kDefaultMaxSmallMessage}) {
  ++ctx_.counters.clients;
}

ClientSession::~ClientSession() {
  --ctx_.counters.clients;
  if (pinned_state_ != 0) --ctx_.counters.pinned_clients;
  if (cancel_pid_ != 0) ctx_.cancels.Unregister(cancel_pid_);
  if (cancel_slot_) cancel_slot_->target = nullptr;  // a cancel already posted finds nothing
  DropParked();
  ServerPools::EndLease(lease_);
  if (server_) ctx_.pools.Release(std::move(server_), false);
}

std::optional<Status> ClientSession::NextBufferedMessage(FrontendMessage& message) {
  auto next = decoder_.Next();
  if (next.has_value()) {
    message = std::move(next).value();
    return Status::Ok();
  }
  if (next.is_error()) return next.status();
  return std::nullopt;
}

Status ClientSession::ReadDone(size_t n, const ErrorCode& ec) {
  decoder_.Commit(n);
  if (ec) {
    closed_ = true;
    return Unavailable("client went away: " + ec.message());
  }
  return Status::Ok();
}

awaitable<Status> ClientSession::ReadMessage(FrontendMessage& message) {
  while (true) {
    if (std::optional<Status> got = NextBufferedMessage(message)) co_return std::move(*got);
    if (!FlushClientNow()) co_await FlushClient();
    ErrorCode ec;
    size_t n = 0;
    co_await ReadMore(n, ec);
    if (Status st = ReadDone(n, ec); !st.ok()) co_return st;
  }
}

std::optional<Status> ClientSession::FlushClientNow() {
  if (client_out_.empty() || closed_) return Status::Ok();
  if (ErrorCode ec = SendFrontNow(socket_, client_out_)) {
    client_out_.clear();
    closed_ = true;
    return Unavailable("client went away: " + ec.message());
  }
  if (client_out_.empty()) return Status::Ok();
  return std::nullopt;
}

awaitable<Status> ClientSession::FlushClient() {
  if (auto done = FlushClientNow()) co_return *done;
  ErrorCode ec = co_await SendAll(socket_, client_out_);
  client_out_.clear();
  if (ec) {
    closed_ = true;
    co_return Unavailable("client went away: " + ec.message());
  }
  co_return Status::Ok();
}

void ClientSession::SendError(std::string_view sqlstate, std::string_view message,
                              std::string_view detail) {
  EncodeError(client_out_, "ERROR", sqlstate, message, detail);
}

void ClientSession::SendReady() {
  Encode(client_out_, ReadyForQuery{static_cast<TransactionStatus>(tx_status_)});
}

void ClientSession::HandleCancel(const CancelRequest& cancel) {
  std::shared_ptr<CancelSlot> slot = ctx_.cancels.Lookup(cancel.pid, cancel.secret);
  if (!slot) return;
  // The target is its session's to read, on the session's thread; the cancel is sent from
  // there, with a copy that outlives a detach meanwhile.
  asio::post(slot->home, [slot] {
    if (slot->target == nullptr) return;
    asio::co_spawn(slot->home, SendCancelTo(slot->home, *slot->target), asio::detached);
  });
}

awaitable<bool> ClientSession::Startup() {
  FrontendMessage message;
  while (true) {
    Status st = co_await ReadMessage(message);
    if (!st.ok()) {
      if (!closed_) {
        EncodeError(client_out_, "FATAL", kSqlStateProtocolViolation, st.message());
        co_await FlushClient();
      }
      co_return false;
    }
    if (std::holds_alternative<SslRequest>(message) ||
        std::holds_alternative<GssEncRequest>(message)) {
      client_out_ += 'N';  // no TLS/GSS yet: the client goes on in plain text or gives up
      co_await FlushClient();
      continue;
    }
    if (auto* cancel = std::get_if<CancelRequest>(&message)) {
      HandleCancel(*cancel);
      co_return false;
    }
    if (std::holds_alternative<StartupMessage>(message)) break;
    co_return false;
  }
  const auto& startup = std::get<StartupMessage>(message);
  auto fatal = [&](std::string_view sqlstate, const std::string& text) {
    EncodeError(client_out_, "FATAL", sqlstate, text);
  };
  if ((startup.protocol_version >> 16) != 3) {
    fatal("0A000", "unsupported frontend protocol " + std::to_string(startup.protocol_version >> 16));
    co_await FlushClient();
    co_return false;
  }
  user_ = std::string(startup.Get("user"));
  database_ = std::string(startup.Get("database"));
  if (database_.empty()) database_ = user_;
  if (user_.empty()) {
    fatal("28000", "no PostgreSQL user name specified in startup packet");
    co_await FlushClient();
    co_return false;
  }
  if (!startup.Get("replication").empty() && startup.Get("replication") != "false") {
    fatal("0A000", "domicile does not route replication connections");
    co_await FlushClient();
    co_return false;
  }
  std::map<std::string, std::string> startup_values;  // settings the client asked for
  for (const auto& [name, value] : startup.parameters) {
    if (!IsConnectionParameter(name)) startup_values[name] = value;
  }
  auto options = ParseStartupOptions(startup.Get("options"));
  if (!options.ok()) {
    fatal("22023", "invalid startup options: " + options.status().message());
    co_await FlushClient();
    co_return false;
  }
  for (const auto& setting : *options) {
    if (setting.name == "domicile.tenant") {
      auto id = NormalizeId("tenant", setting.value);
      if (!id.ok()) {
        fatal("22023", id.status().message());
        co_await FlushClient();
        co_return false;
      }
      startup_tenant_ = *id;
    } else if (setting.name.rfind("domicile.", 0) == 0) {
      fatal("42704", "unrecognized configuration parameter \"" + setting.name + "\"");
      co_await FlushClient();
      co_return false;
    } else {
      startup_values[setting.name] = setting.value;
    }
  }
  for (const auto& [name, value] : startup_values) {
    startup_settings_[name] = SettingText(name, value);
  }
  settings_ = startup_settings_;
  if (!co_await Authenticate(user_)) co_return false;
  SendStartupParameters(user_, startup_values);
  co_await FlushClient();
  co_return !closed_;
}

awaitable<bool> ClientSession::Authenticate(const std::string& user) {
  if (ctx_.settings.users.empty()) {
    Encode(client_out_, AuthenticationOk{});
    co_return true;
  }
  auto found = ctx_.settings.users.find(user);
  // An unknown user runs the same exchange against a mock verifier, so probing cannot tell.
  ScramServer scram(found != ctx_.settings.users.end()
                        ? found->second.verifier
                        : ScramServer::MockVerifier(user, "domicile-mock"));
  Encode(client_out_, AuthenticationSasl{{kScramSha256}});
  decoder_.ExpectPasswordMessage(PasswordKind::kSaslInitial);
  FrontendMessage message;
  auto fail = [&](const Status& st) {
    EncodeError(client_out_, "FATAL", ScramFailureSqlState(st),
                st.code() == StatusCode::kPolicyRefused
                    ? "password authentication failed for user \"" + user + "\""
                    : st.message());
  };
  Status st = co_await ReadMessage(message);
  auto* initial = st.ok() ? std::get_if<SaslInitialResponse>(&message) : nullptr;
  if (initial == nullptr || initial->mechanism != kScramSha256 || !initial->data) {
    fail(st.ok() ? InvalidArgument("expected a SCRAM-SHA-256 SASLInitialResponse") : st);
    co_await FlushClient();
    co_return false;
  }
  auto server_first = scram.HandleClientFirst(*initial->data);
  if (!server_first.ok()) {
    fail(server_first.status());
    co_await FlushClient();
    co_return false;
  }
  Encode(client_out_, AuthenticationSaslContinue{*server_first});
  decoder_.ExpectPasswordMessage(PasswordKind::kSaslResponse);
  st = co_await ReadMessage(message);
  auto* response = st.ok() ? std::get_if<SaslResponse>(&message) : nullptr;
  if (response == nullptr) {
    fail(st.ok() ? InvalidArgument("expected a SASLResponse") : st);
    co_await FlushClient();
    co_return false;
  }
  auto server_final = scram.HandleClientFinal(response->data);
  if (!server_final.ok() || found == ctx_.settings.users.end()) {
    fail(server_final.ok() ? PolicyRefused("unknown user") : server_final.status());
    co_await FlushClient();
    co_return false;
  }
  Encode(client_out_, AuthenticationSaslFinal{*server_final});
  Encode(client_out_, AuthenticationOk{});
  co_return true;
}

void ClientSession::SendStartupParameters(
    const std::string& user, const std::map<std::string, std::string>& values) {
  auto value_of = [&](const std::string& name, std::string_view fallback) -> std::string {
    auto it = values.find(name);
    return it == values.end() ? std::string(fallback) : it->second;
  };
  const std::pair<std::string_view, std::string> params[] = {
      {"server_version", ctx_.settings.server_version},
      {"server_encoding", "UTF8"},
      {"client_encoding", value_of("client_encoding", "UTF8")},
      {"DateStyle", value_of("DateStyle", "ISO, MDY")},
      {"TimeZone", value_of("TimeZone", ctx_.settings.default_timezone)},
      {"IntervalStyle", "postgres"},
      {"integer_datetimes", "on"},
      {"standard_conforming_strings", "on"},
      {"is_superuser", "off"},
      {"default_transaction_read_only", "off"},
      {"in_hot_standby", "off"},
      {"session_authorization", user},
      {"application_name", value_of("application_name", "")},
  };
  for (const auto& [name, value] : params) Encode(client_out_, ParameterStatus{name, value});
  cancel_slot_ = std::make_shared<CancelSlot>(socket_.get_executor());
  auto [pid, secret] = ctx_.cancels.Register(cancel_slot_);
  cancel_pid_ = pid;
  Encode(client_out_, BackendKeyData{pid, secret});
  SendReady();
}

awaitable<bool> ClientSession::ResetServerForReuse() {
  if (server_->broken() || unsynced_) co_return false;
  bool clean = server_status_ == 'I' && pinned_state_ == 0 &&
               ctx_.pools.settings().mode == PoolMode::kTransaction;
  if (clean) co_return true;
  // A client left mid-transaction, holding session state, or in session mode: roll back and
  // DISCARD ALL, so the next client gets a connection as fresh as a new one.
  server_out_.clear();
  int answers = 0;
  if (server_status_ != 'I') {
    Encode(server_out_, Query{"ROLLBACK"});
    ++answers;
  }
  Encode(server_out_, Query{"DISCARD ALL"});
  ++answers;
  if (!(co_await FlushServer()).ok()) co_return false;
  bool failed = false;
  while (answers > 0) {
    auto frame = co_await server_->ReadFrame();
    if (!frame.ok()) co_return false;
    if (frame->type == be::kErrorResponse) failed = true;
    if (frame->type == be::kReadyForQuery) --answers;
  }
  server_->prepared().clear();  // DISCARD ALL dropped them, and the session settings
  server_->applied_settings().clear();
  server_status_ = 'I';
  co_return !failed;
}

awaitable<void> ClientSession::Run() {
  ErrorCode ec;
  socket_.set_option(tcp::no_delay(true), ec);
  SetKeepalive(socket_, ctx_.settings);
  {
    SteadyTimer deadline(co_await asio::this_coro::executor);  // this session's thread
    deadline.expires_after(ctx_.settings.startup_timeout);
    deadline.async_wait([this](const ErrorCode& e) {
      if (e) return;  // cancelled: startup finished in time
      ErrorCode ignored;
      socket_.cancel(ignored);
    });
    bool started = co_await Startup();
    deadline.cancel();
    if (!started) co_return;
  }
  FrontendMessage message;
  while (!closed_) {
    // A simple Query, the common message, is taken without building a FrontendMessage.
    const char next = decoder_.PeekType();
    std::optional<std::string_view> sql;
    if (next == fe::kQuery) sql = decoder_.TakeQuery();
    if (!sql) {
      std::optional<Status> got;
      if (decoder_.buffered() > 0) {  // else straight to the read
        // Parse/Bind/Describe/Execute/Close are only framed here and kept; HandleBatch
        // decodes the batch once, at its Sync or Flush.
        if (std::optional<std::string_view> raw = decoder_.TakeBatchMessage()) {
          BufferMessage(*raw);
          continue;
        }
        // Each turn takes one buffered message or waits for more bytes, here rather than in
        // ReadMessage: waiting needs no coroutine frame of its own on this path.
        got = NextBufferedMessage(message);
      }
      if (!got) {
        if (!FlushClientNow()) co_await FlushClient();
        ErrorCode ec;
        size_t n = 0;
        co_await ReadNextRequest(n, ec);
        Status read = ReadDone(n, ec);
        if (read.ok()) continue;
        got = std::move(read);
      }
      Status st = std::move(*got);
      if (!st.ok()) {
        if (!closed_) {
          EncodeError(client_out_, "FATAL", kSqlStateProtocolViolation, st.message());
          co_await FlushClient();
        }
        break;
      }
      if (auto* query = std::get_if<Query>(&message)) {
        sql = query->sql;  // not seen: TakeQuery takes every well-formed Query
      } else if (std::holds_alternative<Sync>(message) || std::holds_alternative<Flush>(message)) {
        BufferMessage(decoder_.last_raw());
        co_await HandleBatch();
      } else if (std::holds_alternative<Terminate>(message)) {
        closed_ = true;
      } else if (std::holds_alternative<CopyData>(message) ||
                 std::holds_alternative<CopyDone>(message) ||
                 std::holds_alternative<CopyFail>(message)) {
        // Outside COPY these are ignored, as PostgreSQL does.
      } else {
        EncodeError(client_out_, "FATAL", kSqlStateProtocolViolation,
                    "unexpected " + std::string(MessageName(message)) + " message");
        co_await FlushClient();
        break;
      }
    }
    if (sql) {
      if (!batch_spans_.empty()) co_await HandleBatch();
      if (!closed_) co_await HandleQuery(*sql);
    }
    if (!client_out_.empty() && decoder_.buffered() == 0 && !FlushClientNow()) {
      co_await FlushClient();
    }
  }
  if (server_) Detach(co_await ResetServerForReuse());
  DropParked();
  ErrorCode ignored;
  socket_.close(ignored);
}

}  // namespace domicile::pgwire
