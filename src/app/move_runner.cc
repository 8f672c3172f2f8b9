#include "app/move_runner.h"

#include <chrono>
#include <thread>

#include "domain/ids.h"

namespace domicile {
namespace {

// CAS retries of one catalog change (each re-reads the map and rebuilds the change).
constexpr int kCommitAttempts = 8;

std::string DescribeMismatch(const TableProgress& t) {
  return "table " + t.table + ": source " + std::to_string(t.source_rows) + " rows (checksum " +
         t.source_checksum + "), target " + std::to_string(t.target_rows) + " rows (checksum " +
         t.target_checksum + ")";
}

}  // namespace

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One run of one move: the record as last persisted, the movers, the stream.
class MoveRunner::Saga {
 public:
  Saga(MoveRunner& runner, TenantMove move) : r_(runner), move_(std::move(move)) {}

  const TenantMove& move() const { return move_; }

  // Applies `step` to a copy of the record and persists it with compare-and-set; the record
  // in memory changes only when the store took it.
  template <typename Step>
  Status Persist(std::string_view event, Step&& step) {
    TenantMove next = move_;
    DOMICILE_RETURN_IF_ERROR(step(next));
    DOMICILE_RETURN_IF_ERROR(r_.moves_.Save(move_, next));
    move_ = std::move(next);
    if (r_.options_.observer) r_.options_.observer(move_, event);
    return {};
  }

  void Metric(std::string_view name, int64_t value) {
    if (r_.options_.metric) r_.options_.metric(name, value);
  }

  static int64_t MsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
  }

  void Crash(std::string_view point) {
    if (r_.options_.crash_point) r_.options_.crash_point(point);
  }

