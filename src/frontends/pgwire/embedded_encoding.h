// How embedded-shard (SQLite) results, parameters and errors look on the PostgreSQL wire.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"
#include "ports/shard_storage.h"

namespace domicile::pgwire {

// PostgreSQL type OIDs the embedded executor reports and understands.
inline constexpr uint32_t kOidBool = 16;
inline constexpr uint32_t kOidBytea = 17;
inline constexpr uint32_t kOidInt8 = 20;
inline constexpr uint32_t kOidInt2 = 21;
inline constexpr uint32_t kOidInt4 = 23;
inline constexpr uint32_t kOidText = 25;
inline constexpr uint32_t kOidFloat4 = 700;
inline constexpr uint32_t kOidFloat8 = 701;
inline constexpr uint32_t kOidVarchar = 1043;

// The type a client sees for a storage column type (NULL-only columns are text).
uint32_t TypeOidFor(ColumnType type);
int16_t TypeLenFor(ColumnType type);  // -1 for variable width

// Appends `value` in PostgreSQL's text output format: t/f, decimal integers, shortest
// round-trip floats (Infinity, NaN), bytea as \x hex, text as is. NULL appends nothing (the
// caller sends NULL as length -1).
void AppendValueText(std::string& out, const Value& value);
// Binary output format for int8, float8, bool, bytea and text columns; a value whose stored
// type does not match its column (SQLite is dynamically typed) falls back to its text form.
void AppendValueBinary(std::string& out, const Value& value, ColumnType column);

// The format code (0 text, 1 binary) Bind's result-format list gives column `index`.
int16_t FormatFor(std::span<const int16_t> formats, size_t index);

// Decodes one Bind parameter. Text format: integers and floats for int/float OIDs, t/f for
// bool, \x hex for bytea, text otherwise. Binary format: bool, int2/int4/int8 (also for
// unspecified types when 2/4/8 bytes long), float4/float8, bytea, text. kInvalidArgument
// (22P02 on the wire) when the bytes do not fit the type.
Result<Value> DecodeParam(std::optional<std::string_view> raw, int16_t format, uint32_t type_oid);

// The SQLSTATE for a ShardSession failure: SQLite's messages are mapped to PostgreSQL's
// codes (23505 unique, 23502 not null, 23503 foreign key, 42601 syntax, 42P01 no such table,
// 42703 no such column, 25P02 aborted transaction, 40001 busy snapshot...).
std::string_view SqlStateForStorageError(const Status& status);

// Collects a statement's result: the columns, and each row encoded as a DataRow message,
// back to back, so a portal can hand them out a few at a time. Runs on one thread.
class WireRowSink final : public RowSink {
 public:
  explicit WireRowSink(std::vector<int16_t> result_formats = {});

  void OnColumns(const std::vector<Column>& columns) override;
  bool OnRow(std::span<const Value> row) override;

  bool has_columns() const { return has_columns_; }
  const std::vector<Column>& columns() const { return columns_; }
  size_t row_count() const { return row_ends_.size(); }
  // Appends the RowDescription for the columns (with the requested result formats).
  void AppendRowDescription(std::string& out) const;
  // Appends rows [from, to) as DataRow messages.
  void AppendRows(std::string& out, size_t from, size_t to) const;

 private:
  std::vector<int16_t> result_formats_;
  bool has_columns_ = false;
  std::vector<Column> columns_;
  std::string rows_;              // DataRow messages back to back
  std::vector<size_t> row_ends_;  // end offset of each row in rows_
  std::vector<std::string> scratch_;
};

}  // namespace domicile::pgwire
