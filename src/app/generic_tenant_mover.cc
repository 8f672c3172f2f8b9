#include "app/generic_tenant_mover.h"

#include <algorithm>
#include <functional>
#include <span>

#include "app/row_checksum.h"
#include "ports/sql_text.h"

namespace domicile {
namespace {

using RowFn = std::function<Status(std::span<const Value>)>;

uint64_t ValueBytes(const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return s->size();
  if (const auto* b = std::get_if<Bytes>(&value)) return b->data.size();
  if (std::holds_alternative<bool>(value)) return 1;
  if (std::holds_alternative<std::monostate>(value)) return 0;
  return 8;
}

Status On(const std::string& label, const std::string& what, const Status& status) {
  if (status.ok()) return status;
  return Status(status.code(), label + ": " + what + ": " + status.message());
}

// What one read of a table's tenant rows selects.
struct ReadSpec {
  std::string table;
  std::string tenant_key;
  std::vector<std::string> columns;  // handed to the callback, in this order
  std::vector<std::string> key_columns;
  bool pageable = false;  // a NOT NULL primary key orders the rows and resumes each page
};

ReadSpec SpecFor(const TenantTable& table, const std::vector<std::string>& columns) {
  ReadSpec spec{table.move.name, table.move.tenant_key, columns, table.move.key_columns, false};
  spec.pageable = !spec.key_columns.empty();
  for (const std::string& key : spec.key_columns) {
    auto it = std::find_if(table.columns.begin(), table.columns.end(),
                           [&](const TableColumn& c) { return c.name == key; });
    if (it == table.columns.end() || !it->not_null) spec.pageable = false;
  }
  return spec;
}

// Hands each row of one query to `on_row` (its first `visible` values) and keeps the last
// row's key values for the next page.
class PageSink final : public RowSink {
 public:
  PageSink(size_t visible, const std::vector<size_t>& key_at, const RowFn& on_row)
      : visible_(visible), key_at_(key_at), on_row_(on_row) {}

  void OnColumns(const std::vector<Column>& columns) override {
    if (columns.size() < visible_) {
      status_ = Internal("expected " + std::to_string(visible_) + " columns, got " +
                         std::to_string(columns.size()));
    }
  }
  bool OnRow(std::span<const Value> row) override {
    if (!status_.ok()) return false;
    ++rows_;
    status_ = on_row_(row.first(visible_));
    last_key_.clear();
    for (size_t at : key_at_) last_key_.push_back(row[at]);
    return status_.ok();
  }

  const Status& status() const { return status_; }
  size_t rows() const { return rows_; }
  const std::vector<Value>& last_key() const { return last_key_; }

