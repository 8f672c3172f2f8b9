// SqliteSession: statements, parameters, typed rows and transactions over one connection.
#include "adapters/storage/sqlite/sqlite_session.h"

#include <sqlite3.h>

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "adapters/storage/sqlite/sqlite_command_tag.h"

namespace domicile {
namespace {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

constexpr std::string_view kAbortedMessage =
    "current transaction is aborted, commands ignored until end of transaction block";

std::string Upper(const char* text) {
  std::string out = text == nullptr ? "" : text;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The type a column's declaration promises, following SQLite's affinity rules plus BOOL and
// BYTEA; nullopt when the declaration says nothing useful (expressions, NUMERIC, DATE...).
std::optional<ColumnType> DeclaredType(const char* decltype_text) {
  std::string decl = Upper(decltype_text);
  if (decl.empty()) return std::nullopt;
  auto has = [&decl](const char* part) { return decl.find(part) != std::string::npos; };
  if (has("BOOL")) return ColumnType::kBool;
  if (has("INT")) return ColumnType::kInt64;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return ColumnType::kText;
  if (has("BLOB") || has("BYTEA")) return ColumnType::kBytes;
  if (has("REAL") || has("FLOA") || has("DOUB")) return ColumnType::kFloat64;
  return std::nullopt;
}

ColumnType StorageType(int sqlite_type) {
  switch (sqlite_type) {
    case SQLITE_INTEGER:
      return ColumnType::kInt64;
    case SQLITE_FLOAT:
      return ColumnType::kFloat64;
    case SQLITE_BLOB:
      return ColumnType::kBytes;
    default:
      return ColumnType::kText;  // TEXT, and NULL: PostgreSQL types unknown as text
  }
}

// Reads column `i`, coercing to the column's declared type where SQLite stored it looser
// (an INTEGER 1 in a BOOLEAN column is true). A value that does not fit is kept as stored.
Value ReadValue(sqlite3_stmt* stmt, int i, ColumnType type) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      return std::monostate{};
    case SQLITE_INTEGER: {
      int64_t v = sqlite3_column_int64(stmt, i);
      if (type == ColumnType::kBool) return v != 0;
      if (type == ColumnType::kFloat64) return static_cast<double>(v);
      return v;
    }
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_BLOB: {
      const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      int size = sqlite3_column_bytes(stmt, i);
      return Bytes{data == nullptr ? std::string() : std::string(data, size)};
    }
    default: {
      const char* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      int size = sqlite3_column_bytes(stmt, i);
      return std::string(data == nullptr ? "" : data, size);
    }
  }
}

// Columns after the first step: `has_row` says whether the statement is on a row.
std::vector<Column> DescribeColumns(sqlite3_stmt* stmt, bool has_row) {
  std::vector<Column> columns;
  int count = sqlite3_column_count(stmt);
  for (int i = 0; i < count; ++i) {
    Column column;
    column.name = sqlite3_column_name(stmt, i);
    if (std::optional<ColumnType> declared = DeclaredType(sqlite3_column_decltype(stmt, i))) {
      column.type = *declared;
    } else {
      column.type = has_row ? StorageType(sqlite3_column_type(stmt, i)) : ColumnType::kText;
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

int BindValue(sqlite3_stmt* stmt, int index, const Value& value) {
  // SQLITE_STATIC: `params` outlives the statement, which is finalized inside Execute.
  return std::visit(
      [&](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<T, bool>) {
          return sqlite3_bind_int64(stmt, index, v ? 1 : 0);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(stmt, index, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
        } else {
          if (v.data.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);  // not NULL
          return sqlite3_bind_blob64(stmt, index, v.data.data(), v.data.size(), SQLITE_STATIC);
        }
      },
      value);
}

// Binds every parameter the statement names. `$1` is a named parameter in SQLite, so the
// number comes from the name ("$3" or "?3"); a bare "?" takes its position.
Status BindParams(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params) {
  int count = sqlite3_bind_parameter_count(stmt);
  for (int index = 1; index <= count; ++index) {
    const char* name = sqlite3_bind_parameter_name(stmt, index);
    size_t number = static_cast<size_t>(index);
    if (name != nullptr) {
      std::string_view digits(name + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if ((name[0] != '$' && name[0] != '?') || ec != std::errc() ||
          end != digits.data() + digits.size()) {
        return InvalidArgument(std::string("unsupported parameter ") + name + ": use $1..$n");
      }
    }
    if (number < 1 || number > params.size()) {
      return InvalidArgument("there is no parameter $" + std::to_string(number) + " (" +
                             std::to_string(params.size()) + " given)");
    }
    int rc = BindValue(stmt, index, params[number - 1]);
    if (rc != SQLITE_OK) return SqliteStatus(db, rc);
  }
  return Status::Ok();
}

// True when text after the first statement holds another statement.
bool HasMoreStatements(sqlite3* db, const char* tail) {
  if (tail == nullptr || *tail == '\0') return false;
  sqlite3_stmt* next = nullptr;
  int rc = sqlite3_prepare_v2(db, tail, -1, &next, nullptr);
  StmtPtr owned(next);
  return rc != SQLITE_OK || next != nullptr;
}

}  // namespace

Status SqliteStatus(sqlite3* db, int rc) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (sqlite error " + std::to_string(rc) + ")";
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return AlreadyExists("unique violation: " + message);
    case SQLITE_BUSY_SNAPSHOT:
      return Conflict("another connection wrote since this transaction read: " + message);
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return InvalidArgument("constraint violation: " + message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("database is busy: " + message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Unavailable(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corrupt(message);
    case SQLITE_ERROR:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return InvalidArgument(message);
    default:
      return Internal(message);
  }
}

void SqliteSession::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

SqliteSession::SqliteSession(sqlite3* db) : db_(db) {}

// Closing rolls back an open transaction.
SqliteSession::~SqliteSession() = default;

bool SqliteSession::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

Result<ExecResult> SqliteSession::Execute(std::string_view sql, std::span<const Value> params,
                                          RowSink* sink) {
  if (aborted_) {
    std::string kind = StatementKind(sql);
    if (kind != "ROLLBACK" && kind != "COMMIT") {
      return InvalidArgument(std::string(kAbortedMessage));
    }
    DOMICILE_RETURN_IF_ERROR(Rollback());
    return ExecResult{0, "ROLLBACK"};
  }
  Result<ExecResult> result = Run(sql, params, sink);
  if (!result.ok() && InTransaction()) aborted_ = true;
  return result;
}

Result<ExecResult> SqliteSession::Run(std::string_view sql, std::span<const Value> params,
                                      RowSink* sink) {
  sqlite3* db = db_.get();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc);
  if (stmt == nullptr) return ExecResult{0, ""};  // only whitespace or comments
  if (tail != nullptr && tail < sql.data() + sql.size() &&
      HasMoreStatements(db, std::string(tail, sql.data() + sql.size()).c_str())) {
    return InvalidArgument("cannot run several statements in one Execute");
  }
  DOMICILE_RETURN_IF_ERROR(BindParams(db, stmt.get(), params));

  std::string kind = StatementKind(sql);
  bool dml = IsDmlKind(kind);
  int column_count = sqlite3_column_count(stmt.get());
  rc = sqlite3_step(stmt.get());
  if (column_count > 0) {
    bool has_row = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteStatus(db, rc);
    std::vector<Column> columns = DescribeColumns(stmt.get(), has_row);
    if (sink != nullptr) sink->OnColumns(columns);
    std::vector<Value> row(column_count);
    int64_t delivered = 0;
    bool stopped = false;
    while (rc == SQLITE_ROW) {
      if (!stopped) {
        ++delivered;
        if (sink != nullptr) {
          for (int i = 0; i < column_count; ++i) {
            row[i] = ReadValue(stmt.get(), i, columns[i].type);
          }
          stopped = !sink->OnRow(row);
        }
      }
      // A query stops reading; INSERT/UPDATE/DELETE ... RETURNING runs to completion.
      if (stopped && !dml) break;
      rc = sqlite3_step(stmt.get());
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteStatus(db, rc);
    if (!dml) return ExecResult{delivered, CommandTag(kind == "" ? "SELECT" : kind, delivered)};
  } else if (rc != SQLITE_DONE) {
    return SqliteStatus(db, rc);
  }
  int64_t rows = dml ? sqlite3_changes64(db) : 0;
  return ExecResult{rows, CommandTag(kind, rows)};
}

Status SqliteSession::Begin() {
  if (InTransaction()) return InvalidArgument("there is already a transaction in progress");
  return Execute("BEGIN", {}, nullptr).status();
}

Status SqliteSession::Commit() {
  if (aborted_) {
    DOMICILE_RETURN_IF_ERROR(Rollback());
    return InvalidArgument("transaction was aborted by an earlier error and has been rolled back");
  }
  if (!InTransaction()) return Status::Ok();  // as PostgreSQL: a warning, not an error
  return Execute("COMMIT", {}, nullptr).status();
}

Status SqliteSession::Rollback() {
  aborted_ = false;
  if (!InTransaction()) return Status::Ok();
  return Run("ROLLBACK", {}, nullptr).status();
}

}  // namespace domicile
