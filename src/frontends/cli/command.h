// What each command group shares: the deferred action and the --data option.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "domain/status.h"

namespace domicile::cli {

// The default data directory: where catalog.db (and the demo's shards) live.
inline constexpr char kDefaultDataDir[] = "./domicile-data";

// The work a parsed command line asks for. Subcommand callbacks only store it, so nothing
// runs before the whole line parsed; RunCli then runs it once and maps its Status.
using Action = std::function<Status()>;

// Every leaf's --data option and the string it fills, so `domicile --data DIR cmd` (before
// the subcommand) works as well as `domicile cmd --data DIR`.
inline std::vector<std::pair<CLI::Option*, std::string*>>& DataOptions() {
  static std::vector<std::pair<CLI::Option*, std::string*>> options;
  return options;
}

// Adds `--data DIR` (env DOMICILE_DATA) to a leaf command.
inline void AddDataOption(CLI::App* command, std::string* dir) {
  CLI::Option* option = command->add_option("--data", *dir, "data directory holding catalog.db")
                            ->envname("DOMICILE_DATA")
                            ->capture_default_str();
  DataOptions().emplace_back(option, dir);
}

// Each group adds its subcommands to `app` and sets `*action` when one of them is chosen.
void AddCatalogCommands(CLI::App& app, Action* action);
void AddShardCommands(CLI::App& app, Action* action);
void AddTenantCommands(CLI::App& app, Action* action);  // tenant add/show, where
// tenant move / tenant moves (move_commands.cc), under the `tenant` group.
void AddMoveCommands(CLI::App& tenant, Action* action);
void AddDemoCommand(CLI::App& app, Action* action);
void AddServeCommand(CLI::App& app, Action* action);  // serve_command.cc

}  // namespace domicile::cli
