// ServeConfig: the settings file of `domicile serve` (server, pool, routing, tables, users).
#pragma once

#include <cstdint>
#include <string>

#include "domain/status.h"
#include "frontends/pgwire/router_context.h"
#include "ports/statement_analyzer.h"

namespace domicile::cli {

struct ServeConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 6432;
  // Network threads; 0: DefaultWorkers(). The router usually shares its machine with the
  // database or the application, so it takes half the cores: every thread it adds costs
  // wakeups and context switches that the servers and clients then lack.
  int workers = 0;
  int embedded_threads = 2;  // worker threads for statements on sqlite shards
  // How stale the router's catalog may be. Short, because a move's hold reaches routers
  // through it (docs/moves.md); each check is one small read of the catalog's version.
  std::chrono::milliseconds catalog_ttl{20};
  RoutingRules routing;
  pgwire::RouterSettings router;
};

// Reads a TOML settings file (format in the README). Every problem is listed at once as
// "FILE:LINE: message" (kInvalidArgument); unknown keys are problems, so typos do not pass
// silently.
Result<ServeConfig> LoadServeConfig(const std::string& path);

// The network threads `workers = 0` stands for: half the machine's cores, at least one.
int DefaultWorkers();

// "HOST:PORT" -> host and port (kInvalidArgument when malformed).
Status ParseListen(const std::string& text, ServeConfig* config);

}  // namespace domicile::cli
