// ClientSession, part three: simple Query and extended-protocol batches, end to end.
#include "domain/ids.h"
#include "frontends/pgwire/backend_encoder.h"
#include "frontends/pgwire/client_session.h"
#include "frontends/pgwire/frontend_decoder.h"
#include "frontends/pgwire/frontend_encoder.h"

namespace domicile::pgwire {
namespace {

constexpr std::string_view kNoTenantState = "0A000";
// object_in_use: a move held the tenant longer than hold_timeout_ms.
constexpr std::string_view kHeldTooLong = "55006";

std::string_view RouteSqlStateFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kNotFound: return "42704";
    case StatusCode::kConflict: return "0A000";
    case StatusCode::kUnavailable: return "57P03";
    case StatusCode::kResourceExhausted: return "53300";
    case StatusCode::kPolicyRefused: return "42501";
    case StatusCode::kInvalidArgument: return kNoTenantState;
    default: return "XX000";
  }
}

std::string ServerStatementNameFor(std::string_view query, const std::vector<uint32_t>& types) {
  size_t h = std::hash<std::string_view>{}(query);
  for (uint32_t t : types) h = h * 1000003u ^ t;
  char buf[48];
  snprintf(buf, sizeof(buf), "dm_%016zx_%zu", h, query.size());
  return buf;
}

// A Bind parameter as tenant id text. Text format is taken as is. Binary values are read by
// the type the statement declared: integers as decimal, text-like types as their bytes;
// an undeclared (0) type falls back to the size (4 or 8 bytes: an integer).
std::optional<std::string> BindParamText(const Bind& bind, int number,
                                         const std::vector<uint32_t>& param_types) {
  size_t index = static_cast<size_t>(number - 1);
  if (number < 1 || index >= bind.params.size() || !bind.params[index]) return std::nullopt;
  std::string_view raw = *bind.params[index];
  int16_t format = 0;
  if (bind.param_formats.size() == 1) {
    format = bind.param_formats[0];
  } else if (index < bind.param_formats.size()) {
    format = bind.param_formats[index];
  }
  if (format == 0) return std::string(raw);
  constexpr uint32_t kInt2 = 21, kInt4 = 23, kInt8 = 20;
  uint32_t type = index < param_types.size() ? param_types[index] : 0;
  bool integer = type == kInt2 || type == kInt4 || type == kInt8 ||
                 (type == 0 && (raw.size() == 4 || raw.size() == 8));
  if (integer && (raw.size() == 2 || raw.size() == 4 || raw.size() == 8)) {  // big-endian
    uint64_t bits = 0;
    for (unsigned char c : raw) bits = (bits << 8) | c;
    int64_t v = raw.size() == 2   ? static_cast<int16_t>(bits)
                : raw.size() == 4 ? static_cast<int32_t>(bits)
                                  : static_cast<int64_t>(bits);
    return std::to_string(v);
  }
  return std::string(raw);
}

const std::string kParseCompleteBytes("1\0\0\0\4", 5);
const std::string kBindCompleteBytes("2\0\0\0\4", 5);
const std::string kCloseCompleteBytes("3\0\0\0\4", 5);
const std::string kNoDataBytes("n\0\0\0\4", 5);

// Whether `stmt` can be answered without a shard whatever the tenant: `attached` and
// `tx_status` are the session's, `local` whether LocalStatement can answer it.
bool NeedsNoShard(const StatementDetail& stmt, bool attached, char tx_status, bool local) {
  switch (stmt.kind) {
    case StatementKind::kCommit:
    case StatementKind::kRollback:
      // No transaction open anywhere (drivers send one after an error, pools on check-in):
      // answered as PostgreSQL would, with WARNING 25P01.
      return !attached && tx_status == 'I';
    case StatementKind::kDeallocate:
      return local;
    default:
      return false;
  }
}

}  // namespace

// ---- Bookkeeping ----

void ClientSession::SetPinned(uint32_t state) {
  if ((pinned_state_ == 0) != (state == 0)) {
    ctx_.counters.pinned_clients += state != 0 ? 1 : -1;
  }
  pinned_state_ = state;
}

