// ClientSession, part two: finding each batch's tenant and shard, forwarding, and relaying.
#include <algorithm>
#include <cstring>
#include <functional>

#include "domain/ids.h"
#include "frontends/pgwire/backend_encoder.h"
#include "frontends/pgwire/backend_parsers.h"
#include "frontends/pgwire/client_session.h"
#include "frontends/pgwire/frontend_encoder.h"

namespace domicile::pgwire {

namespace {

constexpr std::string_view kConnectionLost = "08006";
// How often a held transaction re-reads the catalog: the Resolver's snapshot is a
// thread-local read, so polling costs next to nothing and the release is seen at once.
constexpr std::chrono::milliseconds kHoldPoll{1};

}  // namespace

void ClientSession::BufferMessage(std::string_view raw) {
  batch_spans_.emplace_back(batch_bytes_.size(), raw.size());
  batch_bytes_ += raw;
}

// ---- Tenant and shard ----

Status ClientSession::CollectTenantFromInfo(const StatementInfo& info,
                                            std::vector<TenantCandidate>& out) {
  if (info.hint_conflict) return Conflict("the statement's tenant hints disagree");
  if (info.hint.is_literal()) out.push_back({info.hint.literal, "hint"});
  for (const auto& stmt : info.statements) {
    if (stmt.tenant_conflict) {
      return Conflict("the statement names more than one tenant; a statement runs on one shard");
    }
    if (stmt.hint.is_literal()) out.push_back({stmt.hint.literal, "hint"});
    if (stmt.tenant.is_literal()) out.push_back({stmt.tenant.literal, "statement"});
  }
  return Status::Ok();
}

Result<const Shard*> ClientSession::ChooseShard(const std::vector<TenantCandidate>& found,
                                                std::string* chosen_tenant,
                                                std::string* held_tenant) {
  held_tenant->clear();
  // The first of hint, SET, startup option decides; tenants the statement itself names (key
  // columns) must then live on the same shard, or the statement would touch another
  // shard's tenant where its rows are not. Runs for every transaction: views, no copies.
  const TenantCandidate* hint = nullptr;
  for (const auto& c : found) {
    if (c.source == "hint") {
      hint = &c;
      break;
    }
  }
  const std::string* session_tenant = set_tenant_ ? &*set_tenant_
                                      : startup_tenant_ ? &*startup_tenant_
                                                        : nullptr;
  if (hint == nullptr && session_tenant == nullptr && found.empty()) {
    if (Attached()) return static_cast<const Shard*>(nullptr);  // stays on the attached shard
    return InvalidArgument(
        "domicile could not tell which tenant this statement is for: use SET domicile.tenant, "
        "the startup option -c domicile.tenant=ID, a /* domicile.tenant=ID */ comment, or "
        "the tenant key column in the statement");
  }
  // Held by the session: the Shard returned below is used across co_await (Attach), while
  // other sessions on this thread may move the thread's resolver cache to a newer map.
  if (const auto& current = ctx_.resolver.ThreadSnapshot(); route_map_ != current) {
    route_map_ = current;
    memo_tenant_.clear();  // its route points into the old map
  }
  const ShardMap* snapshot = route_map_.get();
  const Shard* shard = nullptr;
  // `normalized`: SET and the startup option stored the id normalised already.
  auto consider = [&](std::string_view raw, std::string_view source, bool normalized) -> Status {
    std::string normalized_id;
    std::string_view id = raw;
    if (!normalized && !IsNormalizedId(raw)) {  // a literal's digits are the id as it is
      auto n = NormalizeId("tenant", raw);
      if (!n.ok()) {
        return NotFound("unknown tenant '" + std::string(raw) + "' (from " +
                        std::string(source) + ")");
      }
      normalized_id = std::move(*n);
      id = normalized_id;
    }
    // A session names the same tenant statement after statement: one lookup per map.
    if (memo_tenant_.empty() || id != memo_tenant_) {
      auto resolved = snapshot->Resolve(id);
      if (!resolved.ok()) {
        return NotFound("unknown tenant '" + std::string(id) + "' (from " +
                        std::string(source) + ")");
      }
      memo_tenant_.assign(id);
      memo_route_ = *resolved;
    }
    const Route* route = &memo_route_;
    if (route->tenant->state == TenantState::kHeld && held_tenant->empty()) *held_tenant = id;
    if (shard == nullptr) {
      shard = route->shard;
      chosen_tenant->assign(id);
    } else if (route->shard != shard) {  // one map: one Shard object per shard
      return Conflict("tenant '" + std::string(id) + "' (from " + std::string(source) +
                      ") lives on shard " + route->shard->id +
                      ", but this statement runs on shard " + shard->id + " for tenant '" +
                      *chosen_tenant + "'");
    }
    return Status::Ok();
  };
  if (hint != nullptr) {
    DOMICILE_RETURN_IF_ERROR(consider(hint->tenant, hint->source, false));
  } else if (session_tenant != nullptr) {
    DOMICILE_RETURN_IF_ERROR(consider(*session_tenant,
                                      set_tenant_ ? "SET domicile.tenant" : "startup option",
                                      true));
  }
  for (const auto& c : found) {
    if (c.source != "hint") DOMICILE_RETURN_IF_ERROR(consider(c.tenant, c.source, false));
  }
  if (Attached() && attached_shard_ != shard->id) {
    if (InTransaction() || pinned_state_ != 0) {
      return Conflict("this transaction is pinned to shard " + attached_shard_ + "; tenant '" +
                      *chosen_tenant + "' lives on shard " + shard->id);
    }
    // Between transactions on a kept connection (session mode): the tenant moved, or the
    // session named another tenant. Nothing lives on the connection, so route afresh.
    Detach(true);
    DetachEmbedded();
  } else if (server_ && ServerPools::Stale(*server_, *shard, snapshot->version()) &&
             !InTransaction() && pinned_state_ == 0) {
    // Between transactions on a kept connection whose shard has a new address (a failover):
    // the next transaction goes there, and this connection is closed. With session state on
    // it (pinned), the session stays where that state is.
    Detach(false);
  }
  if (shard->state == ShardState::kOffline) {
    return Unavailable("shard " + shard->id + " is offline");
  }
  if (shard->engine != Engine::kPostgres && !RoutesEmbedded(shard)) {
    return Unavailable("shard " + shard->id + " is a " + std::string(EngineName(shard->engine)) +
                       " shard; the wire front end serves PostgreSQL shards only so far");
  }
  return shard;
}

Result<const Shard*> ClientSession::ChooseShardNow(const Status& collected,
                                                   const std::vector<TenantCandidate>& found,
                                                   std::string* chosen_tenant,
                                                   std::string* wait_for) {
  wait_for->clear();
  if (!collected.ok()) return collected;
  Result<const Shard*> shard = ChooseShard(found, chosen_tenant, wait_for);
  if (!shard.ok() || InTransaction()) wait_for->clear();  // a running transaction is never held
  return shard;
}

awaitable<Result<const Shard*>> ClientSession::WaitOutHold(
    const std::vector<TenantCandidate>& found, std::string* chosen_tenant, std::string held,
    bool* hold_timed_out) {
  Result<const Shard*> shard = static_cast<const Shard*>(nullptr);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + ctx_.settings.hold_timeout;
  ++ctx_.counters.held_transactions;
  SteadyTimer poll(co_await asio::this_coro::executor);  // this session's thread
  while (!held.empty()) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      *hold_timed_out = true;
      ++ctx_.counters.hold_timeouts;
      shard = Unavailable("tenant '" + held + "' is held for a move; gave up after " +
                          std::to_string(ctx_.settings.hold_timeout.count()) + " ms");
      break;
    }
    poll.expires_after(std::min<Clock::duration>(kHoldPoll, deadline - now));
    ErrorCode ec;
    co_await poll.async_wait(Await(ec));
    shard = ChooseShard(found, chosen_tenant, &held);
    if (!shard.ok()) break;
  }
  ctx_.counters.held_ms +=
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  co_return shard;
}

