// ClientSession: one client connection, from startup to Terminate, routing each transaction
// to its tenant's shard over pooled server connections.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/statement_info.h"
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/embedded_executor.h"
#include "frontends/pgwire/fifo_queue.h"
#include "frontends/pgwire/frontend_decoder.h"
#include "frontends/pgwire/quiet_read_buffer.h"
#include "frontends/pgwire/recent_analyses.h"
#include "frontends/pgwire/router_context.h"
#include "frontends/pgwire/server_connection.h"

namespace domicile::pgwire {

// Runs on one thread, its io_context's: Run and everything it calls execute one at a time, so
// the session's state needs no locks. The session owns its server connection while attached.
class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(RouterContext& ctx, Socket socket);
  ~ClientSession();

  awaitable<void> Run();

  // Whether a deferred BEGIN's text might fail on a server (options: READ WRITE on a hot
  // standby, SERIALIZABLE there, ...). Such a BEGIN is sent so that its failure stops the
  // statements after it, instead of being swallowed while they run in autocommit.
  static bool CheckedBegin(std::string_view begin_text);

 private:
  // A prepared statement as the client named it, and the name the router gives it on servers
  // (the same text and types share one server-side statement per server connection).
  struct PreparedStatement {
    std::string query;
    std::vector<uint32_t> param_types;
    std::string server_name;  // "" for the unnamed statement
    std::shared_ptr<const StatementInfo> info;  // null when the text did not parse
  };
  // What the router expects the server to answer for one forwarded message.
  struct Expect {
    enum class Action { kPass, kSwallow, kSynthesize };
    Action action = Action::kPass;
    std::string_view ends;  // response types that finish this entry
    bool is_sync = false;   // Sync or Query: errors skip to it, 'Z' ends it
    std::string_view synthesized;  // kSynthesize: bytes (a constant) to send the client instead
    // An injected Parse: the server statement name it creates on success (in
    // injected_names_, so an entry stays a plain value, cheap to queue).
    std::string_view prepares;
    // A Query sent inside a batch not yet synced (after a checked BEGIN): an error before it
    // makes the server skip it too, up to the Sync.
    bool query_in_batch = false;
    // A message of a checked deferred BEGIN: its failure aborts the client's transaction.
    bool begin = false;
  };
  // Where a batch's tenant came from, for precedence and error messages.
  struct TenantCandidate {
    std::string tenant;
    std::string_view source;  // "hint", "SET", "startup option", "statement"
  };

  // Startup and authentication; false when the connection is done (cancel, refusal).
  awaitable<bool> Startup();
  awaitable<bool> Authenticate(const std::string& user);
  // `values`: the client's startup settings (parameters and -c options) by name.
  void SendStartupParameters(const std::string& user,
                             const std::map<std::string, std::string>& values);

  // Reads the next client message into `message` (views valid until the next read).
  awaitable<Status> ReadMessage(FrontendMessage& message);
  // ReadMessage's wait in two halves, for Run's loop: `co_await ReadMore(n, ec)` reads more
  // bytes from the client, ReadDone takes them (a failure closes the session).
  auto ReadMore(size_t& n, ErrorCode& ec) {
    return ReadSome(socket_, decoder_.Prepare(kReadChunk), n, ec);
  }
  // ReadMore for the main loop, between requests: a read that ends after the client's Query
  // or Sync tells the reactor the client now waits for the answer (quiet_read_buffer.h).
  auto ReadNextRequest(size_t& n, ErrorCode& ec) {
    bool at_message_start = decoder_.buffered() == 0;
    return ReadQuiet(socket_, decoder_.Prepare(kReadChunk), at_message_start, kClientQuietAfter, n,
                     ec);
  }
  Status ReadDone(size_t n, const ErrorCode& ec);
  // The same for a message already buffered, without waiting: nullopt when more bytes are
  // needed (then ReadMessage).
  std::optional<Status> NextBufferedMessage(FrontendMessage& message);
  void HandleCancel(const CancelRequest& cancel);

