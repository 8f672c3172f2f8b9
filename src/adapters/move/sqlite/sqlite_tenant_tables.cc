#include "adapters/move/sqlite/sqlite_tenant_tables.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "ports/sql_text.h"

namespace domicile::sqlitemove {
namespace {

using Row = std::vector<std::optional<std::string>>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

constexpr const char* kFenceTableSql =
    "CREATE TABLE IF NOT EXISTS domicile_fence (tenant TEXT PRIMARY KEY, epoch INTEGER NOT NULL, "
    "move_id TEXT NOT NULL, fenced_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))";

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool SameName(std::string_view a, std::string_view b) { return Upper(a) == Upper(b); }

// Triggers of one tenant share this prefix (tenant ids cannot contain '/').
std::string TriggerPrefix(const std::string& tenant) { return "domicile_fence/" + tenant + "/"; }

// The three fence triggers of `tenant` on `table`.
std::vector<std::string> TriggerSql(const MoveTable& table, const std::string& tenant) {
  const std::string key = QuoteSqlIdent(table.tenant_key);
  const std::string t = QuoteSqlLiteral(tenant);
  const std::string fenced = "EXISTS (SELECT 1 FROM domicile_fence WHERE tenant = " + t + ")";
  const std::string raise =
      " BEGIN SELECT RAISE(ABORT, " +
      QuoteSqlLiteral("tenant " + tenant +
                      " is fenced on this shard: its rows are moving or have moved to another "
                      "shard; write them through domicile, which routes the tenant to its shard") +
      "); END";
  const std::string name = TriggerPrefix(tenant) + table.name + "/";
  const std::string on = " ON " + QuoteSqlIdent(table.name) + " FOR EACH ROW WHEN ";
  return {
      "CREATE TRIGGER " + QuoteSqlIdent(name + "insert") + " BEFORE INSERT" + on + "NEW." + key +
          " = " + t + " AND " + fenced + raise,
      "CREATE TRIGGER " + QuoteSqlIdent(name + "update") + " BEFORE UPDATE" + on + "(OLD." + key +
          " = " + t + " OR NEW." + key + " = " + t + ") AND " + fenced + raise,
      "CREATE TRIGGER " + QuoteSqlIdent(name + "delete") + " BEFORE DELETE" + on + "OLD." + key +
          " = " + t + " AND " + fenced + raise,
  };
}

// Runs one statement with text parameters (nullopt: NULL); its rows as text.
Result<std::vector<Row>> Query(sqlite3* db, const std::string& sql,
                               const std::vector<std::optional<std::string>>& params, int* rc_out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt(raw);
  *rc_out = rc;
  if (rc != SQLITE_OK) return Internal(sqlite3_errmsg(db));
  for (size_t i = 0; i < params.size(); ++i) {
    rc = params[i] ? sqlite3_bind_text64(stmt.get(), static_cast<int>(i + 1), params[i]->data(),
                                         params[i]->size(), SQLITE_TRANSIENT, SQLITE_UTF8)
                   : sqlite3_bind_null(stmt.get(), static_cast<int>(i + 1));
    if (rc != SQLITE_OK) {
      *rc_out = rc;
      return Internal(sqlite3_errmsg(db));
    }
  }
  std::vector<Row> rows;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
      const unsigned char* text = sqlite3_column_text(stmt.get(), c);
      if (text == nullptr) {
        row.push_back(std::nullopt);
      } else {
        row.push_back(
            std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt.get(), c)));
      }
    }
    rows.push_back(std::move(row));
  }
  *rc_out = rc;
  if (rc != SQLITE_DONE) return Internal(sqlite3_errmsg(db));
  *rc_out = SQLITE_OK;
  return rows;
}

}  // namespace

