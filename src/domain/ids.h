// Validation and normalisation of the identifiers the catalog stores.
#pragma once

#include <string>
#include <string_view>

#include "domain/status.h"

namespace domicile {

// Limits every id obeys; documented in the README so tools can rely on them.
inline constexpr size_t kMaxIdLength = 63;          // fits a PostgreSQL identifier
inline constexpr size_t kMaxJurisdictionLength = 16;

// Tenant and shard ids: 1..63 printable ASCII characters from [a-z0-9._-], starting with a
// letter or digit. Upper case input is folded to lower case; anything else is refused, never
// silently altered. `kind` ("tenant", "shard") names the id in the error.
Result<std::string> NormalizeId(std::string_view kind, std::string_view raw);
// Whether NormalizeId would accept `raw` and return it unchanged, without building the
// result: the router checks ids named in every statement.
bool IsNormalizedId(std::string_view raw);

// Jurisdiction codes: 2..16 characters from [A-Z0-9_-], folded to upper case ("eu" -> "EU").
Result<std::string> NormalizeJurisdictionCode(std::string_view raw);

// Cloud regions are written "provider:region" ("aws:eu-central-1"), lower case, each part
// from [a-z0-9._-]. Folded to lower case.
Result<std::string> NormalizeRegion(std::string_view raw);

// The provider part of a normalised region ("aws" of "aws:eu-central-1").
std::string_view RegionProvider(std::string_view region);

}  // namespace domicile