void ClientSession::AfterSuccess(const StatementDetail& stmt) {
  if (stmt.kind == StatementKind::kSet || stmt.kind == StatementKind::kReset ||
      stmt.kind == StatementKind::kDiscard) {
    settings_synced_ = false;  // RESET ALL, say, leaves the two apart: compare again
  }
  if (stmt.kind == StatementKind::kSet && !stmt.variable.local) {
    settings_[stmt.variable.name] = stmt.text;
    if (server_) server_->applied_settings()[stmt.variable.name] = stmt.text;
  } else if (stmt.kind == StatementKind::kReset ||
             (stmt.kind == StatementKind::kDiscard && (stmt.session.releases_all ==
                                                       kSessionAll))) {
    const std::string& name = stmt.variable.name;
    if (name == "all" || stmt.kind == StatementKind::kDiscard) {
      settings_ = startup_settings_;
      if (server_) server_->applied_settings().clear();
    } else {
      auto it = startup_settings_.find(name);
      if (it != startup_settings_.end()) {
        settings_[name] = it->second;
      } else {
        settings_.erase(name);
      }
      if (server_) server_->applied_settings().erase(name);
    }
  }
  if ((stmt.session.releases_all & kSessionPrepared) != 0 && server_) {
    // DEALLOCATE ALL / DISCARD ALL on the server also dropped the router's shared statements.
    server_->prepared().clear();
    unnamed_parse_on_ = 0;
  }
  uint32_t state = (pinned_state_ | stmt.session.creates) & ~stmt.session.releases_all;
  SetPinned(state);
}

// ---- Local answers ----

std::string ClientSession::LocalStatement(const StatementDetail& stmt, bool apply) {
  switch (stmt.kind) {
    case StatementKind::kBegin:
      if (apply) {
        deferred_begin_ = stmt.text;
        tx_status_ = 'T';
      }
      return "BEGIN";
    case StatementKind::kCommit:
    case StatementKind::kRollback:
      if (apply) {
        if (tx_status_ == 'I') {
          Encode(client_out_, NoticeResponse{MakeErrorFields("WARNING", "25P01",
                                                             "there is no transaction in progress")});
        }
        deferred_begin_.reset();
        tx_status_ = 'I';
        router_aborted_tx_ = false;
      }
      return stmt.kind == StatementKind::kCommit ? "COMMIT" : "ROLLBACK";
    case StatementKind::kSet:
      if (stmt.variable.local) return {};
      if (apply) AfterSuccess(stmt);
      return "SET";
    case StatementKind::kReset:
      if (apply) AfterSuccess(stmt);
      return "RESET";
    case StatementKind::kDeallocate:
      // The client's statements live on servers under router names that every client of a
      // connection shares: forget the client's names and leave the servers' statements be.
      // SQL-level PREPAREs (pinned) and unknown names go to the server, which owns them.
      if ((pinned_state_ & kSessionPrepared) != 0 || tx_status_ == 'E') return {};
      if (!stmt.name.empty() && statements_.count(stmt.name) == 0) return {};
      if (apply) {
        if (!stmt.name.empty()) {
          statements_.erase(stmt.name);
        } else {
          std::erase_if(statements_, [](const auto& entry) { return !entry.first.empty(); });
        }
      }
      return stmt.name.empty() ? "DEALLOCATE ALL" : "DEALLOCATE";
    default:
      return {};
  }
}

