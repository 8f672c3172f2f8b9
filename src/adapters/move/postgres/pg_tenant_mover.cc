#include "adapters/move/postgres/pg_tenant_mover.h"

#include <chrono>
#include <functional>

#include "adapters/move/postgres/lsn.h"
#include "adapters/move/postgres/pg_change_stream.h"
#include "adapters/move/postgres/pg_fence.h"
#include "adapters/move/postgres/replication_connection.h"

namespace domicile::pgmove {
namespace {

// Progress is reported at most this often (each report is a catalog write).
constexpr auto kProgressEvery = std::chrono::milliseconds(500);

std::string TenantFilter(const MoveTable& t, const std::string& tenant) {
  return QuoteIdent(t.tenant_key) + " = " + QuoteLiteral(tenant);
}

}  // namespace

MoveNames MoveNames::For(const std::string& move_id) {
  std::string clean;
  for (char c : move_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    clean += ok ? c : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '_';
  }
  // Ids that differ only in characters mapped to '_' must not share a slot: add a hash.
  const size_t hash = std::hash<std::string>{}(move_id) % 0xFFFFFF;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06zx", hash);
  std::string name = "domicile_" + clean.substr(0, 40) + "_" + suffix;
  return {name, name};
}

std::string ShardLabel(const Shard& shard) { return "shard " + shard.id; }

std::string ChecksumSql(const MoveTable& table) {
  std::string row;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) row += ", ";
    row += QuoteIdent(table.columns[i]);
  }
  return "SELECT count(*), coalesce(sum(hashtextextended(ROW(" + row +
         ")::text, 0)), 0)::text FROM " + QualifiedName(table.name) + " WHERE ";
}

PostgresTenantMover::PostgresTenantMover(PgMoveContext context)
    : context_(std::move(context)), names_(MoveNames::For(context_.move_id)) {}
PostgresTenantMover::~PostgresTenantMover() = default;

Result<PgLink*> PostgresTenantMover::Source() {
  if (!source_) {
    Result<PgLink> link = PgLink::Connect(context_.source.address, ShardLabel(context_.source));
    if (!link.ok()) return link.status();
    source_.emplace(std::move(*link));
  }
  return &*source_;
}

Result<PgLink*> PostgresTenantMover::Target() {
  if (!target_) {
    Result<PgLink> link = PgLink::Connect(context_.target.address, ShardLabel(context_.target));
    if (!link.ok()) return link.status();
    target_.emplace(std::move(*link));
  }
  return &*target_;
}

Result<std::vector<MoveTable>> PostgresTenantMover::Tables() {
  if (tables_) return *tables_;
  Result<PgLink*> source = Source();
  if (!source.ok()) return source.status();
  Result<std::vector<PgTable>> found = ListTenantTables(**source, context_.rules);
  if (!found.ok()) return found.status();
  std::vector<MoveTable> tables;
  for (const std::string& name : context_.tables) {
    auto it = std::find_if(found->begin(), found->end(),
                           [&](const PgTable& t) { return t.move.name == name; });
    if (it == found->end()) {
      return InvalidArgument(ShardLabel(context_.source) + " no longer has table " + name +
                             " (or it lost its tenant key column)");
    }
    tables.push_back(it->move);
  }
  tables_ = tables;
  return tables;
}

Result<PostgresTenantMover::Session> PostgresTenantMover::Open(bool with_target) {
  Result<std::vector<MoveTable>> tables = Tables();
  if (!tables.ok()) return tables.status();
  Result<PgLink*> source = Source();
  if (!source.ok()) return source.status();
  Session session{std::move(*tables), *source, nullptr};
  if (with_target) {
    Result<PgLink*> target = Target();
    if (!target.ok()) return target.status();
    session.target = *target;
  }
  return session;
}