 private:
  size_t visible_;
  const std::vector<size_t>& key_at_;
  const RowFn& on_row_;
  Status status_;
  size_t rows_ = 0;
  std::vector<Value> last_key_;
};

// Every row of `tenant` in the table, page by page when the spec allows it.
Status ForEachTenantRow(ShardSession& session, const ReadSpec& spec, const std::string& tenant,
                        size_t page_rows, const RowFn& on_row) {
  std::vector<std::string> select = spec.columns;
  std::vector<size_t> key_at;
  for (const std::string& key : spec.key_columns) {
    auto it = std::find(select.begin(), select.end(), key);
    if (it == select.end()) it = select.insert(select.end(), key);
    key_at.push_back(static_cast<size_t>(it - select.begin()));
  }
  const std::string base = "SELECT " + QuoteSqlColumns(select) + " FROM " +
                           QuoteSqlName(spec.table) + " WHERE " + QuoteSqlIdent(spec.tenant_key) +
                           " = $1";
  if (!spec.pageable || page_rows == 0) {
    PageSink sink(spec.columns.size(), key_at, on_row);
    const Value params[] = {tenant};
    Result<ExecResult> read = session.Execute(base, params, &sink);
    if (!read.ok()) return read.status();
    return sink.status();
  }
  const std::string order =
      " ORDER BY " + QuoteSqlColumns(spec.key_columns) + " LIMIT " + std::to_string(page_rows);
  std::string after = " AND (" + QuoteSqlColumns(spec.key_columns) + ") > (";
  for (size_t i = 0; i < spec.key_columns.size(); ++i) {
    after += (i ? ", $" : "$") + std::to_string(i + 2);
  }
  after += ")";
  std::vector<Value> params = {tenant};
  while (true) {
    PageSink sink(spec.columns.size(), key_at, on_row);
    Result<ExecResult> read =
        session.Execute(params.size() == 1 ? base + order : base + after + order, params, &sink);
    if (!read.ok()) return read.status();
    DOMICILE_RETURN_IF_ERROR(sink.status());
    if (sink.rows() < page_rows) return {};
    params.resize(1);
    params.insert(params.end(), sink.last_key().begin(), sink.last_key().end());
  }
}

// The record's tables as `shard` has them now (missing ones are an error when `required`).
Result<std::vector<TenantTable>> RecordTables(GenericMoveShard& shard,
                                              const GenericMoveContext& context, bool required) {
  if (context.tables.empty()) {
    return InvalidArgument("move " + context.move_id + " has no tables yet (plan it first)");
  }
  Result<std::vector<TenantTable>> found = shard.tables->List(context.rules);
  if (!found.ok()) return found.status();
  std::vector<TenantTable> out;
  for (const std::string& name : context.tables) {
    auto it = std::find_if(found->begin(), found->end(),
                           [&](const TenantTable& t) { return t.move.name == name; });
    if (it != found->end()) {
      out.push_back(*it);
    } else if (required) {
      return InvalidArgument(shard.label + " no longer has table " + name +
                             " (or it lost its tenant key column)");
    }
  }
  return out;
}

// count(*) of the tenant's rows in `table`.
Result<uint64_t> CountTenantRows(ShardSession& session, const MoveTable& table,
                                 const std::string& tenant) {
  class CountSink final : public RowSink {
   public:
    void OnColumns(const std::vector<Column>&) override {}
    bool OnRow(std::span<const Value> row) override {
      if (const auto* n = std::get_if<int64_t>(&row[0])) count = static_cast<uint64_t>(*n);
      return true;
    }
    uint64_t count = 0;
  } sink;
  const Value params[] = {tenant};
  Result<ExecResult> read =
      session.Execute("SELECT count(*) FROM " + QuoteSqlName(table.name) + " WHERE " +
                          QuoteSqlIdent(table.tenant_key) + " = $1",
                      params, &sink);
  if (!read.ok()) return read.status();
  return sink.count;
}

}  // namespace

// The target side of a copy: multi-row INSERTs in write transactions that are committed
// (and begun again) once they are older than the bound.
class GenericTenantMover::Writer {
 public:
  Writer(ShardSession& session, const GenericMoveOptions& options)
      : session_(session), options_(options) {}

