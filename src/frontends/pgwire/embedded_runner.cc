// Statements on an embedded shard session, answered as a PostgreSQL server would answer them.
#include "frontends/pgwire/embedded_runner.h"

#include <algorithm>
#include <cctype>

#include "frontends/pgwire/backend_encoder.h"

namespace domicile::pgwire {
namespace {

constexpr std::string_view kAborted =
    "current transaction is aborted, commands ignored until end of transaction block";

void Warn(std::string& out, std::string_view sqlstate, std::string_view message) {
  Encode(out, NoticeResponse{MakeErrorFields("WARNING", sqlstate, message)});
}

bool IsTransactionControl(StatementKind kind) {
  return kind == StatementKind::kBegin || kind == StatementKind::kCommit ||
         kind == StatementKind::kRollback || kind == StatementKind::kSavepoint ||
         kind == StatementKind::kRelease || kind == StatementKind::kRollbackTo;
}

// Runs one statement; notices go to `out`. The lease's status follows the transaction.
Result<std::string> RunOne(EmbeddedLease& lease, StatementKind kind, std::string_view text,
                           std::span<const Value> params, WireRowSink* sink, std::string& out) {
  ShardSession& session = *lease.session;
  if (lease.status == 'E' && kind != StatementKind::kCommit && kind != StatementKind::kRollback) {
    return InvalidArgument(std::string(kAborted));
  }
  switch (kind) {
    case StatementKind::kBegin:
      if (lease.status != 'I') {
        Warn(out, "25001", "there is already a transaction in progress");
        return std::string("BEGIN");
      }
      DOMICILE_RETURN_IF_ERROR(session.Begin());
      lease.status = 'T';
      return std::string("BEGIN");
    case StatementKind::kCommit:
    case StatementKind::kRollback: {
      if (lease.status == 'I') Warn(out, "25P01", "there is no transaction in progress");
      // COMMIT of a failed transaction rolls it back and says so, as PostgreSQL does.
      bool commit = kind == StatementKind::kCommit && lease.status != 'E';
      Status st = commit ? session.Commit() : session.Rollback();
      lease.status = 'I';
      if (!st.ok()) {
        session.Rollback();  // a failed COMMIT leaves nothing half-open on the pooled session
        return st;
      }
      return std::string(commit ? "COMMIT" : "ROLLBACK");
    }
    case StatementKind::kSavepoint:
    case StatementKind::kRelease:
    case StatementKind::kRollbackTo:
      if (lease.status == 'I') {
        return Status(StatusCode::kInvalidArgument,
                      "SAVEPOINT can only be used in transaction blocks");
      }
      break;
    case StatementKind::kSet:
    case StatementKind::kReset:
      // Session settings belong to PostgreSQL servers; an embedded shard has none to change.
      return std::string(kind == StatementKind::kSet ? "SET" : "RESET");
    default:
      break;
  }
  if (kind == StatementKind::kShow) {
    return Status(StatusCode::kPolicyRefused, "SHOW is not supported on embedded (SQLite) shards");
  }
  if (kind == StatementKind::kCopy || kind == StatementKind::kListen ||
      kind == StatementKind::kUnlisten || kind == StatementKind::kNotify ||
      kind == StatementKind::kDeclareCursor || kind == StatementKind::kFetch ||
      kind == StatementKind::kClose || kind == StatementKind::kPrepare ||
      kind == StatementKind::kExecute || kind == StatementKind::kDeallocate) {
    return Status(StatusCode::kPolicyRefused, std::string(StatementKindName(kind)) +
                                                  " is not supported on embedded (SQLite) shards");
  }
  auto result = session.Execute(text, params, sink);
  if (!result.ok()) {
    if (lease.status == 'T') lease.status = 'E';
    return result.status();
  }
  return std::move(result->command_tag);
}

// A statement's kind for routing inside the runner: the analyzer's when it parsed the text.
StatementKind KindOf(const EmbeddedStatement& statement) {
  if (statement.info && statement.info->statements.size() == 1) {
    return statement.info->statements[0].kind;
  }
  return StatementKind::kOther;
}

std::string_view SqlStateFor(const Status& st) {
  if (st.code() == StatusCode::kPolicyRefused) return "0A000";  // unsupported feature
  if (st.message() == "SAVEPOINT can only be used in transaction blocks") return "25P01";
  if (st.code() == StatusCode::kNotFound) {
    return st.message().rfind("portal", 0) == 0 ? "34000" : "26000";  // the objects we name
  }
  return SqlStateForStorageError(st);
}

void SendError(EmbeddedOutcome& outcome, const Status& st) {
  EncodeError(outcome.bytes, "ERROR", SqlStateFor(st), st.message());
  outcome.failed = true;
}

void Ready(std::string& out, const EmbeddedLease& lease) {
  Encode(out, ReadyForQuery{static_cast<TransactionStatus>(lease.status)});
}

}  // namespace

int CountParameters(std::string_view sql) {
  int highest = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      i = end == std::string_view::npos ? sql.size() : end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '$' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      int n = 0;
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) && n < 100000) {
        n = n * 10 + (sql[j] - '0');
        ++j;
      }
      highest = std::max(highest, n);
      i = j - 1;
    }
  }
  return highest;
}

