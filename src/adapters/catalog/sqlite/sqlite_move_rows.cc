// Mapping between tenant move records and their rows: tenant_move and tenant_move_table.
#include "adapters/catalog/sqlite/sqlite_move_rows.h"

#include <array>
#include <limits>
#include <span>
#include <variant>

namespace domicile::sqlite {
namespace {

// One column per field, named once: the SELECT, INSERT and UPDATE texts and the code that binds
// and reads values are all made from these lists, so they cannot disagree about the order.
template <typename R>
using Member = std::variant<std::string R::*, uint64_t R::*, int64_t R::*, bool R::*, int R::*,
                            MoveState R::*>;
template <typename R>
struct Column {
  const char* name;
  Member<R> member;
};

// `id` first: UPDATE binds it as ?1 in its WHERE.
const Column<TenantMove> kMoveColumns[] = {
    {"id", &TenantMove::id},
    {"tenant", &TenantMove::tenant},
    {"source_shard", &TenantMove::source_shard},
    {"target_shard", &TenantMove::target_shard},
    {"planned_version", &TenantMove::planned_version},
    {"requires_freeze", &TenantMove::requires_freeze},
    {"relay_jurisdiction", &TenantMove::relay_jurisdiction},
    {"grace_ms", &TenantMove::grace_ms},
    {"state", &TenantMove::state},
    {"snapshot", &TenantMove::snapshot},
    {"slot", &TenantMove::slot},
    {"start_position", &TenantMove::start_position},
    {"applied_position", &TenantMove::applied_position},
    {"fence_epoch", &TenantMove::fence_epoch},
    {"source_fenced", &TenantMove::source_fenced},
    {"drained_position", &TenantMove::drained_position},
    {"flip_version", &TenantMove::flip_version},
    {"hold_ms", &TenantMove::hold_ms},
    {"source_purged", &TenantMove::source_purged},
    {"flips_back", &TenantMove::flips_back},
    {"reverse_position", &TenantMove::reverse_position},
    {"target_fenced", &TenantMove::target_fenced},
    {"reverse_drained", &TenantMove::reverse_drained},
    {"flipped_back", &TenantMove::flipped_back},
    {"planned_at_ms", &TenantMove::planned_at_ms},
    {"updated_at_ms", &TenantMove::updated_at_ms},
    {"flipped_at_ms", &TenantMove::flipped_at_ms},
    {"grace_end_ms", &TenantMove::grace_end_ms},
    {"ended_at_ms", &TenantMove::ended_at_ms},
    {"failure", &TenantMove::failure},
    {"cutover_attempts", &TenantMove::cutover_attempts},
};

// Written after move_id (?1) and position (?2).
const Column<TableProgress> kTableColumns[] = {
    {"table_name", &TableProgress::table},
    {"rows_copied", &TableProgress::rows_copied},
    {"bytes_copied", &TableProgress::bytes_copied},
    {"verified", &TableProgress::verified},
    {"source_rows", &TableProgress::source_rows},
    {"target_rows", &TableProgress::target_rows},
    {"source_checksum", &TableProgress::source_checksum},
    {"target_checksum", &TableProgress::target_checksum},
};

// The same words as the partial unique index's WHERE, so SQLite can use that index.
constexpr const char* kUnfinished = "state NOT IN ('done', 'rolled-back')";

template <typename R>
std::string ColumnList(std::span<const Column<R>> cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

std::string Params(int first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out += (i == 0 ? "?" : ", ?") + std::to_string(first + static_cast<int>(i));
  }
  return out;
}

std::string SelectMoves(const std::string& where) {
  return "SELECT " + ColumnList<TenantMove>(kMoveColumns) + " FROM tenant_move WHERE " + where;
}

// Unsigned values keep their 64 bits in SQLite's signed integer, so they round-trip exactly.
Status BindValue(Stmt& s, int i, const std::string& v) { return s.Bind(i, std::string_view(v)); }
Status BindValue(Stmt& s, int i, uint64_t v) { return s.Bind(i, static_cast<int64_t>(v)); }
Status BindValue(Stmt& s, int i, int64_t v) { return s.Bind(i, v); }
Status BindValue(Stmt& s, int i, bool v) { return s.Bind(i, int64_t{v}); }
Status BindValue(Stmt& s, int i, int v) { return s.Bind(i, int64_t{v}); }
Status BindValue(Stmt& s, int i, MoveState v) { return s.Bind(i, MoveStateName(v)); }

// False when the stored value is not one the field can hold.
bool ReadValue(const Stmt& s, int col, std::string* out) {
  *out = s.Text(col);
  return true;
}
bool ReadValue(const Stmt& s, int col, uint64_t* out) {
  *out = static_cast<uint64_t>(s.Int(col));
  return true;
}
bool ReadValue(const Stmt& s, int col, int64_t* out) {
  *out = s.Int(col);
  return true;
}
bool ReadValue(const Stmt& s, int col, bool* out) {
  int64_t v = s.Int(col);
  *out = v != 0;
  return v == 0 || v == 1;
}
bool ReadValue(const Stmt& s, int col, int* out) {
  int64_t v = s.Int(col);
  *out = static_cast<int>(v);
  return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max();
}
bool ReadValue(const Stmt& s, int col, MoveState* out) {
  auto state = ParseMoveState(s.Text(col));
  if (state) *out = *state;
  return state.has_value();
}

// Binds `record`'s fields as ?first, ?first+1 ...
template <typename R>
Status BindColumns(Stmt& stmt, int first, const R& record, std::span<const Column<R>> cols) {
  for (size_t i = 0; i < cols.size(); ++i) {
    int index = first + static_cast<int>(i);
    DOMICILE_RETURN_IF_ERROR(std::visit(
        [&](auto member) { return BindValue(stmt, index, record.*member); }, cols[i].member));
  }
  return Status::Ok();
}

// Reads the row's columns 0.. into `out`; `owner` names the row in the kCorrupt message.
template <typename R>
Status ReadColumns(const Db& db, const Stmt& stmt, std::span<const Column<R>> cols,
                   const std::string& owner, R* out) {
  for (size_t i = 0; i < cols.size(); ++i) {
    int col = static_cast<int>(i);
    bool ok = std::visit([&](auto member) { return ReadValue(stmt, col, &(out->*member)); },
                         cols[i].member);
    if (!ok) {
      return Corrupt("catalog " + db.path() + ": " + owner + " has a bad " + cols[i].name +
                     " '" + std::string(stmt.Text(col)) + "'");
    }
  }
  return Status::Ok();
}

Status ReadTables(const Db& db, Stmt& select, TenantMove* move) {
  select.Reset();
  DOMICILE_RETURN_IF_ERROR(select.Bind(1, move->id));
  for (;;) {
    auto row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    TableProgress table;
    std::string owner = "move " + move->id + " table " + std::string(select.Text(0));
    DOMICILE_RETURN_IF_ERROR(ReadColumns<TableProgress>(db, select, kTableColumns, owner, &table));
    move->tables.push_back(std::move(table));
  }
}

// Reads every record `select` (bound by the caller) returns, each with its tables.
Result<std::vector<TenantMove>> ReadSelected(Db& db, Stmt& select) {
  auto tables = Stmt::Prepare(db, "SELECT " + ColumnList<TableProgress>(kTableColumns) +
                                      " FROM tenant_move_table WHERE move_id = ?1 "
                                      "ORDER BY position");
  if (!tables.ok()) return tables.status();
  std::vector<TenantMove> out;
  for (;;) {
    auto row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    TenantMove move;
    std::string owner = "move " + std::string(select.Text(0));
    DOMICILE_RETURN_IF_ERROR(ReadColumns<TenantMove>(db, select, kMoveColumns, owner, &move));
    DOMICILE_RETURN_IF_ERROR(ReadTables(db, *tables, &move));
    out.push_back(std::move(move));
  }
}

Result<std::optional<TenantMove>> ReadOne(Db& db, const std::string& where,
                                          const std::string& param) {
  auto select = Stmt::Prepare(db, SelectMoves(where));
  if (!select.ok()) return select.status();
  DOMICILE_RETURN_IF_ERROR(select->Bind(1, param));
  auto moves = ReadSelected(db, *select);
  if (!moves.ok()) return moves.status();
  if (moves->empty()) return std::optional<TenantMove>();
  return std::optional<TenantMove>(std::move(moves->front()));
}

bool IsConstraint(const Stmt& stmt) { return (stmt.last_code() & 0xff) == SQLITE_CONSTRAINT; }

// Why the row of `move` broke a constraint: its id is taken (when inserting) or the tenant has
// another unfinished move. Anything else keeps `original`.
Status MoveRowRefused(Db& db, const TenantMove& move, bool inserting, Status original) {
  if (inserting) {
    auto same_id = Stmt::Prepare(db, "SELECT 1 FROM tenant_move WHERE id = ?1");
    if (!same_id.ok()) return original;
    DOMICILE_RETURN_IF_ERROR(same_id->Bind(1, move.id));
    auto row = same_id->Step();
    if (row.ok() && *row) return AlreadyExists("move " + move.id + " already exists");
  }
  auto other = Stmt::Prepare(db, "SELECT id, state FROM tenant_move WHERE tenant = ?1 AND "
                                 "id <> ?2 AND " + std::string(kUnfinished));
  if (!other.ok()) return original;
  DOMICILE_RETURN_IF_ERROR(other->Bind(1, move.tenant));
  DOMICILE_RETURN_IF_ERROR(other->Bind(2, move.id));
  auto row = other->Step();
  if (row.ok() && *row) {
    return Conflict("tenant " + move.tenant + " already has an unfinished move " +
                    std::string(other->Text(0)) + " (" + std::string(other->Text(1)) + ")");
  }
  return original;
}

Status WriteMoveRow(Db& db, const TenantMove& move, bool inserting) {
  std::string sql;
  if (inserting) {
    sql = "INSERT INTO tenant_move (" + ColumnList<TenantMove>(kMoveColumns) + ") VALUES (" +
          Params(1, std::size(kMoveColumns)) + ")";
  } else {
    sql = "UPDATE tenant_move SET ";
    for (size_t i = 1; i < std::size(kMoveColumns); ++i) {
      sql += (i == 1 ? "" : ", ") + std::string(kMoveColumns[i].name) + " = ?" +
             std::to_string(i + 1);
    }
    sql += " WHERE id = ?1";
  }
  auto stmt = Stmt::Prepare(db, sql);
  if (!stmt.ok()) return stmt.status();
  DOMICILE_RETURN_IF_ERROR(BindColumns<TenantMove>(*stmt, 1, move, kMoveColumns));
  Status st = stmt->Run();
  if (!st.ok() && IsConstraint(*stmt)) return MoveRowRefused(db, move, inserting, st);
  return st;
}

Status WriteTables(Db& db, const TenantMove& move) {
  auto clear = Stmt::Prepare(db, "DELETE FROM tenant_move_table WHERE move_id = ?1");
  if (!clear.ok()) return clear.status();
  DOMICILE_RETURN_IF_ERROR(clear->Bind(1, move.id));
  DOMICILE_RETURN_IF_ERROR(clear->Run());
  auto insert = Stmt::Prepare(db, "INSERT INTO tenant_move_table (move_id, position, " +
                                      ColumnList<TableProgress>(kTableColumns) + ") VALUES (" +
                                      Params(1, 2 + std::size(kTableColumns)) + ")");
  if (!insert.ok()) return insert.status();
  for (size_t i = 0; i < move.tables.size(); ++i) {
    insert->Reset();
    DOMICILE_RETURN_IF_ERROR(insert->Bind(1, move.id));
    DOMICILE_RETURN_IF_ERROR(insert->Bind(2, static_cast<int64_t>(i)));
    DOMICILE_RETURN_IF_ERROR(
        BindColumns<TableProgress>(*insert, 3, move.tables[i], kTableColumns));
    Status st = insert->Run();
    if (!st.ok() && insert->last_code() == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return InvalidArgument(move.Label() + " lists table " + move.tables[i].table + " twice");
    }
    DOMICILE_RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<TenantMove>> ReadMove(Db& db, const std::string& id) {
  return ReadOne(db, "id = ?1", id);
}

Result<std::optional<TenantMove>> ReadUnfinishedMove(Db& db, const std::string& tenant) {
  return ReadOne(db, "tenant = ?1 AND " + std::string(kUnfinished), tenant);
}

Result<std::vector<TenantMove>> ReadMoves(Db& db, bool include_ended) {
  auto select = Stmt::Prepare(
      db, SelectMoves("?1 OR " + std::string(kUnfinished) + " ORDER BY planned_at_ms DESC, id"));
  if (!select.ok()) return select.status();
  DOMICILE_RETURN_IF_ERROR(select->Bind(1, int64_t{include_ended}));
  return ReadSelected(db, *select);
}

Status InsertMove(Db& db, const TenantMove& move) {
  DOMICILE_RETURN_IF_ERROR(WriteMoveRow(db, move, /*inserting=*/true));
  return WriteTables(db, move);
}

Status UpdateMove(Db& db, const TenantMove& move) {
  DOMICILE_RETURN_IF_ERROR(WriteMoveRow(db, move, /*inserting=*/false));
  return WriteTables(db, move);
}

}  // namespace domicile::sqlite
