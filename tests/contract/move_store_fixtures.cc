// Move records shared by the MoveStore contract suite and adapter tests.
#include "contract/move_store_fixtures.h"

namespace domicile::testing {

TenantMove SampleMove(const std::string& id, const std::string& tenant, int64_t planned_at_ms) {
  TenantMove m;
  m.id = id;
  m.tenant = tenant;
  m.source_shard = "eu-1";
  m.target_shard = "eu-2";
  m.planned_version = 41;
  m.requires_freeze = true;
  m.relay_jurisdiction = "EU";
  m.grace_ms = 86'400'000;
  m.state = MoveState::kPlanned;
  for (int i = 0; i < 3; ++i) {
    TableProgress t;
    t.table = std::string("public.") + "abc"[i] + "_rows";
    t.rows_copied = 1000 + i;
    t.bytes_copied = 64'000 + i;
    t.verified = i != 1;
    t.source_rows = 2000 + i;
    t.target_rows = 3000 + i;
    t.source_checksum = "s" + std::to_string(i) + ":9f2c";
    t.target_checksum = "t" + std::to_string(i) + ":77aa";
    m.tables.push_back(std::move(t));
  }
  m.snapshot = "00000003-00000002-1";
  m.slot = "domicile_move_" + id;
  m.start_position = "0/16B3748";
  m.applied_position = "0/16B9000";
  m.fence_epoch = 7;
  m.source_fenced = true;
  m.drained_position = "0/16BA000";
  m.flip_version = 43;
  m.hold_ms = 12;
  m.source_purged = true;
  m.flips_back = true;
  m.reverse_position = "0/3000060";
  m.target_fenced = true;
  m.reverse_drained = true;
  m.flipped_back = true;
  m.planned_at_ms = planned_at_ms;
  m.updated_at_ms = planned_at_ms;
  m.flipped_at_ms = planned_at_ms + 5000;
  m.grace_end_ms = planned_at_ms + 5000 + m.grace_ms;
  m.ended_at_ms = planned_at_ms + 9000;
  m.failure = "cutover aborted: lag 3 MB after 2000 ms";
  m.cutover_attempts = 2;
  return m;
}

TenantMove InState(TenantMove move, MoveState state, int64_t updated_at_ms) {
  move.state = state;
  move.updated_at_ms = updated_at_ms;
  return move;
}

}  // namespace domicile::testing