Result<std::vector<MoveTable>> PostgresTenantMover::PlanTables(bool create_schema) {
  Result<PgLink*> source = Source();
  if (!source.ok()) return source.status();
  Result<PgLink*> target = Target();
  if (!target.ok()) return target.status();
  Result<std::vector<PgTable>> found = ListTenantTables(**source, context_.rules);
  if (!found.ok()) return found.status();
  if (found->empty()) {
    return InvalidArgument(ShardLabel(context_.source) + " has no table with a tenant key column (" +
                           context_.rules.default_key_column + " by default)");
  }
  DOMICILE_RETURN_IF_ERROR(CheckStreamable(*found, ShardLabel(context_.source)));
  DOMICILE_RETURN_IF_ERROR(CheckTargetTables(**source, **target, *found, context_.rules,
                                             create_schema));
  // Logical decoding must be on before anything else is set up.
  Result<Rows> level = (*source)->Exec("SHOW wal_level");
  if (!level.ok()) return level.status();
  if (level->At(0, 0) != "logical") {
    return PolicyRefused(ShardLabel(context_.source) + ": wal_level is " + level->At(0, 0) +
                         "; online moves need wal_level = logical (postgresql.conf, restart)");
  }
  std::vector<MoveTable> tables;
  context_.tables.clear();
  for (const PgTable& t : *found) {
    tables.push_back(t.move);
    context_.tables.push_back(t.move.name);
  }
  tables_ = tables;
  return tables;
}

Status PostgresTenantMover::PrepareSource() {
  Result<Session> open = Open(/*with_target=*/false);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  DOMICILE_RETURN_IF_ERROR(InstallFenceChecks(source, tables));
  return PrepareFence(source, context_.tenant, context_.move_id);
}

Status PostgresTenantMover::CleanTarget() {
  Result<std::vector<MoveTable>> tables = Tables();
  if (!tables.ok()) return tables.status();
  Result<PgLink*> target = Target();
  if (!target.ok()) return target.status();
  Result<Rows> cleaned = (*target)->Exec(
      std::string(kPositionTableSql) + "; BEGIN; " + DeleteTenantRowsSql(*tables, context_.tenant) +
      " DELETE FROM domicile_move_position WHERE move_id = " + QuoteLiteral(context_.move_id) +
      "; COMMIT;");
  if (!cleaned.ok()) {
    target_.reset();
    return cleaned.status();
  }
  return DropStream();
}

Status PostgresTenantMover::CreatePublication(PgLink& source, const std::vector<MoveTable>& tables) {
  std::string sql = "DROP PUBLICATION IF EXISTS " + QuoteIdent(names_.publication) +
                    "; CREATE PUBLICATION " + QuoteIdent(names_.publication) + " FOR TABLE ";
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i) sql += ", ";
    sql += QualifiedName(tables[i].name) + " WHERE (" + TenantFilter(tables[i], context_.tenant) + ")";
  }
  Result<Rows> made = source.Exec(sql);
  return made.ok() ? Status() : made.status();
}