void ClientSession::AnswerRouterVariable(const StatementDetail& stmt) {
  const std::string& name = stmt.variable.name;
  const bool report = name == "domicile.stats" || name == "domicile.pools";
  if (name != "domicile.tenant" && name != "domicile.shard" && !report) {
    SendError("42704", "unrecognized configuration parameter \"" + name + "\"");
    return;
  }
  if (stmt.kind == StatementKind::kSetRouterVar) {
    if (name != "domicile.tenant") {
      SendError("55P02", "parameter \"" + name + "\" is read-only" +
                             (report ? std::string() : ": set domicile.tenant"));
      return;
    }
    auto id = NormalizeId("tenant", stmt.variable.value);
    if (!id.ok()) {
      SendError("22023", id.status().message());
      return;
    }
    auto route = ctx_.resolver.Lookup(*id);
    if (!route.ok()) {
      SendError("42704", route.status().message());
      return;
    }
    set_tenant_ = *id;
    Encode(client_out_, CommandComplete{"SET"});
    return;
  }
  if (stmt.kind == StatementKind::kResetRouterVar) {
    if (name == "domicile.tenant") set_tenant_.reset();
    Encode(client_out_, CommandComplete{"RESET"});
    return;
  }
  if (name == "domicile.stats") {
    AnswerStats();
    return;
  }
  if (name == "domicile.pools") {
    AnswerPools();
    return;
  }
  std::string value;
  std::optional<std::string> tenant = set_tenant_ ? set_tenant_ : startup_tenant_;
  if (name == "domicile.tenant") {
    value = tenant.value_or("");
  } else if (!attached_shard_.empty()) {
    value = attached_shard_;
  } else if (tenant) {
    auto route = ctx_.resolver.Lookup(*tenant);
    value = route.ok() ? route->shard->id : "";
  }
  FieldDescription field;
  field.name = name;
  field.type_oid = 25;  // text
  field.type_len = -1;
  Encode(client_out_, RowDescription{{field}});
  Encode(client_out_, DataRow{{std::string_view(value)}});
  Encode(client_out_, CommandComplete{"SHOW"});
}

namespace {

FieldDescription TextField(std::string_view name) {
  FieldDescription field;
  field.name = name;
  field.type_oid = 25;  // text
  field.type_len = -1;
  return field;
}

FieldDescription Int8Field(std::string_view name) {
  FieldDescription field;
  field.name = name;
  field.type_oid = 20;  // int8
  field.type_len = 8;
  return field;
}

}  // namespace

void ClientSession::AnswerStats() {
  const RouterCounters& c = ctx_.counters;
  const std::pair<std::string_view, int64_t> rows[] = {
      {"clients", c.clients.load()},
      {"pinned_clients", c.pinned_clients.load()},
      {"transactions", c.transactions.load()},
      {"refused", c.refused.load()},
      {"held_transactions", c.held_transactions.load()},
      {"held_ms", c.held_ms.load()},
      {"hold_timeouts", c.hold_timeouts.load()},
      {"server_connections", static_cast<int64_t>(ctx_.pools.total_connections())},
  };
  Encode(client_out_, RowDescription{{TextField("name"), Int8Field("value")}});
  for (const auto& [row_name, value] : rows) {
    std::string text = std::to_string(value);
    Encode(client_out_, DataRow{{row_name, std::string_view(text)}});
  }
  Encode(client_out_, CommandComplete{"SHOW"});
}

void ClientSession::AnswerPools() {
  Encode(client_out_, RowDescription{{TextField("shard"), Int8Field("idle"),
                                      Int8Field("active"), Int8Field("waiting"),
                                      TextField("down")}});
  for (const PoolStats& pool : ctx_.pools.Stats()) {
    std::string idle = std::to_string(pool.idle);
    std::string active = std::to_string(pool.active);
    std::string waiting = std::to_string(pool.waiting);
    Encode(client_out_, DataRow{{std::string_view(pool.shard), std::string_view(idle),
                                 std::string_view(active), std::string_view(waiting),
                                 std::string_view(pool.down ? "yes" : "no")}});
  }
  Encode(client_out_, CommandComplete{"SHOW"});
}