awaitable<Result<const Shard*>> ClientSession::FinishRouting(
    const Status& collected, const std::vector<TenantCandidate>& found, Result<const Shard*> shard,
    std::string tenant, std::string held, bool* hold_timed_out) {
  bool took_connection = false;  // for a route a newer catalog may have changed
  while (true) {
    if (!held.empty()) {
      if (took_connection) Detach(true);  // not kept through the hold
      shard = co_await WaitOutHold(found, &tenant, std::move(held), hold_timed_out);
      held.clear();
    }
    if (RoutedNow(shard, held)) co_return shard;
    const uint64_t routed = RouteVersion();
    Status attached = co_await Attach(**shard);
    if (!attached.ok()) co_return attached;
    if (ctx_.resolver.version() == routed) co_return shard;
    // ChooseShard moves to the newest map; it detaches when the tenant's shard changed.
    took_connection = true;
    shard = ChooseShardNow(collected, found, &tenant, &held);
  }
}

bool ClientSession::InTransaction() const {
  if (server_) return server_status_ != 'I' || unsynced_;
  return embedded_ && embedded_->attached() &&
         (embedded_->status() != 'I' || !embedded_->synced());
}

void ClientSession::Adopt(std::unique_ptr<ServerConnection> conn, const Shard& shard) {
  server_ = std::move(conn);
  settings_synced_ = false;
  attached_shard_ = shard.id;
  if (cancel_slot_) cancel_slot_->target = &server_->cancel_target();
}