Status PostgresTenantMover::Copy(const SnapshotFn& on_snapshot, const CopyProgressFn& progress) {
  Result<Session> open = Open(/*with_target=*/true);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  PgLink& target = *open->target;
  auto fail = [&](Status s) {
    source_.reset();  // closing the connections rolls back both sides
    target_.reset();
    return s;
  };

  Result<ReplicationConnection> repl =
      ReplicationConnection::Open(context_.source.address, ShardLabel(context_.source));
  if (!repl.ok()) return repl.status();
  DOMICILE_RETURN_IF_ERROR(repl->DropSlot(names_.slot));
  // The publication must exist before the slot: pgoutput reads it as of each change.
  if (Status s = CreatePublication(source, tables); !s.ok()) return fail(s);
  Result<CreatedSlot> slot = repl->CreateSlot(names_.slot, /*temporary=*/false,
                                              /*export_snapshot=*/true);
  if (!slot.ok()) return fail(slot.status());
  const std::string start = FormatLsn(slot->consistent_point);
  if (Status s = on_snapshot({slot->snapshot_name, names_.slot, start}); !s.ok()) return fail(s);

  // The snapshot lives as long as `repl` stays idle: read it before anything else.
  Result<Rows> began = source.Exec(
      "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " +
      QuoteLiteral(slot->snapshot_name));
  if (!began.ok()) return fail(began.status());
  Result<Rows> target_began = target.Exec(
      std::string(kPositionTableSql) + "; BEGIN; " + DeleteTenantRowsSql(tables, context_.tenant));
  if (!target_began.ok()) return fail(target_began.status());

  // The counts in the snapshot, for the progress bar's ETA (an index-only scan each).
  for (const MoveTable& t : tables) {
    Result<Rows> counted = source.Exec("SELECT count(*) FROM " + QualifiedName(t.name) +
                                           " WHERE " + TenantFilter(t, context_.tenant));
    if (!counted.ok()) return fail(counted.status());
    if (Status s = progress({t.name, 0, 0, std::stoull(counted->At(0, 0))}); !s.ok()) return fail(s);
  }
  for (const MoveTable& t : tables) {
    const std::string columns = ColumnList(t.columns);
    // Binary COPY: the planner checked that both sides have the same types, and binary
    // skips the text output and input functions on both servers.
    Status in = target.CopyInBegin("COPY " + QualifiedName(t.name) + " (" + columns +
                                       ") FROM STDIN (FORMAT binary)");
    if (!in.ok()) return fail(in);
    CopyProgress pending{t.name, 0, 0};
    auto last_report = std::chrono::steady_clock::now();
    // The server sends the binary header and trailer as messages of their own: every other
    // message is one row.
    uint64_t messages = 0;
    uint64_t reported = 0;  // rows of this table already passed to `progress`
    Result<uint64_t> copied = source.CopyOut(
        "COPY (SELECT " + columns + " FROM " + QualifiedName(t.name) + " WHERE " +
            TenantFilter(t, context_.tenant) + ") TO STDOUT (FORMAT binary)",
        [&](std::string_view row) -> Status {
          DOMICILE_RETURN_IF_ERROR(target.CopyInPut(row));
          if (++messages == 1) return {};  // the header
          ++pending.rows;
          pending.bytes += row.size();
          if ((pending.rows & 1023) == 0 &&
              std::chrono::steady_clock::now() - last_report >= kProgressEvery) {
            last_report = std::chrono::steady_clock::now();
            DOMICILE_RETURN_IF_ERROR(progress(pending));
            reported += pending.rows;
            pending.rows = pending.bytes = 0;
          }
          return {};
        });
    if (!copied.ok()) return fail(copied.status());
    Result<uint64_t> landed = target.CopyInEnd();
    if (!landed.ok()) return fail(landed.status());
    // The trailer was counted as a row above: the target's own count is the exact one.
    pending.rows = *landed >= reported ? *landed - reported : 0;
    if (Status s = progress(pending); !s.ok()) return fail(s);
  }
  if (Status s = StorePosition(start); !s.ok()) return fail(s);
  Result<Rows> committed = target.Exec("COMMIT");
  if (!committed.ok()) return fail(committed.status());
  (void)source.Exec("COMMIT");
  return {};
}

Status PostgresTenantMover::StorePosition(const std::string& position) {
  Result<PgLink*> target = Target();
  if (!target.ok()) return target.status();
  if (Result<Rows> made = (*target)->Exec(kPositionTableSql); !made.ok()) return made.status();
  Result<Rows> stored = (*target)->Exec(
      "INSERT INTO domicile_move_position (move_id, position) VALUES ($1, $2) "
      "ON CONFLICT (move_id) DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
      {context_.move_id, position});
  return stored.ok() ? Status() : stored.status();
}