bool ClientSession::TryAnswerLocally(const StatementInfo& info) {
  bool all_empty = true;
  bool any_router = false;
  for (const auto& s : info.statements) {
    all_empty &= s.kind == StatementKind::kEmpty;
    any_router |= s.kind == StatementKind::kSetRouterVar ||
                  s.kind == StatementKind::kResetRouterVar ||
                  s.kind == StatementKind::kShowRouterVar;
  }
  if (all_empty) {
    Encode(client_out_, EmptyQueryResponse{});
    SendReady();
    return true;
  }
  if (any_router) {
    for (const auto& s : info.statements) {
      bool router = s.kind == StatementKind::kSetRouterVar ||
                    s.kind == StatementKind::kResetRouterVar ||
                    s.kind == StatementKind::kShowRouterVar;
      if (!router && s.kind != StatementKind::kEmpty) {
        SendError("0A000", "send SET/SHOW/RESET domicile.* as statements of their own, not "
                           "mixed with other statements in one query string");
        SendReady();
        return true;
      }
    }
    for (const auto& s : info.statements) {
      size_t before = client_out_.size();
      AnswerRouterVariable(s);
      if (client_out_.size() > before && client_out_[before] == 'E') break;  // stop at an error
    }
    SendReady();
    return true;
  }
  // Statements that need no shard must not fail because the tenant's shard is down or busy,
  // nor reach a server where they would do harm (see NeedsNoShard).
  bool shardless = true;
  for (const auto& s : info.statements) {
    shardless &= NeedsNoShard(s, Attached(), tx_status_, !LocalStatement(s, false).empty());
  }
  if (shardless) {
    for (const auto& s : info.statements) {
      Encode(client_out_, CommandComplete{LocalStatement(s, true)});
    }
    SendReady();
    return true;
  }
  // A BEGIN that opens a transaction waits for the transaction's first routed statement
  // even when the tenant is known: one server round trip less per transaction, and no pooled
  // connection held while the client has sent nothing to run.
  if (DefersBegin(info.statements, info.hint)) {
    Encode(client_out_, CommandComplete{LocalStatement(info.statements[0], true)});
    SendReady();
    return true;
  }
  // Without any tenant in sight, transaction control and SET are answered here: BEGIN is
  // sent on with the transaction's first routed statement.
  if (Attached() || set_tenant_ || startup_tenant_ || info.hint.is_literal()) return false;
  for (const auto& s : info.statements) {
    if (!s.tenant.is_none() || s.hint.is_literal()) return false;
    if (LocalStatement(s, false).empty()) return false;
  }
  for (const auto& s : info.statements) {
    std::string tag = LocalStatement(s, true);
    Encode(client_out_, CommandComplete{tag});
  }
  SendReady();
  return true;
}

bool ClientSession::DefersBegin(const std::vector<StatementDetail>& statements,
                                const TenantRef& hint) const {
  // Not with a server connection held (session pooling, pinned state, an open transaction):
  // there the BEGIN goes where everything else does. Not with a hint either: a hint on BEGIN
  // names the tenant of the whole transaction, which the statements after it may rely on.
  return !Attached() && tx_status_ == 'I' && !hint.is_literal() && statements.size() == 1 &&
         statements[0].kind == StatementKind::kBegin && !statements[0].hint.is_literal() &&
         statements[0].tenant.is_none() && !statements[0].text.empty();  // the text goes later
}

// ---- Simple query ----

awaitable<void> ClientSession::HandleAbortedQuery(
    const std::shared_ptr<const StatementInfo>& info) {
  if (info && info->statements.size() == 1 &&
      (info->statements[0].kind == StatementKind::kRollback ||
       info->statements[0].kind == StatementKind::kCommit)) {
    Encode(client_out_, CommandComplete{"ROLLBACK"});
    router_aborted_tx_ = false;
    tx_status_ = 'I';
  } else {
    SendError("25P02",
              "current transaction is aborted, commands ignored until end of transaction block");
  }
  SendReady();
  co_return;
}