  Status Begin() {
    began_ = std::chrono::steady_clock::now();
    return session_.Begin();
  }
  Status Exec(const std::string& sql, std::span<const Value> params) {
    return session_.Execute(sql, params, nullptr).status();
  }
  // Rows added from now on go to `table`'s `columns`, on a shard of `engine`.
  Status StartTable(const std::string& table, const std::vector<std::string>& columns,
                    Engine engine) {
    DOMICILE_RETURN_IF_ERROR(Flush());
    prefix_ = "INSERT INTO " + QuoteSqlName(table) + " (" + QuoteSqlColumns(columns) + ") VALUES ";
    columns_ = columns.size();
    const size_t parameters =
        engine == Engine::kSqlite ? options_.sqlite_max_parameters : options_.max_parameters;
    batch_rows_ = std::max<size_t>(
        1, std::min(options_.batch_rows, parameters / std::max<size_t>(columns_, 1)));
    full_sql_ = Sql(batch_rows_);
    return {};
  }
  // `kinds`: converts each value for the target's column kinds (engines that differ).
  Status Add(std::span<const Value> row, const std::vector<ColumnType>* kinds) {
    for (size_t i = 0; i < row.size(); ++i) {
      pending_.push_back(kinds ? CoerceForKind(row[i], (*kinds)[i]) : row[i]);
    }
    if (pending_.size() >= batch_rows_ * columns_) return Flush();
    return {};
  }
  Status Flush() {
    if (pending_.empty()) return {};
    const size_t rows = pending_.size() / columns_;
    DOMICILE_RETURN_IF_ERROR(
        session_.Execute(rows == batch_rows_ ? full_sql_ : Sql(rows), pending_, nullptr).status());
    pending_.clear();
    if (std::chrono::steady_clock::now() - began_ >= options_.max_write_transaction) {
      DOMICILE_RETURN_IF_ERROR(session_.Commit());
      return Begin();
    }
    return {};
  }
  Status Commit() {
    DOMICILE_RETURN_IF_ERROR(Flush());
    return session_.Commit();
  }

 private:
  std::string Sql(size_t rows) const {
    std::string sql = prefix_;
    sql.reserve(prefix_.size() + rows * columns_ * 8);
    size_t n = 0;
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (size_t c = 0; c < columns_; ++c) {
        sql += c ? ", $" : "$";
        sql += std::to_string(++n);
      }
      sql += ')';
    }
    return sql;
  }

  ShardSession& session_;
  const GenericMoveOptions& options_;
  std::string prefix_;
  std::string full_sql_;
  size_t columns_ = 1;
  size_t batch_rows_ = 1;
  std::vector<Value> pending_;
  std::chrono::steady_clock::time_point began_;
};

GenericTenantMover::GenericTenantMover(GenericMoveShard source, GenericMoveShard target,
                                       GenericMoveContext context, GenericMoveOptions options)
    : source_(std::move(source)),
      target_(std::move(target)),
      context_(std::move(context)),
      options_(options) {}

GenericTenantMover::~GenericTenantMover() = default;

std::vector<GenericTenantMover::Pair> GenericTenantMover::MakePairs(
    std::vector<TenantTable> source, std::vector<TenantTable> target) const {
  std::vector<Pair> pairs;
  for (size_t i = 0; i < source.size() && i < target.size(); ++i) {
    Pair p{std::move(source[i]), std::move(target[i]), {}, {}};
    for (const TableColumn& c : p.source.columns) {
      auto it = std::find_if(p.target.columns.begin(), p.target.columns.end(),
                             [&](const TableColumn& t) { return t.name == c.name; });
      const ColumnType target_kind = it == p.target.columns.end() ? c.kind : it->kind;
      p.target_kinds.push_back(target_kind);
      p.common_kinds.push_back(CommonKind(c.kind, target_kind));
    }
    pairs.push_back(std::move(p));
  }
  return pairs;
}

Result<std::vector<GenericTenantMover::Pair>> GenericTenantMover::Pairs() {
  if (pairs_) return *pairs_;
  Result<std::vector<TenantTable>> source = RecordTables(source_, context_, true);
  if (!source.ok()) return source.status();
  Result<std::vector<TenantTable>> target =
      target_.tables->CheckTarget(*source, context_.rules, /*create_schema=*/false);
  if (!target.ok()) return target.status();
  pairs_ = MakePairs(std::move(*source), std::move(*target));
  return *pairs_;
}

Result<std::vector<MoveTable>> GenericTenantMover::MoveTables() {
  Result<std::vector<TenantTable>> source = RecordTables(source_, context_, true);
  if (!source.ok()) return source.status();
  std::vector<MoveTable> out;
  for (const TenantTable& t : *source) out.push_back(t.move);
  return out;
}

