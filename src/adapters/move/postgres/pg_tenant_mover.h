// PostgresTenantMover: moves one tenant between two PostgreSQL shards online (snapshot COPY,
// pgoutput catch-up, fences). See docs/moves.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/move/postgres/pg_link.h"
#include "adapters/move/postgres/pg_tables.h"
#include "domain/shard.h"
#include "ports/statement_analyzer.h"
#include "ports/tenant_mover.h"

namespace domicile::pgmove {

// The names this move uses on the shards, derived from the move id so a resumed run finds
// what a crashed one left: slot and publication on the source, position row on the target.
struct MoveNames {
  std::string slot;         // domicile_<id>: [a-z0-9_], at most 63 bytes
  std::string publication;  // same as the slot
  static MoveNames For(const std::string& move_id);
};

struct PgMoveContext {
  std::string move_id;
  std::string tenant;
  Shard source;
  Shard target;
  std::vector<std::string> tables;  // the record's tables; empty before planning
  RoutingRules rules;
};

class PostgresTenantMover final : public TenantMover {
 public:
  explicit PostgresTenantMover(PgMoveContext context);
  ~PostgresTenantMover() override;

  bool streams_changes() const override { return true; }
  Result<std::vector<MoveTable>> PlanTables(bool create_schema) override;
  Status PrepareSource() override;
  Status CleanTarget() override;
  Status Copy(const SnapshotFn& on_snapshot, const CopyProgressFn& progress) override;
  Status StartStreamHere() override;
  Result<std::unique_ptr<ChangeStream>> OpenStream() override;
  Result<std::vector<TableCheck>> VerifyFrozen(const std::vector<std::string>& tables) override;
  Status FenceSource(uint64_t epoch, std::chrono::milliseconds wait) override;
  Status UnfenceSource() override;
  Status DropStream() override;
  Status PurgeSource() override;

 private:
  Result<PgLink*> Source();
  Result<PgLink*> Target();
  // The record's tables as the source has them now.
  Result<std::vector<MoveTable>> Tables();
  // The tables and the source's connection (and the target's), opened on first use.
  struct Session {
    std::vector<MoveTable> tables;
    PgLink* source = nullptr;
    PgLink* target = nullptr;
  };
  Result<Session> Open(bool with_target);
  Status CreatePublication(PgLink& source, const std::vector<MoveTable>& tables);
  Status StorePosition(const std::string& position);

  PgMoveContext context_;
  MoveNames names_;
  std::optional<PgLink> source_;
  std::optional<PgLink> target_;
  std::optional<std::vector<MoveTable>> tables_;
};

// "shard eu-1" for messages.
std::string ShardLabel(const Shard& shard);

// On the target: the stream's applied position, kept in the same transactions as the rows.
inline constexpr const char* kPositionTableSql =
    "CREATE TABLE IF NOT EXISTS domicile_move_position (move_id text PRIMARY KEY, "
    "position pg_lsn NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())";

// count(*) and the sum of a 64-bit hash of each row's text: order-independent, equal on
// both sides exactly when the multisets of rows are equal (up to hash collisions).
std::string ChecksumSql(const MoveTable& table);

}  // namespace domicile::pgmove
