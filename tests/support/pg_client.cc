// PgClient: libpq results turned into SQLSTATE + rows values for assertions.
#include "support/pg_client.h"

#include <libpq-fe.h>

namespace domicile::testing {
namespace {

PgResult Convert(PGconn* conn, PGresult* res) {
  std::unique_ptr<PGresult, decltype(&PQclear)> owned(res, &PQclear);
  PgResult out;
  ExecStatusType status = PQresultStatus(res);
  out.ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
           status == PGRES_EMPTY_QUERY;
  if (!out.ok) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    out.sqlstate = state ? state : "(none)";
    out.message = primary ? primary : PQerrorMessage(conn);
    return out;
  }
  for (int r = 0; r < PQntuples(res); ++r) {
    auto& row = out.rows.emplace_back();
    for (int c = 0; c < PQnfields(res); ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
  }
  return out;
}

}  // namespace

std::string PgResult::Scalar() const {
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

PgClient::PgClient(const std::string& conninfo)
    : conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
}

PgClient::~PgClient() = default;

bool PgClient::connected() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

std::string PgClient::error() const { return PQerrorMessage(conn_.get()); }

char PgClient::TransactionStatus() const {
  switch (PQtransactionStatus(conn_.get())) {
    case PQTRANS_IDLE:
      return 'I';
    case PQTRANS_INTRANS:
      return 'T';
    case PQTRANS_INERROR:
      return 'E';
    default:
      return '?';  // a query in progress, or no connection
  }
}

PgResult PgClient::Exec(const std::string& sql) {
  return Convert(conn_.get(), PQexec(conn_.get(), sql.c_str()));
}

PgResult PgClient::ExecParams(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return Convert(conn_.get(), PQexecParams(conn_.get(), sql.c_str(),
                                           static_cast<int>(values.size()), nullptr,
                                           values.data(), nullptr, nullptr, 0));
}

PgResult PgClient::Prepare(const std::string& name, const std::string& sql) {
  return Convert(conn_.get(), PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
}

PgResult PgClient::ExecPrepared(const std::string& name, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return Convert(conn_.get(), PQexecPrepared(conn_.get(), name.c_str(),
                                             static_cast<int>(values.size()), values.data(),
                                             nullptr, nullptr, 0));
}

}  // namespace domicile::testing