Result<std::vector<MoveTable>> GenericTenantMover::PlanTables(bool create_schema) {
  Result<std::vector<TenantTable>> found = source_.tables->List(context_.rules);
  if (!found.ok()) return found.status();
  if (found->empty()) {
    return InvalidArgument(source_.label + " has no table with a tenant key column (" +
                           context_.rules.default_key_column + " by default)");
  }
  Result<std::vector<TenantTable>> target =
      target_.tables->CheckTarget(*found, context_.rules, create_schema);
  if (!target.ok()) return target.status();
  std::vector<MoveTable> tables;
  context_.tables.clear();
  for (const TenantTable& t : *found) {
    tables.push_back(t.move);
    context_.tables.push_back(t.move.name);
  }
  pairs_ = MakePairs(std::move(*found), std::move(*target));
  return tables;
}

Status GenericTenantMover::PrepareSource() { return {}; }  // FenceSource installs what it needs

Status GenericTenantMover::CleanTarget() {
  // The target's own view: a rollback must not need the source.
  Result<std::vector<TenantTable>> target = RecordTables(target_, context_, false);
  if (!target.ok()) return target.status();
  std::vector<MoveTable> tables;
  for (const TenantTable& t : *target) tables.push_back(t.move);
  return target_.tables->DeleteRows(tables, context_.tenant);
}

Status GenericTenantMover::Copy(const SnapshotFn& on_snapshot, const CopyProgressFn& progress) {
  Result<std::vector<Pair>> pairs = Pairs();
  if (!pairs.ok()) return pairs.status();
  // No snapshot or stream to name: the tenant is frozen, so any read is the snapshot.
  DOMICILE_RETURN_IF_ERROR(on_snapshot(SnapshotPoint{}));
  Result<std::unique_ptr<ShardSession>> source = source_.storage->Open();
  if (!source.ok()) return On(source_.label, "opening a session", source.status());
  Result<std::unique_ptr<ShardSession>> target = target_.storage->Open();
  if (!target.ok()) return On(target_.label, "opening a session", target.status());
  DOMICILE_RETURN_IF_ERROR(On(source_.label, "BEGIN", (*source)->Begin()));
  Writer writer(**target, options_);
  auto fail = [&](Status s) {
    (void)(*target)->Rollback();
    (void)(*source)->Rollback();
    return s;
  };
  if (Status s = writer.Begin(); !s.ok()) return fail(On(target_.label, "BEGIN", s));
  const Value tenant[] = {context_.tenant};
  for (const Pair& p : *pairs) {
    // The rows to come, for the progress bar's ETA (the tenant is frozen: the count holds).
    Result<uint64_t> expected = CountTenantRows(**source, p.source.move, context_.tenant);
    if (!expected.ok())
      return fail(On(source_.label, "counting " + p.source.move.name, expected.status()));
    if (Status s = progress({p.source.move.name, 0, 0, *expected}); !s.ok()) return fail(s);
  }
  for (const Pair& p : *pairs) {
    Status s = writer.Exec("DELETE FROM " + QuoteSqlName(p.target.move.name) + " WHERE " +
                               QuoteSqlIdent(p.target.move.tenant_key) + " = $1",
                           tenant);
    if (!s.ok())
      return fail(On(target_.label, "deleting the tenant's rows of " + p.target.move.name, s));
  }
  for (const Pair& p : *pairs) {
    if (Status s = CopyTable(p, **source, writer, progress); !s.ok()) return fail(s);
  }
  if (Status s = writer.Commit(); !s.ok()) return fail(On(target_.label, "COMMIT", s));
  (void)(*source)->Rollback();  // it only read
  return {};
}