bool ClientSession::AttachIdle(const Shard& shard) {
  if (server_) return true;
  for (size_t i = parked_.size(); i-- > 0;) {
    if (parked_[i].shard != shard.id) continue;
    ServerPools::LeasePtr lease = std::move(parked_[i].lease);
    attached_shard_.swap(parked_[i].shard);  // no copy of the id
    parked_.erase(parked_.begin() + static_cast<long>(i));
    std::unique_ptr<ServerConnection> conn = ctx_.pools.Unpark(lease, &shard, RouteVersion());
    lease_ = std::move(lease);  // server_'s now, or spent (then the hint)
    // Null: another session took it meanwhile, or the shard's address changed.
    if (!conn) {
      attached_shard_.clear();
      break;
    }
    // Adopt's work, less what still holds for the connection it had: its settings match.
    server_ = std::move(conn);
    if (cancel_slot_) cancel_slot_->target = &server_->cancel_target();
    return true;
  }
  auto conn = ctx_.pools.TryAcquireIdle(shard, RouteVersion(), socket_.get_executor());
  if (!conn) return false;
  Adopt(std::move(conn), shard);
  return true;
}

awaitable<Status> ClientSession::Attach(const Shard& shard) {
  // The connection may be to an address a catalog newer than RouteVersion() no longer has
  // (a failover while this session queued): FinishRouting routes again and ChooseShard drops it.
  auto conn = co_await ctx_.pools.Acquire(shard, RouteVersion(), queue_place_);
  if (!conn.ok()) co_return conn.status();
  Adopt(std::move(*conn), shard);
  co_return Status::Ok();
}

void ClientSession::Detach(bool reusable) {
  if (!server_) return;
  if (cancel_slot_) cancel_slot_->target = nullptr;
  ServerPools::EndLease(lease_);
  ctx_.pools.Release(std::move(server_), reusable);
  attached_shard_.clear();
}

void ClientSession::ParkOrDetach() {
  if (!ctx_.pools.Park(server_, lease_)) {
    Detach(true);
    return;
  }
  if (cancel_slot_) cancel_slot_->target = nullptr;  // a cancel must not reach whoever takes it
  parked_.push_back(ParkedConnection{std::move(attached_shard_), std::move(lease_)});
  attached_shard_.clear();
  if (parked_.size() > kMaxParked) DropParkedAt(0);  // the one parked longest ago
}