  // Builds a change from the current map and commits it, re-reading on a lost race.
  template <typename Build>
  Result<uint64_t> CommitChange(const std::string& reason, Build&& build) {
    for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
      Result<ShardMap> map = r_.catalog_.Load();
      if (!map.ok()) return map.status();
      Result<CatalogChange> change = build(*map);
      if (!change.ok()) return change.status();
      Result<AppliedChange> applied = map->Apply(*change);
      if (!applied.ok()) return applied.status();
      Status committed = r_.catalog_.Commit(map->version(), *applied, reason);
      if (committed.ok()) return applied->map.version();
      if (committed.code() != StatusCode::kConflict) return committed;
    }
    return Conflict("the catalog kept changing; " + reason + " not committed");
  }

  Result<CatalogHome> Home() {
    Result<ShardMap> map = r_.catalog_.Load();
    if (!map.ok()) return map.status();
    return WhereCatalogPoints(*map, move_);
  }

  Result<TenantMover*> Mover() {
    if (!mover_) {
      Result<std::unique_ptr<TenantMover>> made = r_.movers_.For(move_);
      if (!made.ok()) return made.status();
      mover_ = std::move(*made);
    }
    return mover_.get();
  }

  Result<TenantMover*> ReverseMover() {
    if (!reverse_) {
      Result<std::unique_ptr<TenantMover>> made = r_.movers_.Reverse(move_);
      if (!made.ok()) return made.status();
      reverse_ = std::move(*made);
    }
    return reverse_.get();
  }

  Result<ChangeStream*> Stream() {
    if (!stream_) {
      Result<TenantMover*> mover = Mover();
      if (!mover.ok()) return mover.status();
      Result<std::unique_ptr<ChangeStream>> opened = (*mover)->OpenStream();
      if (!opened.ok()) return opened.status();
      stream_ = std::move(*opened);
    }
    return stream_.get();
  }

  // One step of the saga, chosen from the record and where the catalog points.
  // Returns false when the run should stop (ended, failed, waiting for grace).
  Result<bool> Step() {
    Result<CatalogHome> home = Home();
    if (!home.ok()) return home.status();
    Result<ResumeDecision> decision = DecideResume(move_, *home);
    if (!decision.ok()) return decision.status();
    switch (decision->action) {
      case ResumeAction::kStartCopy:
      case ResumeAction::kRestartCopy: DOMICILE_RETURN_IF_ERROR(CopyStep()); return true;
      case ResumeAction::kResumeCatchUp: DOMICILE_RETURN_IF_ERROR(CatchUpStep()); return true;
      case ResumeAction::kRestartVerify: return VerifyStep();
      case ResumeAction::kAbortCutover:
        DOMICILE_RETURN_IF_ERROR(AbortCutover("resumed after a crash during the cutover"));
        return true;
      case ResumeAction::kAdoptFlip: {
        Result<ShardMap> map = r_.catalog_.Load();
        if (!map.ok()) return map.status();
        const uint64_t version = map->version();
        DOMICILE_RETURN_IF_ERROR(Persist("flipped", [&](TenantMove& m) {
          return MarkFlipped(m, version, 0, UnixNowMs());
        }));
        return true;
      }
      case ResumeAction::kContinueCleanup: return CleanupStep();
      case ResumeAction::kAwaitUndo: return false;
      case ResumeAction::kReverseCutover: DOMICILE_RETURN_IF_ERROR(ReverseCutover()); return true;
      case ResumeAction::kFinishRollback: DOMICILE_RETURN_IF_ERROR(FinishRollbackStep()); return true;
      case ResumeAction::kNothing: return false;
    }
    return false;
  }

  // The cutover runs right after a successful verification, in the same run.
  Status CopyStep() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    if (move_.state == MoveState::kPlanned) {
      DOMICILE_RETURN_IF_ERROR(CommitChange("move " + move_.id + ": mark tenant " + move_.tenant,
                                            [&](const ShardMap& map) {
                                              return MarkMovingChange(map, move_);
                                            })
                                   .status());
    }
    DOMICILE_RETURN_IF_ERROR((*mover)->CleanTarget());
    if (move_.requires_freeze) {
      // No change stream: the tenant's writes are refused on the source for the whole copy.
      DOMICILE_RETURN_IF_ERROR((*mover)->FenceSource(1, r_.options_.inflight_wait));
    } else {
      DOMICILE_RETURN_IF_ERROR((*mover)->PrepareSource());
    }
    Crash("copy");
    const auto copy_started = std::chrono::steady_clock::now();
    auto rows_started = copy_started;
    DOMICILE_RETURN_IF_ERROR((*mover)->Copy(
        [&](const SnapshotPoint& point) {
          return Persist("copying", [&](TenantMove& m) {
            return StartCopy(m, point.snapshot, point.slot, point.start_position, UnixNowMs());
          });
        },
        [&](const CopyProgress& p) {
          if (p.expected_rows || (p.rows == 0 && p.bytes == 0)) {
            rows_started = std::chrono::steady_clock::now();  // the rows start moving now
            if (r_.options_.copy_expected) r_.options_.copy_expected(p.table, p.expected_rows);
          }
          if (p.rows == 0 && p.bytes == 0) return Status();
          Status s = Persist("progress", [&](TenantMove& m) {
            return RecordCopyProgress(m, p.table, p.rows, p.bytes, UnixNowMs());
          });
          Crash("copying");
          return s;
        }));
    Metric("copy_ms", MsSince(copy_started));       // with the snapshot, slot and counts
    Metric("copy_rows_ms", MsSince(rows_started));  // the rows only
    Crash("copied");
    return Persist("copied", [&](TenantMove& m) { return FinishCopy(m, UnixNowMs()); });
  }

  Status CatchUpStep() {
    if (!move_.requires_freeze) {
      Result<ChangeStream*> stream = Stream();
      if (!stream.ok()) return stream.status();
      // Drain until one drain is quick: the stream keeps up with the source.
      for (int round = 0;; ++round) {
        const auto started = std::chrono::steady_clock::now();
        Result<std::string> position = (*stream)->Drain(std::chrono::seconds(60));
        if (!position.ok()) return position.status();
        DOMICILE_RETURN_IF_ERROR(Persist("caught-up", [&](TenantMove& m) {
          return RecordCatchUp(m, *position, UnixNowMs());
        }));
        Crash("catching-up");
        if (std::chrono::steady_clock::now() - started < r_.options_.caught_up || round >= 20) break;
      }
    }
    return Persist("verifying", [&](TenantMove& m) { return StartVerify(m, UnixNowMs()); });
  }

  Result<bool> VerifyStep() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    std::vector<std::string> names;
    for (const TableProgress& t : move_.tables) names.push_back(t.table);
    Result<std::vector<TableCheck>> checks = [&]() -> Result<std::vector<TableCheck>> {
      if (move_.requires_freeze) return (*mover)->VerifyFrozen(names);
      Result<ChangeStream*> stream = Stream();
      if (!stream.ok()) return stream.status();
      return (*stream)->Verify(names);
    }();
    if (!checks.ok()) return checks.status();
    for (const TableCheck& c : *checks) {
      DOMICILE_RETURN_IF_ERROR(Persist("verified", [&](TenantMove& m) {
        return RecordVerification(m, c.table, c.source_rows, c.source_checksum, c.target_rows,
                                  c.target_checksum, UnixNowMs());
      }));
    }
    Crash("verified");
    if (!move_.AllTablesMatch()) {
      std::string why = "verification failed:";
      for (const TableProgress& t : move_.tables) {
        if (!t.Matches()) why += " " + DescribeMismatch(t) + ";";
      }
      DOMICILE_RETURN_IF_ERROR(Persist("failed", [&](TenantMove& m) {
        return FailMove(m, why, UnixNowMs());
      }));
      return false;
    }
    DOMICILE_RETURN_IF_ERROR(
        Persist("cutting-over", [&](TenantMove& m) { return BeginCutover(m, UnixNowMs()); }));
    DOMICILE_RETURN_IF_ERROR(Cutover());
    return true;
  }

  // Hold, fence (waits for in-flight writers), drain, flip; or abort back to catch-up.
  Status Cutover() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    const bool reversible = !move_.requires_freeze && move_.grace_ms > 0;
    if (reversible) {
      // Made before the hold (creating a slot waits for running transactions); under hold
      // only its start moves to the target's position after the drain.
      Result<TenantMover*> reverse = ReverseMover();
      if (!reverse.ok()) return reverse.status();
      DOMICILE_RETURN_IF_ERROR((*reverse)->StartStreamHere());
    }
    if (!move_.requires_freeze) {
      // Verification took a while and the tenant kept writing: catch up again until a drain
      // is quick, so what is left to drain under hold is only the last few milliseconds.
      Result<ChangeStream*> stream = Stream();
      if (!stream.ok()) return AbortCutover(stream.status().message());
      for (int round = 0; round < 20; ++round) {
        const auto started = std::chrono::steady_clock::now();
        Result<std::string> position = (*stream)->Drain(std::chrono::seconds(60));
        if (!position.ok()) return AbortCutover(position.status().message());
        if (std::chrono::steady_clock::now() - started < r_.options_.pre_hold_drain) break;
      }
      if (Result<uint64_t> lag = (*stream)->Lag(); lag.ok()) Metric("lag_bytes", *lag);
    }
    const auto hold_started = std::chrono::steady_clock::now();
    DOMICILE_RETURN_IF_ERROR(CommitChange("move " + move_.id + ": hold tenant " + move_.tenant,
                                          [&](const ShardMap& map) {
                                            return HoldChange(map, move_);
                                          })
                                 .status());
    Metric("hold_commit_ms", MsSince(hold_started));
    Crash("held");
    std::this_thread::sleep_for(r_.options_.hold_propagation);
    const auto fence_started = std::chrono::steady_clock::now();
    const uint64_t epoch = move_.fence_epoch + 1;
    if (!move_.requires_freeze) {
      if (Status s = (*mover)->FenceSource(epoch, r_.options_.inflight_wait); !s.ok()) {
        return AbortCutover(s.message());
      }
    }
    Metric("fence_ms", MsSince(fence_started));
    DOMICILE_RETURN_IF_ERROR(Persist("fenced", [&](TenantMove& m) {
      return RecordSourceFence(m, epoch, UnixNowMs());
    }));
    Crash("fenced");
    std::string drained = "frozen";
    if (!move_.requires_freeze) {
      Result<ChangeStream*> stream = Stream();
      if (!stream.ok()) return AbortCutover(stream.status().message());
      const auto drain_started = std::chrono::steady_clock::now();
      Result<std::string> position = (*stream)->Drain(r_.options_.drain_bound);
      if (!position.ok()) return AbortCutover(position.status().message());
      Metric("drain_ms", MsSince(drain_started));
      drained = *position;
    }
    DOMICILE_RETURN_IF_ERROR(Persist("drained", [&](TenantMove& m) {
      return RecordLagDrained(m, drained, UnixNowMs());
    }));
    Crash("drained");
    if (reversible) {
      // The reverse stream starts while nothing can write the tenant: undo replays from here.
      Result<TenantMover*> reverse = ReverseMover();
      if (!reverse.ok()) return AbortCutover(reverse.status().message());
      if (Status s = (*reverse)->StartStreamHere(); !s.ok()) return AbortCutover(s.message());
    }
    const auto flip_started = std::chrono::steady_clock::now();
    Result<uint64_t> version = CommitChange(
        "move " + move_.id + ": flip tenant " + move_.tenant + " to " + move_.target_shard,
        [&](const ShardMap& map) { return FlipChange(map, move_); });
    if (!version.ok()) {
      // Did the flip land before the error? The catalog decides; the next step adopts it.
      Result<CatalogHome> home = Home();
      if (home.ok() && *home == CatalogHome::kTarget) return {};
      return AbortCutover(version.status().message());
    }
    Metric("flip_commit_ms", MsSince(flip_started));
    const int64_t hold_ms = MsSince(hold_started);
    Metric("hold_ms", hold_ms);
    Crash("flip-committed");
    return Persist("flipped", [&](TenantMove& m) {
      return MarkFlipped(m, *version, hold_ms, UnixNowMs());
    });
  }

  // Lowers the fence, releases the hold, back to catch-up (or Failed after too many tries).
  Status AbortCutover(const std::string& reason) {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    if (!move_.requires_freeze) DOMICILE_RETURN_IF_ERROR((*mover)->UnfenceSource());
    DOMICILE_RETURN_IF_ERROR(CommitChange("move " + move_.id + ": release tenant " + move_.tenant,
                                          [&](const ShardMap& map) {
                                            return ReleaseHoldChange(map, move_);
                                          })
                                 .status());
    stream_.reset();  // reopened from the stored position
    DOMICILE_RETURN_IF_ERROR(Persist("cutover-aborted", [&](TenantMove& m) {
      return ::domicile::AbortCutover(m, reason, UnixNowMs());
    }));
    if (move_.cutover_attempts >= r_.options_.max_cutover_attempts) {
      return Persist("failed", [&](TenantMove& m) {
        return FailMove(m, "gave up after " + std::to_string(m.cutover_attempts) +
                               " cutover attempts; last: " + reason,
                        UnixNowMs());
      });
    }
    return {};
  }

  Result<bool> CleanupStep() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    if (move_.state == MoveState::kFlipped) {
      stream_.reset();
      if (!move_.requires_freeze) DOMICILE_RETURN_IF_ERROR((*mover)->DropStream());
      DOMICILE_RETURN_IF_ERROR(
          Persist("cleaning-up", [&](TenantMove& m) { return StartCleanup(m, UnixNowMs()); }));
      Crash("stream-dropped");
    }
    if (UnixNowMs() < move_.grace_end_ms) return false;  // a later run purges
    if (!move_.source_purged) {
      DOMICILE_RETURN_IF_ERROR(
          Persist("purging", [&](TenantMove& m) { return RecordSourcePurge(m, UnixNowMs()); }));
    }
    DOMICILE_RETURN_IF_ERROR((*mover)->PurgeSource());
    if (!move_.requires_freeze && move_.grace_ms > 0) {
      Result<TenantMover*> reverse = ReverseMover();
      if (!reverse.ok()) return reverse.status();
      DOMICILE_RETURN_IF_ERROR((*reverse)->DropStream());
    }
    Crash("purged");
    DOMICILE_RETURN_IF_ERROR(
        Persist("done", [&](TenantMove& m) { return FinishMove(m, UnixNowMs()); }));
    return false;
  }

  // Undo after the flip: hold at the target, fence it, drain the reverse stream into the
  // source, lower the source fence, flip back.
  Status ReverseCutover() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    Result<TenantMover*> reverse = ReverseMover();
    if (!reverse.ok()) return reverse.status();
    DOMICILE_RETURN_IF_ERROR(CommitChange("undo move " + move_.id + ": hold tenant " + move_.tenant,
                                          [&](const ShardMap& map) {
                                            return HoldChange(map, move_);
                                          })
                                 .status());
    std::this_thread::sleep_for(r_.options_.hold_propagation);
    const uint64_t epoch = move_.fence_epoch + 1;
    DOMICILE_RETURN_IF_ERROR((*reverse)->FenceSource(epoch, r_.options_.inflight_wait));
    std::string position = "frozen";
    if (!move_.requires_freeze) {
      Result<std::unique_ptr<ChangeStream>> back = (*reverse)->OpenStream();
      if (!back.ok()) return back.status();
      Result<std::string> drained = (*back)->Drain(std::chrono::seconds(60));
      if (!drained.ok()) return drained.status();
      position = *drained;
    }
    DOMICILE_RETURN_IF_ERROR(Persist("reverse-drained", [&](TenantMove& m) {
      return RecordReverseCutover(m, position, epoch, UnixNowMs());
    }));
    Crash("reverse-drained");
    DOMICILE_RETURN_IF_ERROR((*mover)->UnfenceSource());
    DOMICILE_RETURN_IF_ERROR(CommitChange("undo move " + move_.id + ": tenant " + move_.tenant +
                                              " back to " + move_.source_shard,
                                          [&](const ShardMap& map) {
                                            return RollbackChange(map, move_);
                                          })
                                 .status());
    return Persist("flipped-back", [&](TenantMove& m) { return RecordFlippedBack(m, UnixNowMs()); });
  }

  Status FinishRollbackStep() {
    Result<TenantMover*> mover = Mover();
    if (!mover.ok()) return mover.status();
    stream_.reset();
    DOMICILE_RETURN_IF_ERROR((*mover)->UnfenceSource());
    DOMICILE_RETURN_IF_ERROR(CommitChange("undo move " + move_.id + ": tenant " + move_.tenant +
                                              " active at " + move_.source_shard,
                                          [&](const ShardMap& map) {
                                            return RollbackChange(map, move_);
                                          })
                                 .status());
    DOMICILE_RETURN_IF_ERROR((*mover)->CleanTarget());
    if (!move_.requires_freeze && move_.grace_ms > 0) {
      Result<TenantMover*> reverse = ReverseMover();
      if (!reverse.ok()) return reverse.status();
      DOMICILE_RETURN_IF_ERROR((*reverse)->DropStream());  // made before the first cutover
      if (move_.flips_back) {
        DOMICILE_RETURN_IF_ERROR((*reverse)->PurgeSource());  // the target's copy and fence
      }
    }
    return Persist("rolled-back", [&](TenantMove& m) { return FinishRollback(m, UnixNowMs()); });
  }

 private:
  MoveRunner& r_;
  TenantMove move_;
  std::unique_ptr<TenantMover> mover_;
  std::unique_ptr<TenantMover> reverse_;
  std::unique_ptr<ChangeStream> stream_;
};

