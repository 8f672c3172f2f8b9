// npm's `pg` (node-postgres) for the tests that drive domicile with it.
#pragma once

#include <filesystem>

#include "domain/status.h"

namespace domicile::testing {

// The node_modules directory holding `pg@8`, for NODE_PATH. Installed once per build tree,
// next to the test binary (out of git). Test processes run in parallel and may all find it
// missing: each installs into a staging directory of its own and renames that into place, so
// no test ever sees a half-installed module. kUnavailable when npm cannot install it.
Result<std::filesystem::path> NodePgModules();

}  // namespace domicile::testing