ColumnType SqliteKind(std::string_view declared) {
  const std::string d = Upper(declared);
  auto has = [&d](const char* part) { return d.find(part) != std::string::npos; };
  if (has("BOOL")) return ColumnType::kBool;
  if (has("INT")) return ColumnType::kInt64;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return ColumnType::kText;
  if (has("BLOB") || has("BYTEA")) return ColumnType::kBytes;
  if (has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL")) {
    return ColumnType::kFloat64;
  }
  return ColumnType::kText;
}

std::string SqliteTypeFor(ColumnType kind) {
  switch (kind) {
    case ColumnType::kBool:
      return "BOOLEAN";
    case ColumnType::kInt64:
      return "INTEGER";
    case ColumnType::kFloat64:
      return "REAL";
    case ColumnType::kBytes:
      return "BLOB";
    default:
      return "TEXT";
  }
}

void SqliteTenantTables::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

SqliteTenantTables::SqliteTenantTables(std::string path, std::string label,
                                       std::chrono::milliseconds busy_timeout)
    : path_(std::move(path)), label_(std::move(label)), busy_timeout_(busy_timeout) {}

SqliteTenantTables::~SqliteTenantTables() = default;

Status SqliteTenantTables::Fail(const std::string& what, int rc) {
  std::string message = label_ + ": " + what + ": " +
                        (db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc)) + " (sqlite error " +
                        std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
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
    case SQLITE_CONSTRAINT:
      return InvalidArgument(message);
    default:
      return Internal(message);
  }
}

Result<sqlite3*> SqliteTenantTables::Db() {
  if (db_) return db_.get();
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return Unavailable(label_ + ": directory " + parent.string() + " of " + path_ +
                       " does not exist");
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    Status s = Fail("opening " + path_, rc);
    db_.reset();
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout_.count()));
  rc = sqlite3_exec(raw, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Fail("opening " + path_, rc);
    db_.reset();
    return s;
  }
  return raw;
}