void ClientSession::DropParkedAt(size_t i) {
  ServerPools::LeasePtr lease = std::move(parked_[i].lease);
  parked_.erase(parked_.begin() + static_cast<long>(i));
  std::unique_ptr<ServerConnection> conn = ctx_.pools.Unpark(lease);
  ServerPools::EndLease(lease);
  if (conn) ctx_.pools.Release(std::move(conn), true);
}

void ClientSession::DropParked() {
  while (!parked_.empty()) DropParkedAt(parked_.size() - 1);
}

void ClientSession::ReleaseIfIdle() {
  if (!server_) return;
  if (server_->broken()) {
    Detach(false);
    return;
  }
  bool session_mode = ctx_.pools.settings().mode == PoolMode::kSession;
  if (server_status_ == 'I' && pinned_state_ == 0 && !session_mode && expect_.empty() &&
      !unsynced_) {
    ++ctx_.counters.transactions;
    ParkOrDetach();
  }
}

// ---- Forwarding ----

bool ClientSession::CheckedBegin(std::string_view text) {
  // The plain forms cannot fail on any server; anything else (options, comments) is checked.
  char words[20];
  size_t n = 0;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';';
    if (space && (n == 0 || words[n - 1] == ' ')) continue;
    if (n == sizeof words) return true;  // longer than any plain form
    words[n++] = space ? ' ' : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (n > 0 && words[n - 1] == ' ') --n;
  std::string_view w(words, n);
  return w != "begin" && w != "begin work" && w != "begin transaction" && w != "start transaction";
}

bool ClientSession::AppendSessionReplay() {
  if (!settings_synced_) {
    settings_synced_ = true;
    auto& applied = server_->applied_settings();
    // Usually the connection has exactly this session's settings already (one pass over both
    // sorted maps says so); otherwise each difference is set or reset.
    const std::string sets = applied == settings_ ? std::string() : ApplySettingsDiff(applied);
    if (!sets.empty()) {
      Encode(server_out_, Query{sets});
      expect_.push_back(Expect{Expect::Action::kSwallow, "Z", true, {}, {}});
    }
  }
  if (!deferred_begin_) return false;
  std::string begin = std::move(*deferred_begin_);
  deferred_begin_.reset();
  if (!CheckedBegin(begin)) {
    Encode(server_out_, Query{begin});
    expect_.push_back(Expect{Expect::Action::kSwallow, "Z", true, {}, {}});
    return false;
  }
  // As an extended-protocol batch left open: when the BEGIN fails, the server skips what
  // follows up to the next Sync, so the client's statements do not run outside the
  // transaction it asked for. The unnamed statement is the BEGIN's now.
  Encode(server_out_, Parse{"", begin, {}});
  Encode(server_out_, Bind{});
  Encode(server_out_, Execute{});
  for (std::string_view ends : {"1", "2", "C"}) {  // ParseComplete, BindComplete, BEGIN's tag
    Expect step{Expect::Action::kSwallow, ends, false, {}, {}};
    step.begin = true;
    expect_.push_back(std::move(step));
  }
  unnamed_parse_on_ = 0;
  return true;
}

std::string ClientSession::ApplySettingsDiff(std::map<std::string, std::string>& applied) {
  std::string sets;
  for (const auto& [name, text] : settings_) {
    auto it = applied.find(name);
    if (it == applied.end() || it->second != text) {
      sets += text;
      sets += ';';
      applied[name] = text;
    }
  }
  for (auto it = applied.begin(); it != applied.end();) {
    if (settings_.count(it->first) == 0) {
      sets += "RESET " + it->first + ";";
      it = applied.erase(it);
    } else {
      ++it;
    }
  }
  return sets;
}