  // The main loop's steps.
  awaitable<void> HandleQuery(std::string_view sql);
  awaitable<void> HandleBatch();  // extended-protocol messages buffered up to Sync/Flush
  // Keeps a message's wire bytes (`raw`, as the decoder framed them) for the batch.
  void BufferMessage(std::string_view raw);
  // The statement the client named `name` (the unnamed one for ""), or null.
  PreparedStatement* FindStatement(std::string_view name);
  // The same, made empty first when there is none (Parse).
  PreparedStatement& StatementSlot(std::string_view name);
  // The analysis of `sql`, or null when it does not parse.
  std::shared_ptr<const StatementInfo> AnalyzeOrNull(std::string_view sql);
  // The same for an unnamed Parse's text, asking recent_unnamed_ first.
  std::shared_ptr<const StatementInfo> AnalyzeUnnamed(std::string_view sql);
  // A Parse's text analyzed by whichever of the two fits it.
  std::shared_ptr<const StatementInfo> AnalyzeParse(const Parse& parse);

  // Routing.
  Status CollectTenantFromInfo(const StatementInfo& info, std::vector<TenantCandidate>& out);
  // The shard for a batch (null: no tenant, stays on the attached shard). `held_tenant`: the
  // first tenant of the batch a move holds, or empty.
  Result<const Shard*> ChooseShard(const std::vector<TenantCandidate>& statement_tenants,
                                   std::string* chosen_tenant, std::string* held_tenant);
  // ChooseShard for a batch whose tenants were collected with `collected` (a failure is
  // returned as is). `*wait_for` names the held tenant when the batch would start a
  // transaction (see InTransaction) of a tenant a move holds: then WaitOutHold decides. A
  // transaction already running is never held.
  Result<const Shard*> ChooseShardNow(const Status& collected,
                                      const std::vector<TenantCandidate>& statement_tenants,
                                      std::string* chosen_tenant, std::string* wait_for);
  // Waits on a timer (the thread stays free), re-reading the catalog every millisecond,
  // until no tenant of the batch is held, then chooses with the catalog found then (which
  // may name another shard). Past hold_timeout it fails with *hold_timed_out set.
  awaitable<Result<const Shard*>> WaitOutHold(
      const std::vector<TenantCandidate>& statement_tenants, std::string* chosen_tenant,
      std::string held, bool* hold_timed_out);
  // Whether ChooseShardNow's answer is final without waiting: no tenant is held, and the
  // shard needs no server connection, has this session's, or had an idle one (taken now).
  bool RoutedNow(const Result<const Shard*>& shard, const std::string& held) {
    if (!held.empty()) return false;
    return !shard.ok() || RoutesEmbedded(*shard) || server_ || AttachIdle(**shard);
  }
  // The rest of routing when ChooseShardNow's answer is not final: a held tenant (waited out),
  // or no idle connection (Attach waits in the pool's queue). A wait can outlast the catalog
  // the batch was routed with, so after one the batch is routed again with the newest: a
  // tenant a move took elsewhere meanwhile goes there, one it holds now waits, and the
  // connection taken for the old route goes back. Returns the shard, attached when it is a
  // PostgreSQL one, or why not.
  awaitable<Result<const Shard*>> FinishRouting(
      const Status& collected, const std::vector<TenantCandidate>& statement_tenants,
      Result<const Shard*> shard, std::string tenant, std::string held, bool* hold_timed_out);
  // A transaction (or an unsynced extended batch) is open on the attached shard.
  bool InTransaction() const;
  // Takes an idle pooled connection to `shard` if one is ready, without waiting; false when
  // Attach has to open one or queue for one.
  bool AttachIdle(const Shard& shard);
  // Makes `conn` this session's server connection (and its cancel target).
  void Adopt(std::unique_ptr<ServerConnection> conn, const Shard& shard);
  // After AttachIdle found nothing: waits in the pool's queue or opens a connection.
  awaitable<Status> Attach(const Shard& shard);
  void Detach(bool reusable);
  // After a clean transaction: parks the connection for this session's next transaction
  // (ServerPools::Park), or gives it back when the pool needs it now.
  void ParkOrDetach();
  // Gives back the connections parked for this session (it leaves, or routes to an embedded
  // shard); DropParkedAt gives back parked_[i].
  void DropParked();
  void DropParkedAt(size_t i);
  void ReleaseIfIdle();
  // At client exit: makes the attached server connection clean (ROLLBACK, DISCARD ALL where
  // needed); false when it cannot be trusted and must be closed.
  awaitable<bool> ResetServerForReuse();

