// PgLink: one plain libpq connection for the move adapter (commands, parameters, COPY).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"

struct pg_conn;
struct pg_result;

namespace domicile::pgmove {

// The rows of one query, as text (nullopt for NULL).
struct Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::string command_tag;
  const std::string& At(size_t row, size_t col) const;  // "" for NULL
};

// Not thread-safe. Errors name the shard and carry the server's SQLSTATE in the message.
class PgLink {
 public:
  // `label` names the shard in errors ("shard eu-1").
  static Result<PgLink> Connect(const std::string& conninfo, std::string label);
  PgLink(PgLink&&) noexcept;
  PgLink& operator=(PgLink&&) noexcept;
  ~PgLink();

  // Runs one or more statements (simple protocol); the rows of the last one.
  Result<Rows> Exec(std::string_view sql);
  // One statement with text parameters ($1..$n; nullopt is NULL).
  Result<Rows> Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params);

  // COPY ... TO STDOUT: calls `row` for each data row until the end. Returns the row count.
  template <typename OnRow>
  Result<uint64_t> CopyOut(std::string_view sql, OnRow&& row);
  // COPY ... FROM STDIN: Begin, Put each chunk, End (with the rows' count from the tag).
  Status CopyInBegin(std::string_view sql);
  Status CopyInPut(std::string_view data);
  Result<uint64_t> CopyInEnd();

  // The server's SQLSTATE of the last failed command ("" if none or not a server error).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  const std::string& label() const { return label_; }
  pg_conn* raw() { return conn_.get(); }

 private:
  struct Finisher {
    void operator()(pg_conn* conn) const;
  };
  PgLink(pg_conn* conn, std::string label);
  Status Fail(std::string_view what, pg_result* result);
  Status StartCopyOut(std::string_view sql);
  // Next COPY OUT row: true with `data` set, false at the end (then the result is checked).
  Result<bool> NextCopyRow(std::string_view* data);

  std::unique_ptr<pg_conn, Finisher> conn_;
  std::string label_;
  std::string last_sqlstate_;
  char* copy_buffer_ = nullptr;
};

template <typename OnRow>
Result<uint64_t> PgLink::CopyOut(std::string_view sql, OnRow&& row) {
  if (Status s = StartCopyOut(sql); !s.ok()) return s;
  uint64_t rows = 0;
  while (true) {
    std::string_view data;
    Result<bool> more = NextCopyRow(&data);
    if (!more.ok()) return more.status();
    if (!*more) return rows;
    ++rows;
    if (Status s = row(data); !s.ok()) return s;  // the connection is reset by the caller
  }
}

// "x" -> "\"x\"", "a.b" stays one identifier; use QualifiedName for schema.table.
std::string QuoteIdent(std::string_view name);
// "public.t" or "t" -> "\"t\""; "s.t" -> "\"s\".\"t\"".
std::string QualifiedName(std::string_view table);
std::string QuoteLiteral(std::string_view text);

}  // namespace domicile::pgmove
