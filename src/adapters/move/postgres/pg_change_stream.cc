#include "adapters/move/postgres/pg_change_stream.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <variant>

#include "adapters/move/postgres/lsn.h"
#include "adapters/move/postgres/pg_link.h"
#include "adapters/move/postgres/pgoutput.h"
#include "adapters/move/postgres/replication_connection.h"

namespace domicile::pgmove {
namespace {

using Clock = std::chrono::steady_clock;

// A relation as the stream describes it, matched to one of the move's tables.
struct StreamRelation {
  const MoveTable* table = nullptr;
  std::vector<std::string> columns;  // in the stream's order
  std::vector<bool> key;             // replica identity flags
  int tenant_column = -1;
  bool full_identity = false;
};

// One row change, kept until its transaction's commit arrives.
struct RowChange {
  enum class Kind { kInsert, kUpdate, kDelete, kTruncate } kind;
  uint32_t relation = 0;
  Tuple old_tuple;  // update (may be empty) and delete
  Tuple new_tuple;  // insert and update
};

struct SourceTransaction {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  std::vector<RowChange> changes;
  std::vector<std::string> markers;  // logical messages with our prefix
};

constexpr const char* kMarkerPrefix = "domicile";


class PgChangeStream final : public ChangeStream {
 public:
  PgChangeStream(PgMoveContext context, MoveNames names, std::vector<MoveTable> tables,
                 ReplicationConnection repl, PgLink source, PgLink target, Lsn stored)
      : context_(std::move(context)),
        names_(std::move(names)),
        tables_(std::move(tables)),
        repl_(std::move(repl)),
        source_(std::move(source)),
        target_(std::move(target)),
        stored_(stored),
        processed_(stored) {}

  Result<std::string> ApplyFor(std::chrono::milliseconds budget) override {
    const auto deadline = Clock::now() + budget;
    while (Clock::now() < deadline) {
      Result<bool> step = Step(deadline);
      if (!step.ok()) return step.status();
    }
    return FormatLsn(processed_);
  }

  Result<uint64_t> Lag() override {
    Result<Rows> now = source_.Exec("SELECT pg_current_wal_lsn()::text");
    if (!now.ok()) return now.status();
    Result<Lsn> current = ParseLsn(now->At(0, 0));
    if (!current.ok()) return current.status();
    return *current > processed_ ? *current - processed_ : 0;
  }

  Result<std::string> Drain(std::chrono::milliseconds bound) override {
    Result<std::string> marker = EmitMarker();
    if (!marker.ok()) return marker.status();
    DOMICILE_RETURN_IF_ERROR(ApplyUntilMarker(*marker, Clock::now() + bound));
    return FormatLsn(processed_);
  }

  Result<std::vector<TableCheck>> Verify(const std::vector<std::string>& names) override {
    // A second, temporary slot exports a snapshot that is exactly "everything committed
    // before P": the source is summed in it and the target once it applied exactly P.
    Result<ReplicationConnection> repl =
        ReplicationConnection::Open(context_.source.address, ShardLabel(context_.source));
    if (!repl.ok()) return repl.status();
    Result<CreatedSlot> point =
        repl->CreateSlot(names_.slot + "_v", /*temporary=*/true, /*export_snapshot=*/true);
    if (!point.ok()) return point.status();
    Result<PgLink> reader = PgLink::Connect(context_.source.address, ShardLabel(context_.source));
    if (!reader.ok()) return reader.status();
    Result<Rows> began = reader->Exec(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " +
        QuoteLiteral(point->snapshot_name));
    if (!began.ok()) return began.status();
    std::vector<TableCheck> checks;
    for (const MoveTable& t : tables_) {
      if (std::find(names.begin(), names.end(), t.name) == names.end()) continue;
      Result<Rows> sums = reader->Exec(ChecksumSql(t) + Filter(t));
      if (!sums.ok()) return sums.status();
      checks.push_back({t.name, std::stoull(sums->At(0, 0)), sums->At(0, 1), 0, ""});
    }
    (void)reader->Exec("COMMIT");

    // Apply up to P and stop before the first commit at or after it (the marker's, at least).
    stop_before_ = point->consistent_point;
    Result<std::string> marker = EmitMarker();
    if (!marker.ok()) return marker.status();
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!held_) {
      if (Clock::now() >= deadline) {
        stop_before_.reset();
        return Unavailable(ShardLabel(context_.source) + ": the change stream did not reach " +
                           FormatLsn(point->consistent_point) + " within 60 s");
      }
      Result<bool> step = Step(deadline);
      if (!step.ok()) return step.status();
    }
    for (TableCheck& check : checks) {
      auto t = std::find_if(tables_.begin(), tables_.end(),
                            [&](const MoveTable& m) { return m.name == check.table; });
      Result<Rows> sums = target_.Exec(ChecksumSql(*t) + Filter(*t));
      if (!sums.ok()) return sums.status();
      check.target_rows = std::stoull(sums->At(0, 0));
      check.target_checksum = sums->At(0, 1);
    }
    stop_before_.reset();
    SourceTransaction held = std::move(*held_);
    held_.reset();
    DOMICILE_RETURN_IF_ERROR(Apply(held));
    return checks;
  }

