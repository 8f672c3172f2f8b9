// The `domicile` command line: catalog, shard, tenant, where and demo.
#pragma once

namespace domicile {

// Parses argv and runs one command. Output goes to stdout; errors go to stderr as
// "domicile: error: <message>" (one line per problem). Returns the process exit code
// (frontends/cli/exit_codes.h). Call from the main thread only: it writes std::cout/cerr.
int RunCli(int argc, char** argv);

}  // namespace domicile
