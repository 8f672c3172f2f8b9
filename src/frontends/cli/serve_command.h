// RunServe: the PostgreSQL front door over a catalog, shared by `domicile serve` and `demo`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "domain/status.h"
#include "frontends/cli/serve_config.h"

namespace domicile::cli {

// Serves the catalog in `data_dir` until SIGINT/SIGTERM: PostgreSQL shards through pooled
// server connections, sqlite shards through the embedded executor's worker threads.
// `on_listening` (may be empty) is called with the bound port once clients can connect.
// Fails fast (kInvalidArgument, kUnavailable...) when the catalog or the address is unusable.
Status RunServe(const std::string& data_dir, ServeConfig config,
                const std::function<void(uint16_t)>& on_listening);

}  // namespace domicile::cli
