// Move records shared by the MoveStore contract suite and adapter tests.
#pragma once

#include <cstdint>
#include <string>

#include "domain/move_state.h"

namespace domicile::testing {

// A Planned move `id` of `tenant`, planned at `planned_at_ms` (and updated then), with every
// other field set to a non-default value and three tables whose counters all differ.
TenantMove SampleMove(const std::string& id, const std::string& tenant,
                      int64_t planned_at_ms = 1'700'000'000'000);

// `move` in `state`, updated at `updated_at_ms`, as a runner would save it (no guards).
TenantMove InState(TenantMove move, MoveState state, int64_t updated_at_ms);

}  // namespace domicile::testing