EmbeddedOutcome RunEmbeddedQuery(EmbeddedLease& lease, std::string_view sql,
                                 const StatementInfo* info) {
  EmbeddedOutcome outcome;
  std::vector<std::pair<StatementKind, std::string_view>> statements;
  if (info != nullptr) {
    for (size_t i = 0; i < info->statements.size(); ++i) {
      StatementKind kind = info->statements[i].kind;
      if (kind != StatementKind::kEmpty) statements.emplace_back(kind, info->TextOf(i, sql));
    }
  } else {
    statements.emplace_back(StatementKind::kOther, sql);
  }
  if (statements.empty()) {
    Encode(outcome.bytes, EmptyQueryResponse{});
    Ready(outcome.bytes, lease);
    return outcome;
  }
  // Several statements outside a block are one implicit transaction: all or nothing.
  bool implicit = lease.status == 'I' && statements.size() > 1 &&
                  std::none_of(statements.begin(), statements.end(),
                               [](const auto& s) { return IsTransactionControl(s.first); });
  if (implicit) {
    Status st = lease.session->Begin();
    if (!st.ok()) {
      SendError(outcome, st);
      Ready(outcome.bytes, lease);
      return outcome;
    }
    lease.status = 'T';
  }
  for (const auto& [kind, text] : statements) {
    WireRowSink sink;
    auto tag = RunOne(lease, kind, text, {}, &sink, outcome.bytes);
    if (!tag.ok()) {
      SendError(outcome, tag.status());
      break;
    }
    if (sink.has_columns()) {
      sink.AppendRowDescription(outcome.bytes);
      sink.AppendRows(outcome.bytes, 0, sink.row_count());
    }
    Encode(outcome.bytes, CommandComplete{*tag});
  }
  if (implicit) {
    Status st = outcome.failed ? lease.session->Rollback() : lease.session->Commit();
    if (!st.ok() && !outcome.failed) {
      lease.session->Rollback();
      SendError(outcome, st);
    }
    lease.status = 'I';
  }
  Ready(outcome.bytes, lease);
  return outcome;
}

namespace {

// Runs a portal's statement once and keeps its result for Execute.
Status ExecutePortal(EmbeddedLease& lease, EmbeddedPortal& portal, std::string& out) {
  portal.result = std::make_unique<WireRowSink>(portal.result_formats);
  auto tag = RunOne(lease, KindOf(*portal.statement), portal.statement->query, portal.params,
                    portal.result.get(), out);
  if (!tag.ok()) return tag.status();
  portal.tag = std::move(*tag);
  return Status::Ok();
}

// The columns a statement would return, found by running it with NULL parameters when it
// only reads; null for statements that change rows (they are described as NoData).
std::unique_ptr<WireRowSink> DescribeStatement(EmbeddedLease& lease,
                                               const EmbeddedStatement& statement) {
  if (KindOf(statement) != StatementKind::kSelect || lease.status == 'E') return nullptr;
  std::vector<Value> params(static_cast<size_t>(CountParameters(statement.query)));
  auto sink = std::make_unique<WireRowSink>();
  auto result = lease.session->Execute(statement.query, params, sink.get());
  if (!result.ok() || !sink->has_columns()) return nullptr;
  return sink;
}

bool ExecutesLater(const std::vector<EmbeddedStep>& steps, size_t from, const std::string& name) {
  for (size_t i = from + 1; i < steps.size(); ++i) {
    if (steps[i].kind == EmbeddedStep::Kind::kBind && steps[i].name == name) return false;
    if (steps[i].kind == EmbeddedStep::Kind::kExecute && steps[i].name == name) return true;
  }
  return false;
}

}  // namespace

