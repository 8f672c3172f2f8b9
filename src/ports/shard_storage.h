// ShardStorage: the port through which the app reads and writes rows on one shard.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/status.h"

namespace domicile {

// Bytes of a binary value (bytea / BLOB), kept apart from text.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

// One SQL value. monostate is NULL.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes>;

// The logical types every engine maps onto; the wire front end turns them into type OIDs.
enum class ColumnType { kNull, kBool, kInt64, kFloat64, kText, kBytes };
inline std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kNull: return "null";
    case ColumnType::kBool: return "bool";
    case ColumnType::kInt64: return "int64";
    case ColumnType::kFloat64: return "float64";
    case ColumnType::kText: return "text";
    case ColumnType::kBytes: return "bytes";
  }
  return "unknown";
}

struct Column {
  std::string name;
  ColumnType type = ColumnType::kText;
  // The engine's own type id where it has one (PostgreSQL type OID), else 0.
  uint32_t engine_type_id = 0;
};

// Receives a statement's result set. Called on the thread that called Execute.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once, before any row, when the statement returns rows (even zero rows).
  virtual void OnColumns(const std::vector<Column>& columns) = 0;
  // One row, values in column order. Return false to stop reading further rows.
  virtual bool OnRow(std::span<const Value> row) = 0;
};

struct ExecResult {
  int64_t rows_affected = 0;  // rows inserted/updated/deleted, or rows returned
  std::string command_tag;    // "INSERT 0 1", "SELECT 3", ... as PostgreSQL would say it
};

// One connection to a shard. Not thread-safe: one thread at a time.
class ShardSession {
 public:
  virtual ~ShardSession() = default;
  // Runs one statement with $1..$n parameters bound from `params`. Rows, if any, go to
  // `sink` (which may be null to discard them). SQL errors come back as a Status whose
  // message carries the engine's text; the session stays usable.
  virtual Result<ExecResult> Execute(std::string_view sql, std::span<const Value> params,
                                     RowSink* sink) = 0;
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

// A shard reachable through one engine. Thread-safe: Open may be called from any thread.
class ShardStorage {
 public:
  virtual ~ShardStorage() = default;
  // Opens a new session; kUnavailable when the shard cannot be reached.
  virtual Result<std::unique_ptr<ShardSession>> Open() = 0;
};

}  // namespace domicile
