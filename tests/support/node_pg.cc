#include "support/node_pg.h"

#include <unistd.h>

#include <chrono>
#include <string>
#include <system_error>

#include "support/child_process.h"

namespace domicile::testing {

namespace fs = std::filesystem;

Result<fs::path> NodePgModules() {
  const fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
  const fs::path cache = dir / "pgwire-node-cache";
  auto installed = [](const fs::path& prefix) {
    return fs::exists(prefix / "node_modules" / "pg" / "package.json");
  };
  if (installed(cache)) return cache / "node_modules";
  const fs::path staging = dir / ("pgwire-node-cache.staging." + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  ProcessResult npm = RunProcess({"npm", "install", "--prefix", staging.string(), "--no-audit",
                                  "--no-fund", "--loglevel=error", "pg@8"},
                                 ProcessOptions{}, std::chrono::seconds(180));
  if (npm.exit_code != 0 || !installed(staging)) {
    fs::remove_all(staging, ec);
    return Unavailable("npm could not install pg: " + npm.Describe());
  }
  // Atomic; fails when another test process put its copy in place first (then use that one).
  fs::rename(staging, cache, ec);
  if (ec) fs::remove_all(staging, ec);
  if (!installed(cache)) return Unavailable("pg is not in " + cache.string() + " after install");
  return cache / "node_modules";
}

}  // namespace domicile::testing
