// Runs the domicile binary through the shared child-process support (tests/support).
#include "integration/cli/cli_runner.h"

#include <chrono>

#include "support/child_process.h"

namespace domicile::testing {

CliRun RunDomicile(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv = {DOMICILE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.cwd = cwd;
  ProcessResult result = RunProcess(argv, options);
  return CliRun{result.exit_code, std::move(result.out), std::move(result.err)};
}

}  // namespace domicile::testing
