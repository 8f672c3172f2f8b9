// Runs the built `domicile` binary and captures its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace domicile::testing {

struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally (signal)
  std::string out;
  std::string err;
};

// Runs DOMICILE_BINARY with `args` in `cwd` (the test's own cwd when empty), stdin from
// /dev/null. Blocks until it exits.
CliRun RunDomicile(const std::vector<std::string>& args, const std::string& cwd = "");

}  // namespace domicile::testing