awaitable<void> ClientSession::HandleQuery(std::string_view sql) {
  expect_.clear();
  injected_names_.clear();
  server_out_.clear();
  auto analyzed = ctx_.analyzer.Analyze(sql);
  std::shared_ptr<const StatementInfo> info;
  if (analyzed.ok()) info = *analyzed;
  if (router_aborted_tx_) {
    co_await HandleAbortedQuery(info);
    co_return;
  }
  if (!info && !Attached() && !set_tenant_ && !startup_tenant_) {
    // Nowhere to send it, so the router reports the parse error itself.
    auto syntax = ParseSqlSyntaxError(analyzed.status());
    SendError(syntax ? "42601" : "22023",
              syntax ? syntax->message : analyzed.status().message());
    SendReady();
    co_return;
  }
  if (info && TryAnswerLocally(*info)) co_return;
  std::vector<TenantCandidate>& found = found_tenants_;  // kept for its capacity
  found.clear();
  Status st = info ? CollectTenantFromInfo(*info, found) : Status::Ok();
  std::string tenant;
  std::string held;
  bool held_too_long = false;
  Result<const Shard*> shard = ChooseShardNow(st, found, &tenant, &held);
  if (!RoutedNow(shard, held)) {
    shard = co_await FinishRouting(st, found, std::move(shard), std::move(tenant), std::move(held),
                                   &held_too_long);
  }
  if (!shard.ok()) {
    RefuseInTransaction(held_too_long ? kHeldTooLong : RouteSqlStateFor(shard.status()),
                        shard.status().message());
    if (server_ && !server_out_.empty()) {
      if ((co_await FlushServer()).ok()) co_await Relay();
    }
    SendReady();
    ReleaseIfIdle();
    co_return;
  }
  if (RoutesEmbedded(*shard)) {
    co_await HandleEmbeddedQuery(*shard, sql, info);
    co_return;
  }
  bool unsynced_begin = AppendSessionReplay();
  // The client's own Query message goes as it came (Run took `sql` out of it just now).
  if (std::string_view raw = decoder_.last_raw();
      raw.size() == sql.size() + 6 && raw.data() + 5 == sql.data()) {
    server_out_ += raw;
  } else {
    Encode(server_out_, Query{sql});
  }
  Expect query{Expect::Action::kPass, "Z", true, {}, {}};
  query.query_in_batch = unsynced_begin;
  expect_.push_back(std::move(query));
  if (unsynced_begin) {
    Encode(server_out_, Sync{});  // the BEGIN's batch ends here; its ReadyForQuery is extra
    expect_.push_back(Expect{Expect::Action::kSwallow, "Z", true, {}, {}});
  }
  if (std::optional<Status> sent = FlushServerNow()) {
    st = std::move(*sent);
  } else {
    st = co_await FlushServer();
  }
  if (!st.ok()) {
    OnServerLost(st);
    co_return;
  }
  if (!(co_await Relay()).ok()) co_return;
  if (!saw_error_ && info) {
    for (const auto& s : info->statements) AfterSuccess(s);
  }
  ReleaseIfIdle();
  // Now, not at the session loop's turn: with more of the client's messages buffered, the
  // next one may wait for a connection or a move's hold before anything is sent.
  if (!FlushClientNow()) co_await FlushClient();
}

// ---- Extended protocol ----

bool ClientSession::TryAnswerBatchLocally(std::span<const FrontendMessage> messages) {
  // First pass: can every message be answered here?
  const PreparedStatement* bound = nullptr;
  for (const auto& m : messages) {
    if (auto* bind = std::get_if<Bind>(&m)) {
      bound = FindStatement(bind->statement);
      if (bound == nullptr || !bound->info || bound->info->statements.size() != 1 ||
          LocalStatement(bound->info->statements[0], false).empty()) {
        return false;
      }
    } else if (std::holds_alternative<Execute>(m) || std::holds_alternative<Describe>(m)) {
      if (bound == nullptr) return false;
    } else if (auto* close = std::get_if<Close>(&m)) {
      if (close->target == DescribeTarget::kPortal && server_) return false;
    }
  }
  for (const auto& m : messages) {
    if (std::holds_alternative<Parse>(m)) {
      client_out_ += kParseCompleteBytes;
    } else if (auto* bind = std::get_if<Bind>(&m)) {
      bound = FindStatement(bind->statement);
      client_out_ += kBindCompleteBytes;
    } else if (std::holds_alternative<Describe>(m)) {
      if (std::get<Describe>(m).target == DescribeTarget::kStatement) {
        Encode(client_out_, ParameterDescription{});
      }
      client_out_ += kNoDataBytes;
    } else if (std::holds_alternative<Execute>(m)) {
      Encode(client_out_, CommandComplete{LocalStatement(bound->info->statements[0], true)});
    } else if (std::holds_alternative<Close>(m)) {
      client_out_ += kCloseCompleteBytes;
    } else if (std::holds_alternative<Sync>(m)) {
      SendReady();
    }
  }
  return true;
}

