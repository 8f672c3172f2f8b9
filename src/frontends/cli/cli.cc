// RunCli: builds the command tree, parses, runs the chosen command and maps its Status.
#include "frontends/cli/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "frontends/cli/command.h"
#include "frontends/cli/exit_codes.h"

namespace domicile {
namespace {

// One "domicile: error: " line per line of the message (topology problems come many at once).
void PrintError(const std::string& message) {
  size_t start = 0;
  do {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::cerr << "domicile: error: " << message.substr(start, end - start) << '\n';
    start = end + 1;
  } while (start < message.size());
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"domicile: a data-residency-aware shard router", "domicile"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show help for every command");
  cli::Action action;
  std::string top_data;
  CLI::Option* top_data_option =
      app.add_option("--data", top_data, "data directory holding catalog.db (any command)");
  cli::AddCatalogCommands(app, &action);
  cli::AddShardCommands(app, &action);
  cli::AddTenantCommands(app, &action);
  cli::AddDemoCommand(app, &action);
  cli::AddServeCommand(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    PrintError(std::string(e.what()) + " (see domicile --help)");
    return cli::kExitUsage;
  }
  if (top_data_option->count() > 0) {
    for (auto [option, dir] : cli::DataOptions()) {
      if (option->count() == 0) *dir = top_data;  // the leaf's own --data wins
    }
  }
  if (!action) {  // unreachable while every leaf command sets one; keep the promise anyway
    std::cerr << app.help();
    return cli::kExitUsage;
  }
  Status status = action();
  std::cout.flush();
  if (status.ok()) return cli::kExitOk;
  PrintError(status.message());
  return cli::ExitCodeFor(status.code());
}

}  // namespace domicile