  Status Start() {
    Result<Rows> bypass = target_.Exec("SET domicile.fence_bypass = 'on'");
    if (!bypass.ok()) return bypass.status();
    // Right after a crashed run, the server may still count the slot as in use (55006)
    // until the old walsender notices its client is gone: retry for a few seconds.
    for (int attempt = 0;; ++attempt) {
      Status started =
          repl_.StartReplication(names_.slot, stored_, {names_.publication}, /*messages=*/true);
      if (started.ok() || started.code() != StatusCode::kConflict || attempt >= 100) return started;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  std::string Filter(const MoveTable& t) const {
    return QuoteIdent(t.tenant_key) + " = " + QuoteLiteral(context_.tenant);
  }

  Result<std::string> EmitMarker() {
    const std::string marker = context_.move_id + ":" + std::to_string(++marker_seq_) + ":" +
                               std::to_string(Clock::now().time_since_epoch().count());
    Result<Rows> emitted = source_.Exec(
        "SELECT pg_logical_emit_message(true, $1, $2)::text", {std::string(kMarkerPrefix), marker});
    if (!emitted.ok()) return emitted.status();
    return marker;
  }

  Status ApplyUntilMarker(const std::string& marker, Clock::time_point deadline) {
    while (!seen_markers_.count(marker)) {
      if (Clock::now() >= deadline) {
        return Unavailable(ShardLabel(context_.source) +
                           ": the change stream did not drain in time");
      }
      Result<bool> step = Step(deadline);
      if (!step.ok()) return step.status();
    }
    seen_markers_.erase(marker);
    return {};
  }

  // Reads and handles one stream event (or times out quietly at `deadline`).
  Result<bool> Step(Clock::time_point deadline) {
    if (held_) return false;  // stopped at the verification point
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Result<std::optional<StreamEvent>> event =
        repl_.Read(std::max(wait, std::chrono::milliseconds(1)));
    if (!event.ok()) return event.status();
    if (!*event) return false;
    if (auto* keepalive = std::get_if<PrimaryKeepalive>(&**event)) {
      if (!open_ && keepalive->wal_end > processed_) processed_ = keepalive->wal_end;
      if (keepalive->reply_requested) DOMICILE_RETURN_IF_ERROR(Confirm(true));
      return true;
    }
    DOMICILE_RETURN_IF_ERROR(Handle(std::get<XLogData>(**event).message));
    return true;
  }

  Status Handle(const PgOutputMessage& message) {
    if (auto* m = std::get_if<BeginMessage>(&message)) {
      open_ = SourceTransaction{};
      open_->commit_lsn = m->final_lsn;
    } else if (auto* m = std::get_if<RelationMessage>(&message)) {
      return Learn(*m);
    } else if (auto* m = std::get_if<InsertMessage>(&message)) {
      return Buffer({RowChange::Kind::kInsert, m->relation_id, {}, m->new_tuple});
    } else if (auto* m = std::get_if<UpdateMessage>(&message)) {
      return Buffer({RowChange::Kind::kUpdate, m->relation_id, m->old_tuple, m->new_tuple});
    } else if (auto* m = std::get_if<DeleteMessage>(&message)) {
      return Buffer({RowChange::Kind::kDelete, m->relation_id, m->old_tuple, {}});
    } else if (auto* m = std::get_if<TruncateMessage>(&message)) {
      for (uint32_t rel : m->relation_ids) {
        DOMICILE_RETURN_IF_ERROR(Buffer({RowChange::Kind::kTruncate, rel, {}, {}}));
      }
    } else if (auto* m = std::get_if<LogicalMessage>(&message)) {
      if (m->prefix != kMarkerPrefix) return {};
      if (m->transactional && open_) {
        open_->markers.push_back(m->content);
      } else {
        seen_markers_.insert(m->content);
      }
    } else if (auto* m = std::get_if<CommitMessage>(&message)) {
      if (!open_) return Internal("pgoutput: Commit without Begin");
      SourceTransaction tx = std::move(*open_);
      open_.reset();
      tx.commit_lsn = m->commit_lsn;
      tx.end_lsn = m->end_lsn;
      if (stop_before_ && tx.commit_lsn >= *stop_before_) {
        held_ = std::move(tx);
        return {};
      }
      return Apply(tx);
    }
    return {};  // Origin, Type: nothing to do
  }

  Status Buffer(RowChange change) {
    if (!open_) return Internal("pgoutput: a row change outside a transaction");
    open_->changes.push_back(std::move(change));
    return {};
  }

  Status Learn(const RelationMessage& m) {
    const std::string name =
        m.namespace_name == "public" || m.namespace_name.empty() ? m.name
                                                                 : m.namespace_name + "." + m.name;
    auto t = std::find_if(tables_.begin(), tables_.end(),
                          [&](const MoveTable& table) { return table.name == name; });
    if (t == tables_.end()) {
      return Internal("pgoutput: a change to table " + name + ", which this move does not move");
    }
    StreamRelation rel;
    rel.table = &*t;
    rel.full_identity = m.replica_identity == ReplicaIdentity::kFull;
    for (size_t i = 0; i < m.columns.size(); ++i) {
      rel.columns.push_back(m.columns[i].name);
      rel.key.push_back(m.columns[i].key);
      if (m.columns[i].name == t->tenant_key) rel.tenant_column = static_cast<int>(i);
    }
    if (rel.tenant_column < 0) return Internal("pgoutput: " + name + " lost its tenant key column");
    relations_[m.relation_id] = std::move(rel);
    return {};
  }

  bool IsOurs(const StreamRelation& rel, const Tuple& tuple) const {
    if (tuple.size() <= static_cast<size_t>(rel.tenant_column)) return false;
    const TupleValue& v = tuple[rel.tenant_column];
    return v.kind == TupleValue::Kind::kText && v.data == context_.tenant;
  }

  Status Apply(const SourceTransaction& tx) {
    for (const std::string& marker : tx.markers) seen_markers_.insert(marker);
    if (tx.end_lsn <= stored_) {  // applied before a restart: exactly once
      processed_ = std::max(processed_, tx.end_lsn);
      return {};
    }
    if (!tx.changes.empty()) {
      // The whole source transaction in one round trip: its changes and the new position,
      // committed together.
      batch_ = "BEGIN;";
      for (const RowChange& change : tx.changes) DOMICILE_RETURN_IF_ERROR(ApplyChange(change));
      batch_ += "UPDATE domicile_move_position SET position = " + QuoteLiteral(FormatLsn(tx.end_lsn)) +
                ", updated_at = now() WHERE move_id = " + QuoteLiteral(context_.move_id) +
                "; COMMIT;";
      Result<Rows> applied = target_.Exec(batch_);
      if (!applied.ok()) {
        (void)target_.Exec("ROLLBACK");
        return applied.status();
      }
      stored_ = tx.end_lsn;
    }
    processed_ = std::max(processed_, tx.end_lsn);
    return Confirm(false);
  }

  Status ApplyChange(const RowChange& change) {
    auto it = relations_.find(change.relation);
    if (it == relations_.end()) return Internal("pgoutput: a change before its Relation message");
    const StreamRelation& rel = it->second;
    const std::string table = QualifiedName(rel.table->name);
    switch (change.kind) {
      case RowChange::Kind::kTruncate:
        return Run("DELETE FROM " + table + " WHERE " + Filter(*rel.table));
      case RowChange::Kind::kInsert:
        if (!IsOurs(rel, change.new_tuple)) return {};
        return Insert(rel, change.new_tuple);
      case RowChange::Kind::kDelete:
        if (!IsOurs(rel, change.old_tuple)) return {};
        return Delete(rel, change.old_tuple);
      case RowChange::Kind::kUpdate: {
        const Tuple& old_image = change.old_tuple.empty() ? change.new_tuple : change.old_tuple;
        const bool was_ours = IsOurs(rel, old_image);
        const bool is_ours = IsOurs(rel, change.new_tuple);
        if (was_ours && !is_ours) return Delete(rel, old_image);  // the row left the tenant
        if (!was_ours && is_ours) return Insert(rel, change.new_tuple);
        if (!is_ours) return {};
        return Update(rel, old_image, change.new_tuple);
      }
    }
    return {};
  }

  static std::string Literal(const TupleValue& v) {
    return v.kind == TupleValue::Kind::kNull ? "NULL" : QuoteLiteral(v.data);
  }

  // "k1 = 'v1' AND k2 = 'v2' ..." over the replica identity, and the tenant filter.
  std::string KeyMatch(const StreamRelation& rel, const Tuple& image) const {
    std::string where;
    for (size_t i = 0; i < rel.columns.size() && i < image.size(); ++i) {
      if (!rel.key[i]) continue;
      if (!where.empty()) where += " AND ";
      where += QuoteIdent(rel.columns[i]) + (rel.full_identity ? " IS NOT DISTINCT FROM " : " = ") +
               Literal(image[i]);
    }
    return where + " AND " + Filter(*rel.table);
  }

  Status Insert(const StreamRelation& rel, const Tuple& row) {
    std::string columns, values;
    for (size_t i = 0; i < rel.columns.size() && i < row.size(); ++i) {
      if (!columns.empty()) {
        columns += ", ";
        values += ", ";
      }
      columns += QuoteIdent(rel.columns[i]);
      values += Literal(row[i]);
    }
    return Run("INSERT INTO " + QualifiedName(rel.table->name) + " (" + columns + ") VALUES (" +
               values + ")");
  }

  Status Update(const StreamRelation& rel, const Tuple& old_image, const Tuple& row) {
    std::string set;
    for (size_t i = 0; i < rel.columns.size() && i < row.size(); ++i) {
      if (row[i].kind == TupleValue::Kind::kUnchangedToast) continue;  // value not sent
      if (!set.empty()) set += ", ";
      set += QuoteIdent(rel.columns[i]) + " = " + Literal(row[i]);
    }
    if (set.empty()) return {};
    return Run("UPDATE " + QualifiedName(rel.table->name) + " SET " + set + " WHERE " +
               KeyMatch(rel, old_image));
  }

  Status Delete(const StreamRelation& rel, const Tuple& old_image) {
    return Run("DELETE FROM " + QualifiedName(rel.table->name) + " WHERE " + KeyMatch(rel, old_image));
  }

  // Adds one statement to the transaction being built.
  Status Run(const std::string& sql) {
    batch_ += sql + ";";
    return {};
  }

  // Tells the slot what the target has: the source may recycle the log before it.
  Status Confirm(bool reply) {
    return repl_.SendStatus(processed_, processed_, processed_, reply);
  }

  PgMoveContext context_;
  MoveNames names_;
  std::vector<MoveTable> tables_;
  ReplicationConnection repl_;
  PgLink source_;  // markers and lag
  PgLink target_;  // the apply session (fence bypass on)
  Lsn stored_;     // position stored on the target: applied up to here
  Lsn processed_;  // applied or known to hold nothing of the tenant up to here
  std::map<uint32_t, StreamRelation> relations_;
  std::optional<SourceTransaction> open_;
  std::optional<SourceTransaction> held_;  // complete but past the verification point
  std::optional<Lsn> stop_before_;
  std::set<std::string> seen_markers_;
  uint64_t marker_seq_ = 0;
  std::string batch_;  // the SQL of the source transaction being applied
};

}  // namespace

Result<std::unique_ptr<ChangeStream>> OpenPgChangeStream(const PgMoveContext& context,
                                                         const MoveNames& names,
                                                         const std::vector<MoveTable>& tables) {
  Result<PgLink> target = PgLink::Connect(context.target.address, ShardLabel(context.target));
  if (!target.ok()) return target.status();
  Result<Rows> stored = target->Exec(
      "SELECT position::text FROM domicile_move_position WHERE move_id = $1", {context.move_id});
  if (!stored.ok()) return stored.status();
  if (stored->rows.empty()) {
    return Internal(ShardLabel(context.target) + " has no stream position for move " +
                    context.move_id + ": the copy did not complete");
  }
  Result<Lsn> position = ParseLsn(stored->At(0, 0));
  if (!position.ok()) return position.status();
  Result<PgLink> source = PgLink::Connect(context.source.address, ShardLabel(context.source));
  if (!source.ok()) return source.status();
  Result<ReplicationConnection> repl =
      ReplicationConnection::Open(context.source.address, ShardLabel(context.source));
  if (!repl.ok()) return repl.status();
  auto stream = std::make_unique<PgChangeStream>(context, names, tables, std::move(*repl),
                                                 std::move(*source), std::move(*target), *position);
  DOMICILE_RETURN_IF_ERROR(stream->Start());
  return std::unique_ptr<ChangeStream>(std::move(stream));
}

}  // namespace domicile::pgmove