MoveRunner::MoveRunner(CatalogStore& catalog, MoveStore& moves, TenantMoverFactory& movers,
                       MoveRunnerOptions options)
    : catalog_(catalog), moves_(moves), movers_(movers), options_(std::move(options)) {}

Result<TenantMove> MoveRunner::Plan(const MoveRequest& request) {
  Result<ShardMap> map = catalog_.Load();
  if (!map.ok()) return map.status();
  const int64_t now = UnixNowMs();
  MoveOptions options;
  options.move_id = request.move_id.empty()
                        ? "m" + std::to_string(now) + "-" + request.tenant
                        : request.move_id;
  options.grace_ms = request.grace_ms;
  options.relay_jurisdiction = request.relay_jurisdiction;
  Result<std::string> tenant = NormalizeId("tenant", request.tenant);
  if (!tenant.ok()) return tenant.status();
  if (Result<std::optional<TenantMove>> other = moves_.Unfinished(*tenant); !other.ok()) {
    return other.status();
  } else if (*other) {
    return Conflict("tenant " + *tenant + " already has an unfinished move " + (*other)->id +
                    " (" + std::string(MoveStateName((*other)->state)) + ")" +
                    ((*other)->state == MoveState::kFailed ? "; undo it first with --undo" : ""));
  }
  // The domain's checks first (residency, shards, state): they need no server.
  Result<TenantMove> planned = PlanMove(*map, *tenant, request.target_shard, now, options);
  if (!planned.ok()) return planned.status();
  if (!movers_.CanStream(planned->source_shard, planned->target_shard)) {
    planned->requires_freeze = true;
  }
  Result<std::unique_ptr<TenantMover>> mover = movers_.For(*planned);
  if (!mover.ok()) return mover.status();
  Result<std::vector<MoveTable>> tables = (*mover)->PlanTables(request.create_schema);
  if (!tables.ok()) return tables.status();
  options.tables.clear();
  for (const MoveTable& t : *tables) options.tables.push_back(t.name);
  planned = PlanMove(*map, request.tenant, request.target_shard, now, options);
  if (!planned.ok()) return planned.status();
  if (!movers_.CanStream(planned->source_shard, planned->target_shard)) {
    planned->requires_freeze = true;
  }
  DOMICILE_RETURN_IF_ERROR(moves_.Create(*planned));
  if (options_.observer) options_.observer(*planned, "planned");
  return planned;
}

