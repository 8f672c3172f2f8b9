// PostgresSession: PQexecParams with text results, decoded into the port's rows and tags.
#include "adapters/storage/postgres/postgres_session.h"

#include <libpq-fe.h>

#include <charconv>
#include <string>
#include <vector>

#include "adapters/storage/postgres/postgres_types.h"

namespace domicile {
namespace {

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

int64_t ParseCount(const char* text) {
  int64_t count = 0;
  std::string_view view(text == nullptr ? "" : text);
  std::from_chars(view.data(), view.data() + view.size(), count);
  return count;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool IsDmlTag(std::string_view tag) {
  return StartsWith(tag, "INSERT ") || StartsWith(tag, "UPDATE ") || StartsWith(tag, "DELETE ") ||
         StartsWith(tag, "MERGE ");
}

// Leaves COPY mode so the connection stays usable; COPY has no place in ShardSession.
void AbandonCopy(PGconn* conn, ExecStatusType status) {
  if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
    PQputCopyEnd(conn, "COPY is not supported through ShardSession");
  } else {
    char* buffer = nullptr;
    while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
  }
  while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
}

ExecResult DeliverRows(const PGresult* result, RowSink* sink) {
  int fields = PQnfields(result);
  int rows = PQntuples(result);
  std::vector<Column> columns;
  for (int c = 0; c < fields; ++c) {
    uint32_t oid = PQftype(result, c);
    columns.push_back(Column{PQfname(result, c), ColumnTypeForOid(oid), oid});
  }
  int64_t delivered = rows;
  if (sink != nullptr) {
    sink->OnColumns(columns);
    std::vector<Value> row(fields);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < fields; ++c) {
        if (PQgetisnull(result, r, c)) {
          row[c] = std::monostate{};
        } else {
          row[c] = DecodeText(columns[c].type, std::string_view(PQgetvalue(result, r, c),
                                                                PQgetlength(result, r, c)));
        }
      }
      if (!sink->OnRow(row)) {
        delivered = r + 1;
        break;
      }
    }
  }
  std::string tag = PQcmdStatus(const_cast<PGresult*>(result));
  const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));
  if (IsDmlTag(tag)) return ExecResult{ParseCount(tuples), tag};  // RETURNING: rows changed
  // A query that the sink stopped reports the rows it delivered, as SqliteShardStorage does.
  if (StartsWith(tag, "SELECT ")) tag = "SELECT " + std::to_string(delivered);
  return ExecResult{delivered, tag};
}

}  // namespace

void PostgresSession::Finisher::operator()(pg_conn* conn) const { PQfinish(conn); }

PostgresSession::PostgresSession(pg_conn* conn) : conn_(conn) {
  // Server notices (e.g. "there is no transaction in progress") are not errors: drop them
  // instead of letting libpq print them on stderr.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

PostgresSession::~PostgresSession() = default;

Status PostgresSession::CheckConnection() const {
  PGconn* conn = conn_.get();
  if (PQstatus(conn) == CONNECTION_OK) return Status::Ok();
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return Unavailable(std::string("connection to postgres shard at ") + PQhost(conn) + ":" +
                     PQport(conn) + " is broken: " + message);
}

Result<ExecResult> PostgresSession::Execute(std::string_view sql, std::span<const Value> params,
                                            RowSink* sink) {
  DOMICILE_RETURN_IF_ERROR(CheckConnection());
  PGconn* conn = conn_.get();
  std::vector<EncodedParam> encoded;
  encoded.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    // libpq sends text parameters NUL-terminated: a zero byte would silently cut the value.
    const auto* text = std::get_if<std::string>(&params[i]);
    if (text != nullptr && text->find('\0') != std::string::npos) {
      return InvalidArgument("text parameter $" + std::to_string(i + 1) +
                             " contains a zero byte; send it as Bytes");
    }
    encoded.push_back(EncodeParam(params[i]));
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<Oid> types;
  for (const EncodedParam& p : encoded) {
    values.push_back(p.data());
    lengths.push_back(p.length);
    formats.push_back(p.format);
    types.push_back(p.oid);
  }
  std::string query(sql);
  ResultPtr result(PQexecParams(conn, query.c_str(), static_cast<int>(encoded.size()), types.data(),
                                values.data(), lengths.data(), formats.data(),
                                /*resultFormat=*/0));
  ExecStatusType status = PQresultStatus(result.get());
  switch (status) {
    case PGRES_COMMAND_OK:
      return ExecResult{ParseCount(PQcmdTuples(result.get())), PQcmdStatus(result.get())};
    case PGRES_TUPLES_OK:
      return DeliverRows(result.get(), sink);
    case PGRES_EMPTY_QUERY:
      return ExecResult{0, ""};
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      AbandonCopy(conn, status);
      return InvalidArgument("COPY is not supported through ShardSession");
    default:
      return StatusFromResult(result.get(), PQerrorMessage(conn), PQstatus(conn) == CONNECTION_OK);
  }
}

Status PostgresSession::Begin() {
  DOMICILE_RETURN_IF_ERROR(CheckConnection());
  if (PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
    return InvalidArgument("there is already a transaction in progress");
  }
  return Execute("BEGIN", {}, nullptr).status();
}

Status PostgresSession::Commit() {
  Result<ExecResult> result = Execute("COMMIT", {}, nullptr);
  if (!result.ok()) return result.status();
  // PostgreSQL answers COMMIT of a failed transaction with a ROLLBACK tag, not an error.
  if (result->command_tag == "ROLLBACK") {
    return InvalidArgument("transaction was aborted by an earlier error and has been rolled back");
  }
  return Status::Ok();
}

Status PostgresSession::Rollback() { return Execute("ROLLBACK", {}, nullptr).status(); }

}  // namespace domicile
