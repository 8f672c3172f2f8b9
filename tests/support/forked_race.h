// RaceForkedChildren: forked children that get ready apart, then act at the same moment.
#pragma once

#include <functional>
#include <vector>

#include "domain/status.h"

namespace domicile::testing {

// Forks `children` processes. Child c runs `prepare(c)` (open a store, load a snapshot...); a
// non-zero result is its exit code. Once every child is prepared, the parent releases them
// together and child c exits with `act(c)`, which therefore runs on what its own prepare left
// in its copy of the captured variables. Returns each child's exit code, -1 for a child that
// did not exit normally; a child still running after 60 s is killed (SIGALRM). Call from the
// gtest main thread. Setup failures throw std::runtime_error (tests only).
std::vector<int> RaceForkedChildren(int children, const std::function<int(int child)>& prepare,
                                    const std::function<int(int child)>& act);

// The exit code of an `act` whose write either wins (0) or loses the race with kConflict (1);
// any other failure is 16.
int RaceExitCode(const Status& status);

}  // namespace domicile::testing