Status PostgresTenantMover::StartStreamHere() {
  Result<Session> open = Open(/*with_target=*/false);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  // A slot made earlier stays: its creation waits for every running transaction, which must
  // not happen under hold. Only its start moves to now; transactions before are skipped.
  Result<Rows> existing = source.Exec(
      "SELECT pg_current_wal_lsn()::text, EXISTS (SELECT 1 FROM pg_replication_slots "
      "WHERE slot_name = $1)::text",
      {names_.slot});
  if (!existing.ok()) return existing.status();
  if (existing->At(0, 1) == "true") return StorePosition(existing->At(0, 0));
  Result<ReplicationConnection> repl =
      ReplicationConnection::Open(context_.source.address, ShardLabel(context_.source));
  if (!repl.ok()) return repl.status();
  DOMICILE_RETURN_IF_ERROR(CreatePublication(source, tables));
  Result<CreatedSlot> slot = repl->CreateSlot(names_.slot, /*temporary=*/false,
                                              /*export_snapshot=*/false);
  if (!slot.ok()) return slot.status();
  return StorePosition(FormatLsn(slot->consistent_point));
}

Result<std::unique_ptr<ChangeStream>> PostgresTenantMover::OpenStream() {
  Result<std::vector<MoveTable>> tables = Tables();
  if (!tables.ok()) return tables.status();
  return OpenPgChangeStream(context_, names_, *tables);
}

Result<std::vector<TableCheck>> PostgresTenantMover::VerifyFrozen(
    const std::vector<std::string>& names) {
  Result<Session> open = Open(/*with_target=*/true);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  PgLink& target = *open->target;
  std::vector<TableCheck> out;
  for (const MoveTable& t : tables) {
    if (std::find(names.begin(), names.end(), t.name) == names.end()) continue;
    const std::string sql = ChecksumSql(t) + TenantFilter(t, context_.tenant);
    Result<Rows> s = source.Exec(sql);
    if (!s.ok()) return s.status();
    Result<Rows> d = target.Exec(sql);
    if (!d.ok()) return d.status();
    out.push_back({t.name, std::stoull(s->At(0, 0)), s->At(0, 1), std::stoull(d->At(0, 0)),
                   d->At(0, 1)});
  }
  return out;
}

Status PostgresTenantMover::FenceSource(uint64_t epoch, std::chrono::milliseconds wait) {
  Result<Session> open = Open(/*with_target=*/false);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  return RaiseFence(source, tables, context_.tenant, epoch, context_.move_id, wait);
}

Status PostgresTenantMover::UnfenceSource() {
  Result<PgLink*> source = Source();
  if (!source.ok()) return source.status();
  return LowerFence(**source, context_.tenant, context_.move_id);
}

Status PostgresTenantMover::DropStream() {
  Result<ReplicationConnection> repl =
      ReplicationConnection::Open(context_.source.address, ShardLabel(context_.source));
  if (!repl.ok()) return repl.status();
  DOMICILE_RETURN_IF_ERROR(repl->DropSlot(names_.slot));
  Result<PgLink*> source = Source();
  if (!source.ok()) return source.status();
  Result<Rows> dropped =
      (*source)->Exec("DROP PUBLICATION IF EXISTS " + QuoteIdent(names_.publication));
  if (!dropped.ok()) return dropped.status();
  Result<PgLink*> target = Target();
  if (!target.ok()) return target.status();
  Result<Rows> position = (*target)->Exec(
      std::string(kPositionTableSql) + "; DELETE FROM domicile_move_position WHERE move_id = " +
      QuoteLiteral(context_.move_id));
  return position.ok() ? Status() : position.status();
}

Status PostgresTenantMover::PurgeSource() {
  Result<Session> open = Open(/*with_target=*/false);
  if (!open.ok()) return open.status();
  const std::vector<MoveTable>& tables = open->tables;
  PgLink& source = *open->source;
  return PurgeTenant(source, tables, context_.tenant);
}

}  // namespace domicile::pgmove