std::optional<Status> ClientSession::FlushServerNow() {
  if (server_out_.empty()) return Status::Ok();
  Status st = server_->WriteNow(server_out_);
  if (!st.ok()) server_out_.clear();
  if (!st.ok() || server_out_.empty()) return st;
  return std::nullopt;
}

awaitable<Status> ClientSession::FlushServer() {
  if (auto done = FlushServerNow()) co_return *done;
  Status st = co_await server_->Write(server_out_);
  server_out_.clear();
  co_return st;
}

void ClientSession::OnServerLost(const Status& st) {
  SendError(kConnectionLost, "lost the connection to shard " + attached_shard_ + ": " +
                                 st.message());
  expect_.clear();
  tx_status_ = 'I';
  deferred_begin_.reset();
  begin_failed_ = false;
  if (pinned_state_ != 0) {
    pinned_state_ = 0;
    --ctx_.counters.pinned_clients;
  }
  Detach(false);
  SendReady();
}

awaitable<Status> ClientSession::Relay() {
  saw_error_ = false;
  while (true) {
    while (!expect_.empty() && expect_.front().action == Expect::Action::kSynthesize) {
      client_out_ += expect_.front().synthesized;
      expect_.pop_front();
    }
    if (expect_.empty()) break;
    // Whole messages already buffered are taken without a coroutine; before waiting for
    // more, the client gets what it has so far.
    BackendFrame got;
    if (!server_->TakeFrame(got)) {
      std::optional<Result<BackendFrame>> frame = server_->TryReadFrame();  // why not
      if (!frame) {
        if (!FlushClientNow()) co_await FlushClient();
        ErrorCode ec;
        size_t n = 0;
        co_await server_->ReadMore(n, ec);
        Status read = server_->ReadDone(n, ec);
        if (read.ok()) continue;  // take what arrived from the top
        frame.emplace(std::move(read));
      }
      if (!frame->ok()) {
        OnServerLost(frame->status());
        co_return frame->status();
      }
      got = **frame;  // not seen: TakeFrame takes every whole, valid message
    }
    if (client_out_.size() > 64 * 1024 && !FlushClientNow()) co_await FlushClient();
    Expect& head = expect_.front();
    bool pass = head.action == Expect::Action::kPass;
    char type = got.type;
    switch (type) {
      case be::kNoticeResponse:
      case be::kNotificationResponse:
        if (pass) client_out_ += got.raw;
        continue;
      case be::kParameterStatus: {
        auto p = ParseParameterStatus(got);
        if (p.ok()) server_->NoteParameter(p->name, p->value);
        if (pass) client_out_ += got.raw;
        continue;
      }
      case be::kErrorResponse:
        if (head.action != Expect::Action::kSwallow || !head.is_sync) {
          client_out_ += got.raw;  // an injected Parse's failure is the client's failure
          saw_error_ = true;
        }
        if (!head.is_sync) {
          begin_failed_ |= head.begin;
          // The server skips everything up to the next Sync, a Query inside the batch too;
          // then the Sync's ReadyForQuery is the one that Query's client waits for.
          bool client_waits = false;
          while (!expect_.empty() &&
                 (!expect_.front().is_sync || expect_.front().query_in_batch)) {
            const Expect& skipped = expect_.front();
            client_waits |= skipped.query_in_batch && skipped.action == Expect::Action::kPass;
            // An injected Parse the server skips creates nothing there.
            if (!skipped.prepares.empty()) server_->prepared().erase(std::string(skipped.prepares));
            expect_.pop_front();
          }
          if (client_waits && !expect_.empty()) expect_.front().action = Expect::Action::kPass;
        }
        continue;
      case be::kReadyForQuery: {
        // ParseReadyForQuery's checks, without building its Result on every statement.
        char status = got.body.size() == 1 ? got.body[0] : 'E';
        if (status != 'I' && status != 'T') status = 'E';
        server_status_ = status;
        if (pass && begin_failed_) {
          // The transaction the client opened never started on the server: to the client it
          // is aborted, as if its first statement had failed, until it ends it.
          begin_failed_ = false;
          router_aborted_tx_ = true;
          unnamed_parse_on_ = 0;  // a Parse of the client's after the BEGIN was skipped
          tx_status_ = 'E';
          SendReady();
        } else if (pass) {
          client_out_ += got.raw;
          tx_status_ = status;
        }
        expect_.pop_front();
        continue;
      }
      case be::kCopyInResponse:
        client_out_ += got.raw;
        co_await FlushClient();
        {
          Status st = co_await RelayCopyIn();
          if (!st.ok()) co_return st;
        }
        continue;
      case be::kCopyBothResponse:
        client_out_ += got.raw;
        continue;
      default:
        break;
    }
    if (head.ends.find(type) != std::string_view::npos) {
      if (pass) client_out_ += got.raw;
      if (type == be::kParseComplete && !head.prepares.empty()) {
        server_->prepared().emplace(head.prepares);  // the statement now exists there
      }
      expect_.pop_front();
    } else if (pass) {
      // The messages after one that is only passed on (rows after a RowDescription, more rows,
      // a completion inside a Query's results) are usually only passed on too: those already
      // buffered go with it in one append, without a frame or a turn of this loop each.
      std::string_view run = got.raw;
      if (head.ends.size() <= 4) {
        char stop[8] = "SEZG";  // the types the switch above handles, then the entry's ends
        std::memcpy(stop + 4, head.ends.data(), head.ends.size());
        std::string_view more = server_->TakeRun(std::string_view(stop, 4 + head.ends.size()));
        if (more.data() == got.raw.data() + got.raw.size()) {
          run = std::string_view(got.raw.data(), got.raw.size() + more.size());
        } else if (!more.empty()) {  // not seen: the run follows the frame in one buffer
          client_out_ += got.raw;
          run = more;
        }
      }
      client_out_ += run;
    }
  }
  // The reply's last bytes stay in client_out_ for the caller to send after it parks or
  // releases the server connection, so the connection is free before the client can act on
  // the reply (another client queued for it, or SHOW domicile.pools, sees it free).
  co_return Status::Ok();
}

