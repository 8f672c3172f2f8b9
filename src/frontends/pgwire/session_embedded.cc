// ClientSession, part four: transactions on embedded (SQLite) shards, through the
// EmbeddedExecutor's worker threads instead of a pooled server connection.
#include <map>

#include "frontends/pgwire/client_session.h"
#include "frontends/pgwire/embedded_encoding.h"

namespace domicile::pgwire {

bool ClientSession::Attached() const {
  return server_ != nullptr || (embedded_ != nullptr && embedded_->attached());
}

bool ClientSession::RoutesEmbedded(const Shard* shard) const {
  if (shard == nullptr) return embedded_ != nullptr && embedded_->attached();
  return shard->engine == Engine::kSqlite && ctx_.embedded != nullptr;
}

awaitable<Status> ClientSession::AttachEmbedded(const Shard* shard) {
  if (!embedded_) embedded_ = std::make_unique<EmbeddedClient>(*ctx_.embedded);
  if (embedded_->attached()) co_return Status::Ok();
  DropParked();  // PostgreSQL connections kept for later transactions: not needed now
  std::string id = shard->id;
  Status st = co_await embedded_->Attach(*shard);  // copied before the first suspension
  if (st.ok()) attached_shard_ = id;
  co_return st;
}

void ClientSession::DetachEmbedded() {
  if (!embedded_ || !embedded_->attached()) return;
  embedded_->Detach();
  attached_shard_.clear();
}

void ClientSession::ReleaseEmbeddedIfIdle() {
  if (!embedded_ || !embedded_->attached()) return;
  if (embedded_->status() == 'I' && embedded_->synced() && pinned_state_ == 0) {
    ++ctx_.counters.transactions;
    DetachEmbedded();
  }
}

awaitable<void> ClientSession::HandleEmbeddedQuery(
    const Shard* shard, std::string_view sql, const std::shared_ptr<const StatementInfo>& info) {
  Status st = co_await AttachEmbedded(shard);
  if (!st.ok()) {
    SendError(SqlStateForStorageError(st), st.message());
    SendReady();
    co_return;
  }
  bool begin = deferred_begin_.has_value();
  deferred_begin_.reset();
  EmbeddedOutcome outcome = co_await embedded_->Query(sql, info, begin);
  client_out_ += outcome.bytes;
  tx_status_ = embedded_->status();
  if (!outcome.failed && info) {
    for (const auto& s : info->statements) AfterSuccess(s);
  }
  ReleaseEmbeddedIfIdle();
}

awaitable<void> ClientSession::HandleEmbeddedBatch(
    const Shard* shard, std::span<const FrontendMessage> messages,
    const std::vector<std::shared_ptr<const StatementInfo>>& executed) {
  using Kind = EmbeddedStep::Kind;
  // Statements resolve in message order: a Parse earlier in this batch wins over what the
  // session registered (HandleBatch registers every Parse of the batch up front).
  std::map<std::string, std::shared_ptr<const EmbeddedStatement>, std::less<>> parsed;
  auto statement_named = [&](std::string_view name) -> std::shared_ptr<const EmbeddedStatement> {
    if (auto it = parsed.find(name); it != parsed.end()) return it->second;
    const PreparedStatement* ps = FindStatement(name);
    if (ps == nullptr) return nullptr;
    auto made = std::make_shared<const EmbeddedStatement>(
        EmbeddedStatement{ps->query, ps->param_types, ps->info});
    parsed.emplace(std::string(name), made);
    return made;
  };
  std::vector<EmbeddedStep> steps;
  steps.reserve(messages.size());
  for (const auto& m : messages) {
    EmbeddedStep step;
    if (auto* parse = std::get_if<Parse>(&m)) {
      EmbeddedStatement statement{std::string(parse->query), parse->param_types, nullptr};
      statement.info = AnalyzeParse(*parse);  // as HandleBatch did: the unnamed one is memoized
      parsed[std::string(parse->name)] =
          std::make_shared<const EmbeddedStatement>(std::move(statement));
      step.kind = Kind::kParse;
    } else if (auto* bind = std::get_if<Bind>(&m)) {
      step.kind = Kind::kBind;
      step.name = std::string(bind->portal);
      step.statement = statement_named(bind->statement);
      if (!step.statement) step.name = std::string(bind->statement);  // for the error text
      step.param_formats = bind->param_formats;
      for (const auto& p : bind->params) {
        step.params.push_back(p ? std::optional<std::string>(std::string(*p)) : std::nullopt);
      }
      step.result_formats = bind->result_formats;
    } else if (auto* describe = std::get_if<Describe>(&m)) {
      step.name = std::string(describe->name);
      if (describe->target == DescribeTarget::kStatement) {
        step.kind = Kind::kDescribeStatement;
        step.statement = statement_named(describe->name);
      } else {
        step.kind = Kind::kDescribePortal;
      }
    } else if (auto* execute = std::get_if<Execute>(&m)) {
      step.kind = Kind::kExecute;
      step.name = std::string(execute->portal);
      step.max_rows = execute->max_rows;
    } else if (auto* close = std::get_if<Close>(&m)) {
      step.kind =
          close->target == DescribeTarget::kStatement ? Kind::kCloseStatement : Kind::kClosePortal;
      step.name = std::string(close->name);
    } else if (std::holds_alternative<Sync>(m)) {
      step.kind = Kind::kSync;
    } else {
      step.kind = Kind::kFlush;
    }
    steps.push_back(std::move(step));
  }
  bool has_sync = !steps.empty() && steps.back().kind == Kind::kSync;
  Status st = co_await AttachEmbedded(shard);
  if (!st.ok()) {
    SendError(SqlStateForStorageError(st), st.message());
    if (has_sync) SendReady();
    co_return;
  }
  bool begin = deferred_begin_.has_value();
  deferred_begin_.reset();
  EmbeddedOutcome outcome = co_await embedded_->Batch(steps, begin);
  client_out_ += outcome.bytes;
  tx_status_ = embedded_->status();
  if (!outcome.failed) {
    for (const auto& info : executed) {
      for (const auto& s : info->statements) AfterSuccess(s);
    }
  }
  ReleaseEmbeddedIfIdle();
}

}  // namespace domicile::pgwire
