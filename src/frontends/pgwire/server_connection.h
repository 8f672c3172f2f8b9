// ServerConnection: one logged-in connection from the router to a PostgreSQL shard.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "domain/status.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/coarse_clock.h"
#include "frontends/pgwire/conninfo.h"
#include "frontends/pgwire/quiet_read_buffer.h"

namespace domicile::pgwire {

// Where a server connection's queries run, so a client's CancelRequest can reach them.
struct CancelTarget {
  ServerEndpoint endpoint;
  int32_t pid = 0;
  int32_t secret = 0;
};

// Owned by exactly one party at a time (a pool's idle list or one client session), which is
// the only one that touches it; it needs no locking. Operations are coroutines that report
// failures as Status (kUnavailable when the server is gone).
class ServerConnection {
 public:
  explicit ServerConnection(Executor executor);
  ~ServerConnection();

  // Connects, runs the startup and authentication exchange (trust, cleartext, md5,
  // SCRAM-SHA-256) and reads up to the first ReadyForQuery. Fails within the endpoint's
  // connect_timeout.
  awaitable<Status> Open(const ServerEndpoint& endpoint);

  // Writes what the socket takes now, without waiting, and erases it from the front of
  // `bytes`; whatever is left must go with Write. Nearly always all of it: the hot path
  // then needs no coroutine frame.
  Status WriteNow(std::string& bytes);
  // Writes all of `bytes`.
  awaitable<Status> Write(std::string_view bytes);
  // The next whole message if one is buffered already (or the stream is bad), without
  // waiting; nullopt when ReadFrame has to wait for more bytes.
  std::optional<Result<BackendFrame>> TryReadFrame();
  // TryReadFrame's common case without its wrappers: true with the next whole, valid message
  // in `frame`; false when there is none or it is bad (then TryReadFrame says which).
  bool TakeFrame(BackendFrame& frame) { return reader_.TakeFrame(frame); }
  // Whole buffered messages, none of a type in `stop`, taken as one view (BackendFrameReader).
  std::string_view TakeRun(std::string_view stop) { return reader_.TakeRun(stop); }
  // The next whole message from the server; its views stay valid until the next call.
  awaitable<Result<BackendFrame>> ReadFrame();
  // ReadFrame's wait in two halves, for a caller already in a coroutine (the relay), so the
  // wait needs no coroutine frame of its own: `co_await conn.ReadMore(n, ec);` then
  // `Status st = conn.ReadDone(n, ec);`, then TryReadFrame again.
  auto ReadMore(size_t& n, ErrorCode& ec) {
    bool at_message_start = reader_.buffered() == 0;
    return ReadQuiet(socket_, reader_.Prepare(kReadChunk), at_message_start, kServerQuietAfter, n,
                     ec);
  }
  Status ReadDone(size_t n, const ErrorCode& ec);
  // True when bytes of a next message are buffered already.
  bool HasBufferedData() const { return reader_.buffered() > 0; }

  // The io_context whose thread the socket's readiness wakes.
  const asio::execution_context* home() const { return home_; }
  // Moves the socket to `executor`'s io_context (nothing may be pending on it), so a session
  // on another thread that now owns the connection is woken on its own thread. A failure
  // marks the connection broken.
  void MoveTo(const Executor& executor);

  void Close();
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }

  const ServerEndpoint& endpoint() const { return endpoint_; }
  // The shard whose pool this connection belongs to.
  const std::string& shard_id() const { return shard_id_; }
  void set_shard_id(std::string id) { shard_id_ = std::move(id); }
  // The shard's address (catalog conninfo) this connection was opened to, and the version of
  // the catalog that gave the shard that address (or a later one): see ServerPools::Stale.
  const std::string& address() const { return address_; }
  uint64_t catalog_version() const { return catalog_version_; }
  void set_address(std::string address, uint64_t catalog_version) {
    address_ = std::move(address);
    catalog_version_ = catalog_version;
  }
  int32_t backend_pid() const { return backend_pid_; }
  int32_t backend_secret() const { return backend_secret_; }
  // Set once Open succeeds; a session points its CancelSlot here while it holds this.
  const CancelTarget& cancel_target() const { return cancel_target_; }
  uint64_t id() const { return id_; }
  std::chrono::steady_clock::time_point created_at() const { return created_at_; }
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }
  void Touch() { last_used_ = CoarseSteadyNow(); }  // on every release: idle times count in ms

  // Statement names prepared on this connection (router-side canonical names).
  std::unordered_set<std::string>& prepared() { return prepared_; }
  // Session variables this connection currently has set: name -> the SET text applied.
  std::map<std::string, std::string>& applied_settings() { return applied_settings_; }
  // Server parameters the server reported (ParameterStatus), by name.
  const std::map<std::string, std::string>& parameters() const { return parameters_; }
  void NoteParameter(std::string_view name, std::string_view value);

 private:
  awaitable<Status> Authenticate();
  // Gives the socket a fresh epoll registration on `executor`'s io_context.
  void Reregister(const Executor& executor);

  Socket socket_;
  const asio::execution_context* home_;
  BackendFrameReader reader_;
  ServerEndpoint endpoint_;
  std::string shard_id_;
  std::string address_;
  uint64_t catalog_version_ = 0;
  bool broken_ = false;
  int32_t backend_pid_ = 0;
  int32_t backend_secret_ = 0;
  CancelTarget cancel_target_;
  uint64_t id_;
  std::chrono::steady_clock::time_point created_at_;
  std::chrono::steady_clock::time_point last_used_;
  std::unordered_set<std::string> prepared_;
  std::map<std::string, std::string> applied_settings_;
  std::map<std::string, std::string> parameters_;
  std::string out_;  // reused encode buffer
};

// Sends a CancelRequest for (pid, secret) to the server at `endpoint`, on a fresh connection
// as the protocol requires. Best effort: PostgreSQL sends no answer.
awaitable<Status> SendCancel(Executor executor, const ServerEndpoint& endpoint,
                             int32_t pid, int32_t secret);

}  // namespace domicile::pgwire