Result<TenantMove> MoveRunner::Run(const std::string& move_id) {
  Result<TenantMove> move = moves_.Get(move_id);
  if (!move.ok()) return move.status();
  Saga saga(*this, std::move(*move));
  while (true) {
    Result<bool> more = saga.Step();
    if (!more.ok()) return more.status();
    if (!*more) return saga.move();
  }
}

Result<TenantMove> MoveRunner::Undo(const std::string& move_id) {
  Result<TenantMove> move = moves_.Get(move_id);
  if (!move.ok()) return move.status();
  Saga saga(*this, std::move(*move));
  const MoveState state = saga.move().state;
  if (saga.move().requires_freeze &&
      (state == MoveState::kFlipped || state == MoveState::kCleaningUp)) {
    // A frozen move has no reverse stream: the target's writes since the flip would be lost.
    return InvalidArgument("move " + move_id + " copied a frozen tenant between engines; after "
                           "its flip there is no undo (the target has writes the source "
                           "never saw): move the tenant back with a new move once this one "
                           "ends (`domicile tenant moves --resume` after the grace period)");
  }
  if (state != MoveState::kRollingBack) {
    if (state != MoveState::kFailed && state != MoveState::kFlipped &&
        state != MoveState::kCleaningUp && !IsTerminal(state)) {
      // A move still before its flip: stop it where it is (a crashed or detached run).
      DOMICILE_RETURN_IF_ERROR(saga.Persist("failed", [&](TenantMove& m) {
        return FailMove(m, "undone by the operator", UnixNowMs());
      }));
    }
    DOMICILE_RETURN_IF_ERROR(saga.Persist("rolling-back", [&](TenantMove& m) {
      return StartRollback(m, UnixNowMs());
    }));
  }
  while (true) {
    Result<bool> more = saga.Step();
    if (!more.ok()) return more.status();
    if (!*more) return saga.move();
  }
}

}  // namespace domicile