awaitable<Status> ClientSession::RelayCopyIn() {
  FrontendMessage message;
  while (true) {
    Status st = co_await ReadMessage(message);
    if (!st.ok()) {
      server_->MarkBroken();
      co_return st;
    }
    bool done = false;
    if (std::holds_alternative<CopyData>(message) || std::holds_alternative<CopyDone>(message) ||
        std::holds_alternative<CopyFail>(message)) {
      Encode(server_out_, message);
      done = !std::holds_alternative<CopyData>(message);
    } else if (std::holds_alternative<Flush>(message) || std::holds_alternative<Sync>(message)) {
      continue;  // ignored during COPY IN, as PostgreSQL does
    } else {
      Encode(server_out_, CopyFail{"unexpected message during COPY"});
      done = true;
    }
    if (done || server_out_.size() > 64 * 1024 || decoder_.buffered() == 0) {
      st = co_await FlushServer();
      if (!st.ok()) {
        OnServerLost(st);
        co_return st;
      }
    }
    if (done) co_return Status::Ok();
  }
}

void ClientSession::RefuseInTransaction(std::string_view sqlstate, const std::string& message) {
  SendError(sqlstate, message);
  ++ctx_.counters.refused;
  if (tx_status_ != 'I') {
    // The transaction is aborted: roll it back on the shard and refuse until it ends.
    router_aborted_tx_ = true;
    tx_status_ = 'E';
    if (server_) {
      Encode(server_out_, Query{"ROLLBACK"});
      expect_.push_back(Expect{Expect::Action::kSwallow, "Z", true, {}, {}});
    }
    DetachEmbedded();  // the executor rolls the embedded session back
  }
}

}  // namespace domicile::pgwire
