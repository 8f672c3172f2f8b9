// RAII wrappers over sqlite3* and sqlite3_stmt*: the one place SQLite codes become Status.
#include "adapters/catalog/sqlite/sqlite_handle.h"

namespace domicile::sqlite {

Status ErrorStatus(int rc, std::string_view what, std::string_view detail) {
  std::string msg = std::string(what) + ": " + std::string(detail);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Unavailable(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corrupt(std::move(msg));
    default:
      return Internal(std::move(msg));
  }
}

Result<Db> Db::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db;
  db.db_.reset(raw);  // sqlite3_open_v2 may hand back a handle even on failure
  db.path_ = path;
  if (rc != SQLITE_OK) {
    return ErrorStatus(rc, "cannot open catalog " + path,
                       raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(rc, "catalog " + path_, ErrorMessage());
  return Status::Ok();
}

Result<Stmt> Stmt::Prepare(const Db& db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt stmt(db.get(), raw);
  if (rc != SQLITE_OK) {
    return ErrorStatus(rc, "catalog " + db.path() + ": cannot prepare '" + std::string(sql) + "'",
                       db.ErrorMessage());
  }
  return stmt;
}

Status Stmt::Fail(int rc, std::string_view what) const {
  return ErrorStatus(rc, std::string(what) + " '" + sqlite3_sql(stmt_.get()) + "'",
                     sqlite3_errmsg(db_));
}

Status Stmt::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  return rc == SQLITE_OK ? Status::Ok() : Fail(rc, "bind");
}

Status Stmt::Bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  return rc == SQLITE_OK ? Status::Ok() : Fail(rc, "bind");
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_.get());
  last_code_ = rc;
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = Fail(rc, "step");
  sqlite3_reset(stmt_.get());
  return st;
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string_view Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
  int n = sqlite3_column_bytes(stmt_.get(), col);
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<size_t>(n));
}

Result<Transaction> Transaction::Begin(Db& db, std::string_view begin) {
  DOMICILE_RETURN_IF_ERROR(db.Exec(begin));
  return Transaction(&db);
}

Transaction::~Transaction() {
  // Best effort: if ROLLBACK fails SQLite has already rolled back (or the connection closes,
  // which rolls back too).
  if (db_ != nullptr) sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Commit() {
  Status st = db_->Exec("COMMIT");
  if (!st.ok()) return st;  // the destructor rolls back
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace domicile::sqlite