void ClientSession::AppendRewritten(const FrontendMessage& message, std::string_view raw) {
  using Action = Expect::Action;
  auto ensure_prepared = [&](const PreparedStatement& ps) {
    if (ps.server_name.empty()) {
      if (unnamed_parse_on_ == server_->id()) return;
      Encode(server_out_, Parse{"", ps.query, ps.param_types});
      expect_.push_back(Expect{Action::kSwallow, "1", false, {}, {}});
      unnamed_parse_on_ = server_->id();
      return;
    }
    if (server_->prepared().count(ps.server_name) != 0) return;
    Encode(server_out_, Parse{ps.server_name, ps.query, ps.param_types});
    injected_names_.push_back(ps.server_name);
    expect_.push_back(Expect{Action::kSwallow, "1", false, {}, injected_names_.back()});
    server_->prepared().insert(ps.server_name);  // in flight: later messages must not re-send
  };
  if (auto* parse = std::get_if<Parse>(&message)) {
    const PreparedStatement* ps = FindStatement(parse->name);
    if (parse->name.empty() || ps == nullptr) {
      server_out_ += raw;
      expect_.push_back(Expect{Action::kPass, "1", false, {}, {}});
      if (parse->name.empty()) unnamed_parse_on_ = server_->id();
    } else if (server_->prepared().count(ps->server_name) != 0) {
      expect_.push_back(Expect{Action::kSynthesize, "", false, kParseCompleteBytes, {}});
    } else {
      Encode(server_out_, Parse{ps->server_name, ps->query, ps->param_types});
      expect_.push_back(Expect{Action::kPass, "1", false, {}, ps->server_name});
      server_->prepared().insert(ps->server_name);
    }
  } else if (auto* bind = std::get_if<Bind>(&message)) {
    const PreparedStatement* ps = FindStatement(bind->statement);
    if (ps != nullptr) ensure_prepared(*ps);
    if (ps == nullptr || ps->server_name == bind->statement) {
      server_out_ += raw;
    } else {
      Bind rewritten = *bind;
      rewritten.statement = ps->server_name;
      Encode(server_out_, rewritten);
    }
    expect_.push_back(Expect{Action::kPass, "2", false, {}, {}});
  } else if (auto* describe = std::get_if<Describe>(&message)) {
    const PreparedStatement* ps =
        describe->target == DescribeTarget::kStatement ? FindStatement(describe->name) : nullptr;
    if (ps != nullptr) ensure_prepared(*ps);
    if (ps == nullptr || ps->server_name == describe->name) {
      server_out_ += raw;
    } else {
      Describe rewritten = *describe;
      rewritten.name = ps->server_name;
      Encode(server_out_, rewritten);
    }
    expect_.push_back(Expect{Action::kPass, "Tn", false, {}, {}});
  } else if (std::holds_alternative<Execute>(message)) {
    server_out_ += raw;
    expect_.push_back(Expect{Action::kPass, "CIs", false, {}, {}});
  } else if (auto* close = std::get_if<Close>(&message)) {
    if (close->target == DescribeTarget::kStatement) {
      // Server-side statements are shared by name across clients: keep it there.
      expect_.push_back(Expect{Action::kSynthesize, "", false, kCloseCompleteBytes, {}});
    } else {
      server_out_ += raw;
      expect_.push_back(Expect{Action::kPass, "3", false, {}, {}});
    }
  } else if (std::holds_alternative<Sync>(message)) {
    server_out_ += raw;
    expect_.push_back(Expect{Action::kPass, "Z", true, {}, {}});
  } else if (std::holds_alternative<Flush>(message)) {
    server_out_ += raw;
  }
}

