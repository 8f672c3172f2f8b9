// WAL positions (LSNs) as PostgreSQL writes them: "16/B374D848".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace domicile::pgmove {

// A WAL position: a byte offset into the write-ahead log. 0 means "none" (InvalidXLogRecPtr).
using Lsn = uint64_t;

// Parses "X/Y": two hexadecimal numbers of 1 to 8 digits each (either case), the high and
// the low 32 bits. kInvalidArgument, quoting the text, for anything else (spaces included).
Result<Lsn> ParseLsn(std::string_view text);

// The form PostgreSQL prints (pg_lsn output, "%X/%X"): upper case, no padding. "0/0" for 0.
std::string FormatLsn(Lsn lsn);

}  // namespace domicile::pgmove
