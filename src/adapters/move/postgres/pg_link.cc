#include "adapters/move/postgres/pg_link.h"

#include <libpq-fe.h>

#include <cstring>
#include <utility>

namespace domicile::pgmove {
namespace {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Rows ReadRows(PGresult* r) {
  Rows out;
  out.command_tag = PQcmdStatus(r);
  const int n = PQntuples(r), cols = PQnfields(r);
  out.rows.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto& row = out.rows.emplace_back();
    row.reserve(cols);
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r, i, c), PQgetlength(r, i, c)));
      }
    }
  }
  return out;
}

}  // namespace

const std::string& Rows::At(size_t row, size_t col) const {
  static const std::string kEmpty;
  const auto& v = rows.at(row).at(col);
  return v ? *v : kEmpty;
}

void PgLink::Finisher::operator()(pg_conn* conn) const { PQfinish(conn); }

PgLink::PgLink(pg_conn* conn, std::string label) : conn_(conn), label_(std::move(label)) {}
PgLink::PgLink(PgLink&& other) noexcept
    : conn_(std::move(other.conn_)),
      label_(std::move(other.label_)),
      last_sqlstate_(std::move(other.last_sqlstate_)),
      copy_buffer_(std::exchange(other.copy_buffer_, nullptr)) {}
PgLink& PgLink::operator=(PgLink&& other) noexcept {
  if (this != &other) {
    if (copy_buffer_) PQfreemem(copy_buffer_);
    conn_ = std::move(other.conn_);
    label_ = std::move(other.label_);
    last_sqlstate_ = std::move(other.last_sqlstate_);
    copy_buffer_ = std::exchange(other.copy_buffer_, nullptr);
  }
  return *this;
}
PgLink::~PgLink() {
  if (copy_buffer_) PQfreemem(copy_buffer_);
}

Result<PgLink> PgLink::Connect(const std::string& conninfo, std::string label) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable(label + " cannot be reached: " + why);
  }
  PgLink link(conn, std::move(label));
  // Row texts feed checksums compared across servers: pin every setting that shapes them.
  Result<Rows> set = link.Exec(
      "SET DateStyle = 'ISO, MDY'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; "
      "SET bytea_output = 'hex'; SET IntervalStyle = 'postgres'; "
      "SET client_encoding = 'UTF8'; SET application_name = 'domicile-move'; "
      "SET client_min_messages = warning; SET standard_conforming_strings = on");
  if (!set.ok()) return set.status();
  return link;
}

Status PgLink::Fail(std::string_view what, PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string message = result ? Trimmed(PQresultErrorMessage(result)) : "";
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_.get()));
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return Unavailable(label_ + ": connection lost during " + std::string(what) + ": " + message);
  }
  std::string text = label_ + ": " + std::string(what) + " failed";
  if (!last_sqlstate_.empty()) text += " (SQLSTATE " + last_sqlstate_ + ")";
  return Internal(text + ": " + message);
}

Result<Rows> PgLink::Exec(std::string_view sql) {
  ResultPtr r(PQexec(conn_.get(), std::string(sql).c_str()));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Fail(sql.substr(0, 60), r.get());
  }
  last_sqlstate_.clear();
  return ReadRows(r.get());
}

Result<Rows> PgLink::Exec(std::string_view sql,
                          const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  ResultPtr r(PQexecParams(conn_.get(), std::string(sql).c_str(), static_cast<int>(values.size()),
                           nullptr, values.data(), nullptr, nullptr, 0));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Fail(sql.substr(0, 60), r.get());
  }
  last_sqlstate_.clear();
  return ReadRows(r.get());
}

Status PgLink::StartCopyOut(std::string_view sql) {
  ResultPtr r(PQexec(conn_.get(), std::string(sql).c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_OUT) return Fail(sql.substr(0, 60), r.get());
  return {};
}

Result<bool> PgLink::NextCopyRow(std::string_view* data) {
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  const int n = PQgetCopyData(conn_.get(), &copy_buffer_, 0);
  if (n > 0) {
    *data = std::string_view(copy_buffer_, static_cast<size_t>(n));
    return true;
  }
  if (n == -2) return Fail("COPY TO STDOUT", nullptr);
  ResultPtr r(PQgetResult(conn_.get()));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Fail("COPY TO STDOUT", r.get());
  while (PGresult* extra = PQgetResult(conn_.get())) PQclear(extra);
  return false;
}

Status PgLink::CopyInBegin(std::string_view sql) {
  ResultPtr r(PQexec(conn_.get(), std::string(sql).c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) return Fail(sql.substr(0, 60), r.get());
  return {};
}

Status PgLink::CopyInPut(std::string_view data) {
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) {
    return Fail("COPY FROM STDIN", nullptr);
  }
  return {};
}

Result<uint64_t> PgLink::CopyInEnd() {
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) return Fail("COPY FROM STDIN", nullptr);
  ResultPtr r(PQgetResult(conn_.get()));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Fail("COPY FROM STDIN", r.get());
  const uint64_t rows = std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
  while (PGresult* extra = PQgetResult(conn_.get())) PQclear(extra);
  return rows;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QualifiedName(std::string_view table) {
  const size_t dot = table.find('.');
  if (dot == std::string_view::npos) return QuoteIdent(table);
  return QuoteIdent(table.substr(0, dot)) + "." + QuoteIdent(table.substr(dot + 1));
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace domicile::pgmove