EmbeddedOutcome RunEmbeddedBatch(EmbeddedLease& lease, EmbeddedExtendedState& state,
                                 const std::vector<EmbeddedStep>& steps) {
  using Kind = EmbeddedStep::Kind;
  EmbeddedOutcome outcome;
  std::string& out = outcome.bytes;
  auto fail = [&](const Status& st) {
    SendError(outcome, st);
    state.skip_to_sync = true;
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const EmbeddedStep& step = steps[i];
    if (step.kind == Kind::kSync) {
      state.skip_to_sync = false;
      // Outside a transaction block a Sync ends the implicit transaction and its portals.
      if (lease.status == 'I') state.portals.clear();
      Ready(out, lease);
      continue;
    }
    if (state.skip_to_sync || step.kind == Kind::kFlush) continue;
    switch (step.kind) {
      case Kind::kParse:
        Encode(out, ParseComplete{});
        break;
      case Kind::kBind: {
        if (!step.statement) {
          fail(Status(StatusCode::kNotFound,
                      "prepared statement \"" + step.name + "\" does not exist"));
          break;
        }
        if (lease.status == 'E') {
          fail(InvalidArgument(std::string(kAborted)));
          break;
        }
        EmbeddedPortal portal;
        portal.statement = step.statement;
        portal.result_formats = step.result_formats;
        Status bad;
        for (size_t p = 0; p < step.params.size() && bad.ok(); ++p) {
          uint32_t type =
              p < step.statement->param_types.size() ? step.statement->param_types[p] : 0;
          std::optional<std::string_view> raw;
          if (step.params[p]) raw = *step.params[p];
          auto value = DecodeParam(raw, FormatFor(step.param_formats, p), type);
          if (!value.ok()) {
            bad = value.status();
          } else {
            portal.params.push_back(std::move(*value));
          }
        }
        if (!bad.ok()) {
          EncodeError(out, "ERROR", "22P02", bad.message());
          outcome.failed = true;
          state.skip_to_sync = true;
          break;
        }
        state.portals[step.name] = std::move(portal);
        Encode(out, BindComplete{});
        break;
      }
      case Kind::kDescribeStatement: {
        if (!step.statement) {
          fail(Status(StatusCode::kNotFound,
                      "prepared statement \"" + step.name + "\" does not exist"));
          break;
        }
        ParameterDescription params;
        int count = std::max(CountParameters(step.statement->query),
                             static_cast<int>(step.statement->param_types.size()));
        for (int p = 0; p < count; ++p) {
          uint32_t type = static_cast<size_t>(p) < step.statement->param_types.size()
                              ? step.statement->param_types[p]
                              : 0;
          params.type_oids.push_back(type != 0 ? type : kOidText);
        }
        Encode(out, params);
        if (auto columns = DescribeStatement(lease, *step.statement)) {
          columns->AppendRowDescription(out);
        } else {
          Encode(out, NoData{});
        }
        break;
      }
      case Kind::kDescribePortal: {
        auto it = state.portals.find(step.name);
        if (it == state.portals.end()) {
          fail(Status(StatusCode::kNotFound, "portal \"" + step.name + "\" does not exist"));
          break;
        }
        EmbeddedPortal& portal = it->second;
        // Run now when an Execute follows or when it only reads, so the description is the
        // real one; Execute then hands out the kept rows.
        if (!portal.result && (KindOf(*portal.statement) == StatementKind::kSelect ||
                               ExecutesLater(steps, i, step.name))) {
          Status st = ExecutePortal(lease, portal, out);
          if (!st.ok()) {
            fail(st);
            break;
          }
        }
        if (portal.result && portal.result->has_columns()) {
          portal.result->AppendRowDescription(out);
        } else {
          Encode(out, NoData{});
        }
        break;
      }
      case Kind::kExecute: {
        auto it = state.portals.find(step.name);
        if (it == state.portals.end()) {
          fail(Status(StatusCode::kNotFound, "portal \"" + step.name + "\" does not exist"));
          break;
        }
        EmbeddedPortal& portal = it->second;
        if (!portal.result) {
          Status st = ExecutePortal(lease, portal, out);
          if (!st.ok()) {
            fail(st);
            break;
          }
        }
        size_t total = portal.result->row_count();
        size_t end = total;
        if (step.max_rows > 0) end = std::min(total, portal.next_row + step.max_rows);
        portal.result->AppendRows(out, portal.next_row, end);
        portal.next_row = end;
        if (end < total) {
          Encode(out, PortalSuspended{});
        } else {
          Encode(out, CommandComplete{portal.tag});
        }
        break;
      }
      case Kind::kCloseStatement:
        Encode(out, CloseComplete{});
        break;
      case Kind::kClosePortal:
        state.portals.erase(step.name);
        Encode(out, CloseComplete{});
        break;
      default:
        break;
    }
  }
  return outcome;
}

}  // namespace domicile::pgwire
