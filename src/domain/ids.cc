#include "domain/ids.h"

namespace domicile {
namespace {

// ASCII only, as the "C" locale has it whatever locale the process runs in: ids are ASCII,
// and IsNormalizedId runs on every statement that names its tenant (<cctype> is a libc call
// per byte).
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Shows an offending value safely: control bytes and non-ASCII become \xNN.
std::string Printable(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw.substr(0, 80)) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (raw.size() > 80) out += "...";
  return out;
}

bool IsIdPart(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

}  // namespace

Result<std::string> NormalizeId(std::string_view kind, std::string_view raw) {
  std::string label(kind);
  if (raw.empty()) return InvalidArgument(label + " id must not be empty");
  if (raw.size() > kMaxIdLength) {
    return InvalidArgument(label + " id '" + Printable(raw) + "' is longer than " +
                           std::to_string(kMaxIdLength) + " characters");
  }
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (!IsIdPart(c)) {
      return InvalidArgument(label + " id '" + Printable(raw) +
                             "' may only contain letters, digits, '.', '_' and '-'");
    }
    out += Lower(c);
  }
  if (!IsAlnum(out.front())) {
    return InvalidArgument(label + " id '" + Printable(raw) + "' must start with a letter or digit");
  }
  return out;
}

bool IsNormalizedId(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxIdLength || !IsAlnum(raw.front())) return false;
  for (char c : raw) {
    if (!IsIdPart(c) || Lower(c) != c) return false;
  }
  return true;
}

Result<std::string> NormalizeJurisdictionCode(std::string_view raw) {
  if (raw.size() < 2 || raw.size() > kMaxJurisdictionLength) {
    return InvalidArgument("jurisdiction code '" + Printable(raw) + "' must be 2 to " +
                           std::to_string(kMaxJurisdictionLength) + " characters");
  }
  std::string out;
  for (char c : raw) {
    if (!IsAlnum(c) && c != '_' && c != '-') {
      return InvalidArgument("jurisdiction code '" + Printable(raw) +
                             "' may only contain letters, digits, '_' and '-'");
    }
    out += Upper(c);
  }
  return out;
}

Result<std::string> NormalizeRegion(std::string_view raw) {
  auto colon = raw.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == raw.size() ||
      raw.find(':', colon + 1) != std::string_view::npos) {
    return InvalidArgument("region '" + Printable(raw) +
                           "' must be written provider:region, e.g. aws:eu-central-1");
  }
  if (raw.size() > 2 * kMaxIdLength) {
    return InvalidArgument("region '" + Printable(raw) + "' is too long");
  }
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (i != colon && !IsIdPart(c)) {
      return InvalidArgument("region '" + Printable(raw) +
                             "' may only contain letters, digits, '.', '_', '-' and one ':'");
    }
    out += Lower(c);
  }
  return out;
}

std::string_view RegionProvider(std::string_view region) {
  return region.substr(0, region.find(':'));
}

}  // namespace domicile