ClientSession::PreparedStatement* ClientSession::FindStatement(std::string_view name) {
  if (name.empty()) return unnamed_statement_;
  auto it = statements_.find(name);
  return it == statements_.end() ? nullptr : &it->second;
}

ClientSession::PreparedStatement& ClientSession::StatementSlot(std::string_view name) {
  if (name.empty() && unnamed_statement_ != nullptr) return *unnamed_statement_;
  PreparedStatement& ps = statements_[std::string(name)];
  if (name.empty()) unnamed_statement_ = &ps;
  return ps;
}

std::shared_ptr<const StatementInfo> ClientSession::AnalyzeOrNull(std::string_view sql) {
  auto analyzed = ctx_.analyzer.Analyze(sql);
  return analyzed.ok() ? *analyzed : nullptr;
}

std::shared_ptr<const StatementInfo> ClientSession::AnalyzeParse(const Parse& parse) {
  return parse.name.empty() ? AnalyzeUnnamed(parse.query) : AnalyzeOrNull(parse.query);
}

std::shared_ptr<const StatementInfo> ClientSession::AnalyzeUnnamed(std::string_view sql) {
  const size_t hash = RecentAnalyses::Hash(sql);
  if (auto* hit = recent_unnamed_.Find(sql, hash)) return *hit;
  std::shared_ptr<const StatementInfo> info = AnalyzeOrNull(sql);
  // A text naming its tenant by a literal value is seldom sent again as it is.
  bool literal_tenant = false;
  if (info) {
    literal_tenant = info->hint.is_literal();
    for (const auto& stmt : info->statements) literal_tenant |= stmt.tenant.is_literal();
  }
  if (info && !literal_tenant) recent_unnamed_.Insert(sql, hash, info);
  return info;
}