Status GenericTenantMover::CopyTable(const Pair& p, ShardSession& source, Writer& writer,
                                     const CopyProgressFn& progress) {
  const std::string& name = p.source.move.name;
  if (Status s = writer.StartTable(p.target.move.name, p.source.move.columns, p.target.engine);
      !s.ok()) {
    return On(target_.label, "copying " + name, s);
  }
  const std::vector<ColumnType>* kinds =
      p.source.engine == p.target.engine ? nullptr : &p.target_kinds;
  CopyProgress pending{name, 0, 0};
  auto last_report = std::chrono::steady_clock::now();
  Status target_error;
  Status read = ForEachTenantRow(
      source, SpecFor(p.source, p.source.move.columns), context_.tenant, options_.page_rows,
      [&](std::span<const Value> row) -> Status {
        if (Status s = writer.Add(row, kinds); !s.ok()) {
          target_error = On(target_.label, "copying " + name, s);
          return target_error;
        }
        ++pending.rows;
        for (const Value& v : row) pending.bytes += ValueBytes(v);
        if ((pending.rows & 255) == 0 &&
            std::chrono::steady_clock::now() - last_report >= options_.progress_every) {
          last_report = std::chrono::steady_clock::now();
          DOMICILE_RETURN_IF_ERROR(progress(pending));
          pending.rows = pending.bytes = 0;
        }
        return {};
      });
  if (!target_error.ok()) return target_error;
  if (!read.ok()) return On(source_.label, "reading " + name, read);
  if (Status s = writer.Flush(); !s.ok()) return On(target_.label, "copying " + name, s);
  return progress(pending);
}

Status GenericTenantMover::StartStreamHere() {
  return InvalidArgument("a move between " + source_.label + " and " + target_.label +
                         " has no change stream (the tenant is frozen instead)");
}

Result<std::unique_ptr<ChangeStream>> GenericTenantMover::OpenStream() { return StartStreamHere(); }

Result<TableCheck> GenericTenantMover::CheckTable(const Pair& p) {
  TableCheck check{p.source.move.name, 0, "", 0, ""};
  for (GenericMoveShard* shard : {&source_, &target_}) {
    const TenantTable& table = shard == &source_ ? p.source : p.target;
    Result<std::unique_ptr<ShardSession>> session = shard->storage->Open();
    if (!session.ok()) return On(shard->label, "opening a session", session.status());
    TableChecksum sum(p.common_kinds);
    // The source's columns on both sides: a target's extra columns are not part of the move.
    Status read =
        ForEachTenantRow(**session, SpecFor(table, p.source.move.columns), context_.tenant,
                         options_.page_rows, [&](std::span<const Value> row) -> Status {
                           sum.Add(row);
                           return {};
                         });
    if (!read.ok()) return On(shard->label, "verifying " + table.move.name, read);
    (shard == &source_ ? check.source_rows : check.target_rows) = sum.rows();
    (shard == &source_ ? check.source_checksum : check.target_checksum) = sum.checksum();
  }
  return check;
}

Result<std::vector<TableCheck>> GenericTenantMover::VerifyFrozen(
    const std::vector<std::string>& names) {
  Result<std::vector<Pair>> pairs = Pairs();
  if (!pairs.ok()) return pairs.status();
  std::vector<TableCheck> out;
  for (const Pair& p : *pairs) {
    if (std::find(names.begin(), names.end(), p.source.move.name) == names.end()) continue;
    Result<TableCheck> check = CheckTable(p);
    if (!check.ok()) return check.status();
    out.push_back(std::move(*check));
  }
  return out;
}

Status GenericTenantMover::FenceSource(uint64_t epoch, std::chrono::milliseconds wait) {
  Result<std::vector<MoveTable>> tables = MoveTables();
  if (!tables.ok()) return tables.status();
  return source_.tables->RaiseFence(*tables, context_.tenant, epoch, context_.move_id, wait);
}

Status GenericTenantMover::UnfenceSource() {
  return source_.tables->LowerFence(context_.tenant, context_.move_id);
}

Status GenericTenantMover::DropStream() { return {}; }

Status GenericTenantMover::PurgeSource() {
  Result<std::vector<MoveTable>> tables = MoveTables();
  if (!tables.ok()) return tables.status();
  return source_.tables->Purge(*tables, context_.tenant);
}

}  // namespace domicile
