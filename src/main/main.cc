// Composition root: the CLI front end builds its adapters per command (catalog_access.cc,
// storage_factory.cc); main only hands it the command line.
#include "frontends/cli/cli.h"

int main(int argc, char** argv) { return domicile::RunCli(argc, argv); }