awaitable<void> ClientSession::HandleBatch() {
  expect_.clear();
  injected_names_.clear();
  server_out_.clear();
  // Session members reused batch after batch (cleared, capacity kept): no allocation for
  // the lists themselves on the hot path.
  std::vector<std::string_view>& raws = batch_raws_;  // each message's own bytes, unchanged
  std::vector<std::shared_ptr<const StatementInfo>>& executed = batch_executed_;
  raws.clear();
  executed.clear();
  auto finish = [&] {
    batch_bytes_.clear();
    batch_spans_.clear();
  };
  // The decoder only framed these (FrontendDecoder::TakeBatchMessage): a malformed body ends
  // the connection here, with what PostgreSQL sends for one, before any of it is forwarded.
  // Decoded over the previous batch's messages, kept for the storage of their lists (a Bind
  // decodes without allocating when the last batch had one at its place).
  size_t count = 0;
  for (auto [offset, length] : batch_spans_) {
    std::string_view raw(batch_bytes_.data() + offset, length);
    if (batch_messages_.size() == count) batch_messages_.emplace_back();
    Status decoded = DecodeFrontendMessageInto(raw[0], raw.substr(5), PasswordKind::kNone,
                                               batch_messages_[count]);
    if (!decoded.ok()) {
      finish();
      EncodeError(client_out_, "FATAL", kSqlStateProtocolViolation, decoded.message());
      co_await FlushClient();
      closed_ = true;
      co_return;
    }
    ++count;
    raws.push_back(raw);
  }
  const std::span<const FrontendMessage> messages(batch_messages_.data(), count);
  bool has_sync = !messages.empty() && std::holds_alternative<Sync>(messages.back());

  // Register statements and collect the tenants the batch names.
  std::vector<TenantCandidate>& found = found_tenants_;  // kept for its capacity
  found.clear();
  Status st;
  const PreparedStatement* bound = nullptr;
  for (const auto& m : messages) {
    if (auto* parse = std::get_if<Parse>(&m)) {
      PreparedStatement& ps = StatementSlot(parse->name);
      // Drivers re-send the same unnamed Parse every transaction: keep its analysis.
      bool same = ps.query == parse->query && ps.param_types == parse->param_types &&
                  (ps.info || !ps.query.empty());
      if (!same) {
        ps.query.assign(parse->query);  // in place: the unnamed statement changes all the time
        ps.param_types.assign(parse->param_types.begin(), parse->param_types.end());
        ps.info = AnalyzeParse(*parse);
        ps.server_name = parse->name.empty() ? std::string()
                                             : ServerStatementNameFor(ps.query, ps.param_types);
      }
      if (ps.info && st.ok()) st = CollectTenantFromInfo(*ps.info, found);
    } else if (auto* bind = std::get_if<Bind>(&m)) {
      bound = FindStatement(bind->statement);
      if (bound != nullptr && bound->info) {
        if (bound->info->hint.is_literal()) found.push_back({bound->info->hint.literal, "hint"});
        for (const auto& stmt : bound->info->statements) {
          for (const auto& ref : stmt.tenant_refs) {
            if (!ref.is_param()) continue;
            if (auto value = BindParamText(*bind, ref.param, bound->param_types)) {
              found.push_back({*value, "statement"});
            }
          }
          if (stmt.tenant.is_literal()) found.push_back({stmt.tenant.literal, "statement"});
        }
      }
    } else if (std::holds_alternative<Execute>(m)) {
      if (bound != nullptr && bound->info) executed.push_back(bound->info);
    }
  }

  if (router_aborted_tx_) {
    bool ends_tx = false;
    for (const auto& info : executed) {
      for (const auto& s : info->statements) {
        ends_tx |= s.kind == StatementKind::kRollback || s.kind == StatementKind::kCommit;
      }
    }
    if (!ends_tx || !TryAnswerBatchLocally(messages)) {
      SendError("25P02",
                "current transaction is aborted, commands ignored until end of transaction block");
      if (has_sync) SendReady();
    }
    finish();
    co_return;
  }
  bool shardless = !executed.empty();
  for (const auto& info : executed) {
    for (const auto& s : info->statements) {
      shardless &= NeedsNoShard(s, Attached(), tx_status_, !LocalStatement(s, false).empty());
    }
  }
  bool no_tenant = found.empty() && !Attached() && !set_tenant_ && !startup_tenant_;
  bool only_begin = found.empty() && executed.size() == 1 &&
                    DefersBegin(executed[0]->statements, executed[0]->hint);
  if (st.ok() && (shardless || no_tenant || only_begin) && TryAnswerBatchLocally(messages)) {
    finish();
    co_return;
  }
  std::string tenant;
  std::string held;
  bool held_too_long = false;
  Result<const Shard*> shard = ChooseShardNow(st, found, &tenant, &held);
  if (!RoutedNow(shard, held)) {
    shard = co_await FinishRouting(st, found, std::move(shard), std::move(tenant), std::move(held),
                                   &held_too_long);
  }
  if (shard.ok() && RoutesEmbedded(*shard)) {
    co_await HandleEmbeddedBatch(*shard, messages, executed);
    finish();
    co_return;
  }
  if (!shard.ok()) {
    RefuseInTransaction(held_too_long ? kHeldTooLong : RouteSqlStateFor(shard.status()),
                        shard.status().message());
    if (server_ && !server_out_.empty()) {
      if ((co_await FlushServer()).ok()) co_await Relay();
    }
    if (has_sync) SendReady();
    ReleaseIfIdle();
    finish();
    co_return;
  }
  AppendSessionReplay();  // a checked BEGIN's batch ends with the client's own Sync
  for (size_t i = 0; i < messages.size(); ++i) AppendRewritten(messages[i], raws[i]);
  finish();
  unsynced_ = !has_sync;
  if (std::optional<Status> sent = FlushServerNow()) {
    st = std::move(*sent);
  } else {
    st = co_await FlushServer();
  }
  if (!st.ok()) {
    OnServerLost(st);
    co_return;
  }
  if (!(co_await Relay()).ok()) co_return;
  if (!saw_error_) {
    for (const auto& info : executed) {
      for (const auto& s : info->statements) AfterSuccess(s);
    }
  }
  ReleaseIfIdle();
  if (!FlushClientNow()) co_await FlushClient();  // as HandleQuery's
}

}  // namespace domicile::pgwire
