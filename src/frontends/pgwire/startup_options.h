// Parsing of the StartupMessage `options` parameter into run-time settings (-c name=value).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/status.h"

namespace domicile::pgwire {

// One `-c name=value` (or `--name=value`) from the options string.
struct StartupSetting {
  std::string name;  // dashes turned into underscores, as PostgreSQL does
  std::string value;
  bool operator==(const StartupSetting&) const = default;
};

// Splits `options` the way PostgreSQL's pg_split_opts does (whitespace separates words, a
// backslash makes the next character literal) and reads each switch. Accepted: `-c n=v`,
// `-cn=v`, `--n=v`. Any other switch, or a setting without '=', is kInvalidArgument (the
// router cannot forward backend switches it does not understand). Order is preserved.
Result<std::vector<StartupSetting>> ParseStartupOptions(std::string_view options);

// The last value of `name` among `settings`, or empty when absent.
std::string_view FindSetting(const std::vector<StartupSetting>& settings, std::string_view name);

}  // namespace domicile::pgwire