  // Forwarding and relaying.
  // Appends what the attached connection needs before the client's messages: settings that
  // differ, then a deferred BEGIN. True when that BEGIN went as an unsynced extended-protocol
  // batch (CheckedBegin): the caller must end what it sends with a Sync.
  bool AppendSessionReplay();
  // The SETs and RESETs that turn `applied` into settings_; `applied` is updated to match.
  std::string ApplySettingsDiff(std::map<std::string, std::string>& applied);
  // Appends `message` for the server: its own bytes `raw` unless a statement name changes.
  void AppendRewritten(const FrontendMessage& message, std::string_view raw);
  // Sends the buffered bytes: the ...Now forms send what the socket takes without waiting
  // (nearly always all) and return nullopt when the rest needs the awaitable form. The hot
  // path calls `if (!FlushClientNow()) co_await FlushClient();`, so it allocates no
  // coroutine frame when nothing has to wait.
  std::optional<Status> FlushServerNow();
  awaitable<Status> FlushServer();
  std::optional<Status> FlushClientNow();
  awaitable<Status> FlushClient();
  // Passes the server's replies to the client until the expected ones are in; the last of
  // them are left in client_out_ for the caller to send.
  awaitable<Status> Relay();
  awaitable<Status> RelayCopyIn();
  void OnServerLost(const Status& st);

  // Bookkeeping after statements succeeded on a server: SETs to replay, pinning.
  void AfterSuccess(const StatementDetail& stmt);
  void SetPinned(uint32_t state);

  // Answers the router gives itself.
  bool TryAnswerLocally(const StatementInfo& info);
  // Whether `statements` are one transaction-opening BEGIN that can wait for the
  // transaction's first routed statement although a tenant is known (see TryAnswerLocally).
  bool DefersBegin(const std::vector<StatementDetail>& statements, const TenantRef& hint) const;
  // Answers an extended-protocol batch without a server when every statement it executes
  // is transaction control or SET; false when it needs a shard.
  bool TryAnswerBatchLocally(std::span<const FrontendMessage> messages);
  // The tag and local effect of a statement the router can answer itself, or empty.
  std::string LocalStatement(const StatementDetail& stmt, bool apply);
  awaitable<void> HandleAbortedQuery(const std::shared_ptr<const StatementInfo>& info);
  void AnswerRouterVariable(const StatementDetail& stmt);
  // SHOW domicile.stats (the router's counters) and SHOW domicile.pools (per shard).
  void AnswerStats();
  void AnswerPools();
  void SendError(std::string_view sqlstate, std::string_view message,
                 std::string_view detail = {});
  void SendReady();
  void RefuseInTransaction(std::string_view sqlstate, const std::string& message);

  // Embedded (sqlite) shards, run by ctx_.embedded on worker threads: session_embedded.cc.
  bool Attached() const;  // to a server connection or an embedded session
  // The version of the catalog this session routes with (route_map_'s).
  uint64_t RouteVersion() const { return route_map_ ? route_map_->version() : 0; }
  bool RoutesEmbedded(const Shard* shard) const;
  awaitable<Status> AttachEmbedded(const Shard* shard);
  void DetachEmbedded();
  void ReleaseEmbeddedIfIdle();
  awaitable<void> HandleEmbeddedQuery(const Shard* shard, std::string_view sql,
                                      const std::shared_ptr<const StatementInfo>& info);
  awaitable<void> HandleEmbeddedBatch(
      const Shard* shard, std::span<const FrontendMessage> messages,
      const std::vector<std::shared_ptr<const StatementInfo>>& executed);

