// The domicile CLI's exit codes, and the one mapping from StatusCode to them (docs/errors.md).
#pragma once

#include "domain/status.h"

namespace domicile::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;        // bad flags, bad input (ids, TOML), already exists
inline constexpr int kExitRefused = 3;      // refused by residency or placement
inline constexpr int kExitNotFound = 4;     // unknown tenant, shard, jurisdiction, catalog
inline constexpr int kExitUnavailable = 5;  // backend unreachable or full, or not a catalog
inline constexpr int kExitConflict = 6;     // lost the catalog compare-and-set too often

// Total: every StatusCode has exactly one exit code; kOk is 0.
int ExitCodeFor(StatusCode code);

}  // namespace domicile::cli
