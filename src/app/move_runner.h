// MoveRunner: drives a tenant move saga step by step, persisting the record before acting on
// each step, so any process can resume (or roll back) a move after a crash. docs/moves.md.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/move_plan.h"
#include "domain/move_state.h"
#include "domain/status.h"
#include "ports/catalog_store.h"
#include "ports/move_store.h"
#include "ports/tenant_mover.h"

namespace domicile {

struct MoveRunnerOptions {
  // How long routers need to see the hold (must exceed their catalog_ttl_ms).
  std::chrono::milliseconds hold_propagation{50};
  // Bound on the tenant's in-flight transactions at the fence; past it the cutover aborts.
  std::chrono::milliseconds inflight_wait{2000};
  // Bound on draining the stream under hold; past it the cutover aborts.
  std::chrono::milliseconds drain_bound{2000};
  // Catch-up ends when one drain of the stream takes less than this.
  std::chrono::milliseconds caught_up{250};
  // Right before the hold, drain until one drain takes less than this.
  std::chrono::milliseconds pre_hold_drain{25};
  int max_cutover_attempts = 5;
  // Called after every persisted step and copy progress (the CLI prints from it).
  std::function<void(const TenantMove&, std::string_view event)> observer;
  // A table's row count in the copy's snapshot, before its rows move (for an ETA).
  std::function<void(const std::string& table, uint64_t rows)> copy_expected;
  // Measurements as they are taken: "copy_ms" (the whole copy step), "copy_rows_ms" (from
  // the first row to the last), "lag_bytes" (the stream's
  // lag just before the hold), "drain_ms" (draining it under hold), "hold_ms".
  std::function<void(std::string_view metric, int64_t value)> metric;
  // Test hook: called at named points ("copy", "copied", "held", "fenced", "drained",
  // "flipped", ...); a crash test kills the process there.
  std::function<void(std::string_view point)> crash_point;
};

struct MoveRequest {
  std::string tenant;
  std::string target_shard;
  std::string move_id;  // empty: derived from the tenant and the time
  int64_t grace_ms = 24LL * 3600 * 1000;
  bool create_schema = false;
  std::string relay_jurisdiction;
};

class MoveRunner {
 public:
  MoveRunner(CatalogStore& catalog, MoveStore& moves, TenantMoverFactory& movers,
             MoveRunnerOptions options = {});

  // Checks the move (residency, shards, the target's tables, no other move of the tenant)
  // and stores the Planned record. Nothing on the shards changes.
  Result<TenantMove> Plan(const MoveRequest& request);

  // Drives the move until it is Done, Failed, RolledBack, or waiting for its grace period
  // to end (CleaningUp: a later Run purges the source). Resumes whatever step a crashed run
  // left. Returns the record as it ended.
  Result<TenantMove> Run(const std::string& move_id);

  // Rolls the move back: before the flip, the target's copy is deleted and the tenant stays
  // at the source; after the flip (within the grace period, before the purge) the tenant is
  // flipped back to the source. Returns the RolledBack record.
  Result<TenantMove> Undo(const std::string& move_id);

 private:
  class Saga;
  CatalogStore& catalog_;
  MoveStore& moves_;
  TenantMoverFactory& movers_;
  MoveRunnerOptions options_;
};

// Unix milliseconds now (the record's clock).
int64_t UnixNowMs();

}  // namespace domicile