  RouterContext& ctx_;
  Socket socket_;
  FrontendDecoder decoder_;
  std::string client_out_;
  std::string server_out_;
  bool closed_ = false;

  std::string user_;
  std::string database_;
  int32_t cancel_pid_ = 0;
  std::shared_ptr<CancelSlot> cancel_slot_;  // registered under cancel_pid_

  // Tenant sources that outlive a statement.
  std::optional<std::string> startup_tenant_;
  std::optional<std::string> set_tenant_;

  // Session settings to replay on whichever server connection serves the next transaction:
  // name -> SET text.
  std::map<std::string, std::string> settings_;
  std::map<std::string, std::string> startup_settings_;  // what RESET ALL returns to

  std::shared_ptr<const ShardMap> route_map_;  // keeps ChooseShard's Shard alive
  // The last tenant ChooseShard resolved in route_map_, and where it lives (empty: none).
  std::string memo_tenant_;
  Route memo_route_;
  std::unique_ptr<ServerConnection> server_;
  // server_'s lease while attached (or, spent, Park's hint of its pool).
  ServerPools::LeasePtr lease_;
  // Connections parked between transactions, one per shard, the latest parked last: a
  // client whose transactions alternate between a few shards keeps one on each.
  struct ParkedConnection {
    std::string shard;
    ServerPools::LeasePtr lease;
  };
  static constexpr size_t kMaxParked = 4;
  std::vector<ParkedConnection> parked_;
  ServerPools::QueuePlace queue_place_;  // this session's waiter in pool queues, reused
  std::unique_ptr<EmbeddedClient> embedded_;  // made on the first embedded route
  std::string attached_shard_;
  char tx_status_ = 'I';            // what the client was last told
  char server_status_ = 'I';        // what the attached server last said
  bool unsynced_ = false;           // a Flush-ended batch awaits its Sync on this server
  bool router_aborted_tx_ = false;  // the router refused a statement inside a transaction
  std::optional<std::string> deferred_begin_;  // BEGIN answered locally, sent with the first route
  uint32_t pinned_state_ = 0;       // SessionState bits that keep the server connection

  // By client name, looked up by string_view (no key string built per message).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  std::unordered_map<std::string, PreparedStatement, NameHash, std::equal_to<>> statements_;
  // statements_[""] once made (never erased; map nodes stay put): the unnamed statement is
  // in most messages of a batch, and this skips their hash lookups.
  PreparedStatement* unnamed_statement_ = nullptr;
  RecentAnalyses recent_unnamed_;   // the analyses of the last unnamed Parse texts
  uint64_t unnamed_parse_on_ = 0;   // server connection id that has the unnamed statement

  // The extended-protocol batch being collected: each message's wire bytes back to back.
  std::string batch_bytes_;
  std::vector<std::pair<size_t, size_t>> batch_spans_;  // (offset, length) per message
  // HandleBatch's working lists, kept for their capacity: the decoded messages (views into
  // batch_bytes_; only the batch's first ones are current, the rest keep their lists' storage
  // for the next batch), their wire bytes, and the analyses of the statements they execute.
  std::vector<FrontendMessage> batch_messages_;
  std::vector<std::string_view> batch_raws_;
  std::vector<std::shared_ptr<const StatementInfo>> batch_executed_;
  // The tenants the current query or batch names (HandleQuery and HandleBatch, one at a time).
  std::vector<TenantCandidate> found_tenants_;

  FifoQueue<Expect> expect_;
  std::deque<std::string> injected_names_;  // what expect_ entries' `prepares` view
  bool saw_error_ = false;  // an ErrorResponse went to the client in the current batch
  // A deferred BEGIN failed on the server: the client's next ReadyForQuery says 'E' and the
  // router refuses statements until the client ends the transaction.
  bool begin_failed_ = false;
  // server_'s applied settings were made to match settings_ since it was adopted and since a
  // SET, RESET or DISCARD last changed either: the next statements skip the comparison.
  bool settings_synced_ = false;
};

}  // namespace domicile::pgwire
