// Reads a topology file (TOML: [[jurisdiction]], [[shard]], [[tenant]]) into a Topology.
#pragma once

#include <string>
#include <string_view>

#include "domain/status.h"
#include "domain/topology.h"

namespace domicile {

// Reads and checks the file's shape: TOML syntax, known keys, value types, required keys,
// engine names and the address each engine needs. Every problem is reported at once, one per
// line as "FILE:LINE: message" (kInvalidArgument). Relative sqlite paths are resolved against
// the file's directory and made absolute, so the catalog means the same file from any working
// directory. Ids, codes and regions are kept as written: the catalog normalises and checks
// them (unknown region, empty allow list, a shard outside the tenant's jurisdictions) and
// points at the lines recorded in each entry. Thread-safe (no shared state).
Result<Topology> LoadTopologyFile(const std::string& path);

// As LoadTopologyFile, for text already in memory. `source_name` prefixes messages and
// becomes Topology::source; relative sqlite paths are resolved against `base_dir` (the
// current directory when empty).
Result<Topology> LoadTopologyString(std::string_view text, const std::string& source_name,
                                    const std::string& base_dir = "");

}  // namespace domicile
