// ParseLsn and FormatLsn: the "X/Y" text form of a WAL position.
#include "adapters/move/postgres/lsn.h"

#include <charconv>

namespace domicile::pgmove {
namespace {

constexpr size_t kMaxHalfDigits = 8;

// One half of an LSN; false unless `text` is 1 to 8 hex digits and nothing else.
bool ParseHalf(std::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > kMaxHalfDigits) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<Lsn> ParseLsn(std::string_view text) {
  size_t slash = text.find('/');
  uint32_t high = 0;
  uint32_t low = 0;
  if (slash == std::string_view::npos || !ParseHalf(text.substr(0, slash), &high) ||
      !ParseHalf(text.substr(slash + 1), &low)) {
    return InvalidArgument("invalid LSN '" + std::string(text) +
                           "': expected two hexadecimal numbers like 16/B374D848");
  }
  return (Lsn{high} << 32) | low;
}

std::string FormatLsn(Lsn lsn) {
  char buf[2 * kMaxHalfDigits + 1];
  auto high = std::to_chars(buf, buf + kMaxHalfDigits, static_cast<uint32_t>(lsn >> 32), 16);
  *high.ptr = '/';
  auto low = std::to_chars(high.ptr + 1, buf + sizeof(buf), static_cast<uint32_t>(lsn), 16);
  std::string out(buf, low.ptr);
  for (char& c : out) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace domicile::pgmove