namespace {

// One write transaction (BEGIN IMMEDIATE: the shard's write lock), rolled back unless
// committed.
class WriteTxn {
 public:
  explicit WriteTxn(sqlite3* db) : db_(db) {}
  ~WriteTxn() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  int Begin() {
    int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    open_ = rc == SQLITE_OK;
    return rc;
  }
  int Commit() {
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) open_ = false;
    return rc;
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

int Exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

// Names and SQL of the tenant's fence triggers.
Result<std::vector<Row>> TenantTriggers(sqlite3* db, const std::string& tenant, int* rc) {
  const std::string prefix = TriggerPrefix(tenant);
  return Query(db,
               "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
               "substr(name, 1, length(?1)) = ?1 ORDER BY name",
               {prefix}, rc);
}

int DropTriggers(sqlite3* db, const std::vector<Row>& triggers) {
  for (const Row& t : triggers) {
    if (int rc = Exec(db, "DROP TRIGGER IF EXISTS " + QuoteSqlIdent(*t[0])); rc != SQLITE_OK) {
      return rc;
    }
  }
  return SQLITE_OK;
}

bool HasFenceTable(sqlite3* db, int* rc) {
  Result<std::vector<Row>> found = Query(
      db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'domicile_fence'", {}, rc);
  return found.ok() && !found->empty();
}

std::string DeleteSql(const MoveTable& t) {
  return "DELETE FROM " + QuoteSqlIdent(t.name) + " WHERE " + QuoteSqlIdent(t.tenant_key) + " = ?1";
}

// Inside the caller's write transaction: drops the tenant's fence triggers (returned, so
// they can be put back) and deletes its rows. On failure `what` names the step.
Result<std::vector<Row>> DeleteUnfenced(sqlite3* db, const std::vector<MoveTable>& tables,
                                        const std::string& tenant, int* rc, std::string* what) {
  Result<std::vector<Row>> triggers = TenantTriggers(db, tenant, rc);
  if (!triggers.ok()) {
    *what = "reading fence triggers";
    return triggers.status();
  }
  if ((*rc = DropTriggers(db, *triggers)) != SQLITE_OK) {
    *what = "dropping fence triggers";
    return Internal(*what);
  }
  for (const MoveTable& t : tables) {
    Result<std::vector<Row>> deleted = Query(db, DeleteSql(t), {tenant}, rc);
    if (!deleted.ok()) {
      *what = "deleting the rows of " + tenant + " from " + t.name;
      return deleted.status();
    }
  }
  return triggers;
}

}  // namespace

Result<std::vector<TenantTable>> SqliteTenantTables::AllTables() {
  Result<sqlite3*> db = Db();
  if (!db.ok()) return db.status();
  int rc = SQLITE_OK;
  Result<std::vector<Row>> names =
      Query(*db,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\' AND name NOT LIKE 'domicile\\_%' ESCAPE '\\' ORDER BY name",
            {}, &rc);
  if (!names.ok()) return Fail("listing tables", rc);
  std::vector<TenantTable> out;
  for (const Row& n : *names) {
    TenantTable t;
    t.engine = Engine::kSqlite;
    t.move.name = n[0].value_or("");
    Result<std::vector<Row>> cols =
        Query(*db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
              {t.move.name}, &rc);
    if (!cols.ok()) return Fail("reading the columns of " + t.move.name, rc);
    std::vector<std::pair<int, std::string>> keys;
    for (const Row& c : *cols) {
      TableColumn column{c[0].value_or(""), c[1].value_or(""), SqliteKind(c[1].value_or("")),
                         c[2].value_or("0") != "0"};
      const int pk = std::stoi(c[3].value_or("0"));
      if (pk > 0) keys.emplace_back(pk, column.name);
      t.move.columns.push_back(column.name);
      t.columns.push_back(std::move(column));
    }
    std::sort(keys.begin(), keys.end());
    for (auto& [order, name] : keys) t.move.key_columns.push_back(name);
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<TenantTable>> SqliteTenantTables::List(const RoutingRules& rules) {
  Result<std::vector<TenantTable>> all = AllTables();
  if (!all.ok()) return all.status();
  std::vector<TenantTable> out;
  for (TenantTable& t : *all) {
    const std::string& key = rules.KeyColumnFor("", t.move.name);
    auto it = std::find_if(t.move.columns.begin(), t.move.columns.end(),
                           [&](const std::string& c) { return SameName(c, key); });
    if (it == t.move.columns.end()) continue;
    t.move.tenant_key = *it;
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<TenantTable>> SqliteTenantTables::CheckTarget(
    const std::vector<TenantTable>& wanted, const RoutingRules& rules, bool create_schema) {
  (void)rules;  // the wanted tables carry their key column
  Result<std::vector<TenantTable>> have = AllTables();
  if (!have.ok()) return have.status();
  auto find = [&](const std::string& name) -> const TenantTable* {
    auto it = std::find_if(have->begin(), have->end(),
                           [&](const TenantTable& t) { return SameName(t.move.name, name); });
    return it == have->end() ? nullptr : &*it;
  };
  std::vector<std::string> problems;
  if (create_schema) {
    Result<sqlite3*> db = Db();
    if (!db.ok()) return db.status();
    bool created = false;
    for (const TenantTable& t : wanted) {
      if (find(t.move.name) || t.move.name.find('.') != std::string::npos) continue;
      std::string sql = "CREATE TABLE " + QuoteSqlIdent(t.move.name) + " (";
      for (size_t i = 0; i < t.columns.size(); ++i) {
        const TableColumn& c = t.columns[i];
        const std::string type = t.engine == Engine::kSqlite ? c.type : SqliteTypeFor(c.kind);
        sql += (i ? ", " : "") + QuoteSqlIdent(c.name) + (type.empty() ? "" : " " + type);
        if (c.not_null) sql += " NOT NULL";
      }
      if (!t.move.key_columns.empty()) {
        sql += ", PRIMARY KEY (";
        for (size_t i = 0; i < t.move.key_columns.size(); ++i) {
          sql += (i ? ", " : "") + QuoteSqlIdent(t.move.key_columns[i]);
        }
        sql += ")";
      }
      sql += ")";
      if (int rc = Exec(*db, sql); rc != SQLITE_OK)
        return Fail("creating table " + t.move.name, rc);
      created = true;
    }
    if (created) {
      have = AllTables();
      if (!have.ok()) return have.status();
    }
  }
  std::vector<TenantTable> out;
  for (const TenantTable& t : wanted) {
    if (t.move.name.find('.') != std::string::npos) {
      problems.push_back(label_ + " cannot hold table " + t.move.name +
                         ": SQLite shards have no schemas");
      continue;
    }
    const TenantTable* h = find(t.move.name);
    if (!h) {
      problems.push_back(label_ + " has no table " + t.move.name);
      continue;
    }
    TenantTable mine = *h;
    for (const TableColumn& c : t.columns) {
      auto it = std::find_if(h->columns.begin(), h->columns.end(),
                             [&](const TableColumn& x) { return SameName(x.name, c.name); });
      if (it == h->columns.end()) {
        problems.push_back(label_ + ": table " + t.move.name + " has no column " + c.name + " (" +
                           c.type + ")");
      }
    }
    mine.move.tenant_key = t.move.tenant_key;
    out.push_back(std::move(mine));
  }
  if (problems.empty()) return out;
  std::string message = "the target's schema does not match the source's";
  for (const std::string& p : problems) message += "\n  " + p;
  if (!create_schema) message += "\n  (--create-schema creates missing tables like the source)";
  return InvalidArgument(message);
}

Status SqliteTenantTables::RaiseFence(const std::vector<MoveTable>& tables,
                                      const std::string& tenant, uint64_t epoch,
                                      const std::string& move_id, std::chrono::milliseconds wait) {
  Result<sqlite3*> db = Db();
  if (!db.ok()) return db.status();
  // The write lock is the wait for in-flight writers: SQLite has one at a time.
  sqlite3_busy_timeout(*db, static_cast<int>(std::max<int64_t>(wait.count(), 1)));
  WriteTxn txn(*db);
  int rc = txn.Begin();
  sqlite3_busy_timeout(*db, static_cast<int>(busy_timeout_.count()));
  if ((rc & 0xff) == SQLITE_BUSY) {
    return Unavailable(label_ + ": tenant " + tenant + " still had transactions in flight after " +
                       std::to_string(wait.count()) + " ms; fence not raised");
  }
  if (rc != SQLITE_OK) return Fail("fencing tenant " + tenant, rc);
  if (rc = Exec(*db, kFenceTableSql); rc != SQLITE_OK) return Fail("creating domicile_fence", rc);
  Result<std::vector<Row>> stored = Query(
      *db,
      "INSERT INTO domicile_fence (tenant, epoch, move_id) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (tenant) DO UPDATE SET epoch = excluded.epoch, move_id = excluded.move_id, "
      "fenced_at = excluded.fenced_at",
      {tenant, std::to_string(epoch), move_id}, &rc);
  if (!stored.ok()) return Fail("fencing tenant " + tenant, rc);
  // Recreated each time: the tables may have changed since an earlier fence.
  Result<std::vector<Row>> old = TenantTriggers(*db, tenant, &rc);
  if (!old.ok()) return Fail("reading fence triggers", rc);
  if (rc = DropTriggers(*db, *old); rc != SQLITE_OK) return Fail("dropping fence triggers", rc);
  for (const MoveTable& t : tables) {
    for (const std::string& sql : TriggerSql(t, tenant)) {
      if (rc = Exec(*db, sql); rc != SQLITE_OK) return Fail("fencing table " + t.name, rc);
    }
  }
  if (rc = txn.Commit(); rc != SQLITE_OK) return Fail("fencing tenant " + tenant, rc);
  return {};
}

Status SqliteTenantTables::LowerFence(const std::string& tenant, const std::string& move_id) {
  Result<sqlite3*> db = Db();
  if (!db.ok()) return db.status();
  WriteTxn txn(*db);
  int rc = txn.Begin();
  if (rc != SQLITE_OK) return Fail("lowering the fence of " + tenant, rc);
  if (!HasFenceTable(*db, &rc)) return rc == SQLITE_OK ? Status() : Fail("reading fences", rc);
  Result<std::vector<Row>> gone = Query(
      *db, "DELETE FROM domicile_fence WHERE tenant = ?1 AND move_id = ?2", {tenant, move_id}, &rc);
  if (!gone.ok()) return Fail("lowering the fence of " + tenant, rc);
  Result<std::vector<Row>> left =
      Query(*db, "SELECT 1 FROM domicile_fence WHERE tenant = ?1", {tenant}, &rc);
  if (!left.ok()) return Fail("reading fences", rc);
  if (left->empty()) {
    Result<std::vector<Row>> triggers = TenantTriggers(*db, tenant, &rc);
    if (!triggers.ok()) return Fail("reading fence triggers", rc);
    if (rc = DropTriggers(*db, *triggers); rc != SQLITE_OK)
      return Fail("dropping fence triggers", rc);
  }
  if (rc = txn.Commit(); rc != SQLITE_OK) return Fail("lowering the fence of " + tenant, rc);
  return {};
}

Status SqliteTenantTables::Purge(const std::vector<MoveTable>& tables, const std::string& tenant) {
  Result<sqlite3*> db = Db();
  if (!db.ok()) return db.status();
  WriteTxn txn(*db);
  int rc = txn.Begin();
  if (rc != SQLITE_OK) return Fail("purging tenant " + tenant, rc);
  std::string what;
  if (!DeleteUnfenced(*db, tables, tenant, &rc, &what).ok()) return Fail(what, rc);
  if (HasFenceTable(*db, &rc)) {
    Result<std::vector<Row>> gone =
        Query(*db, "DELETE FROM domicile_fence WHERE tenant = ?1", {tenant}, &rc);
    if (!gone.ok()) return Fail("removing the fence of " + tenant, rc);
    Result<std::vector<Row>> left = Query(*db, "SELECT 1 FROM domicile_fence LIMIT 1", {}, &rc);
    if (!left.ok()) return Fail("reading fences", rc);
    if (left->empty() && (rc = Exec(*db, "DROP TABLE domicile_fence")) != SQLITE_OK) {
      return Fail("dropping domicile_fence", rc);
    }
  } else if (rc != SQLITE_OK) {
    return Fail("reading fences", rc);
  }
  if (rc = txn.Commit(); rc != SQLITE_OK) return Fail("purging tenant " + tenant, rc);
  return {};
}

Status SqliteTenantTables::DeleteRows(const std::vector<MoveTable>& tables,
                                      const std::string& tenant) {
  Result<sqlite3*> db = Db();
  if (!db.ok()) return db.status();
  WriteTxn txn(*db);
  int rc = txn.Begin();
  if (rc != SQLITE_OK) return Fail("deleting the rows of " + tenant, rc);
  // A fence stays as it was: its triggers step aside inside this transaction only.
  std::string what;
  Result<std::vector<Row>> triggers = DeleteUnfenced(*db, tables, tenant, &rc, &what);
  if (!triggers.ok()) return Fail(what, rc);
  for (const Row& t : *triggers) {
    if (rc = Exec(*db, t[1].value_or("")); rc != SQLITE_OK) {
      return Fail("restoring fence trigger " + t[0].value_or(""), rc);
    }
  }
  if (rc = txn.Commit(); rc != SQLITE_OK) return Fail("deleting the rows of " + tenant, rc);
  return {};
}

}  // namespace domicile::sqlitemove
