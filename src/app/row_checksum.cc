#include "app/row_checksum.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

namespace domicile {
namespace {

int Rank(ColumnType kind) {
  switch (kind) {
    case ColumnType::kBool:
      return 1;
    case ColumnType::kInt64:
      return 2;
    case ColumnType::kFloat64:
      return 3;
    default:
      return 0;
  }
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// An integral double that an int64 holds exactly.
std::optional<int64_t> IntegralDouble(double v) {
  if (!std::isfinite(v) || v != std::trunc(v)) return std::nullopt;
  if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(v);
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "Infinity" : "-Infinity");
  } else {
    if (v == 0) v = 0;  // -0 and 0: SQLite keeps no negative zero
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
    out->append(buf, end);
  }
}

void AppendHex(std::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out->push_back(kDigits[c >> 4]);
    out->push_back(kDigits[c & 15]);
  }
}

// Canonical text of a non-NULL value, before any kind-specific reading of text.
void AppendPlain(const Value& value, std::string* out) {
  if (const auto* b = std::get_if<bool>(&value)) {
    out->push_back(*b ? '1' : '0');
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    AppendInt(*i, out);
  } else if (const auto* d = std::get_if<double>(&value)) {
    AppendDouble(*d, out);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    out->append(*s);
  } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
    out->append(bytes->data);
  }
}

}  // namespace

ColumnType CommonKind(ColumnType source, ColumnType target) {
  if (source == target) return source;
  const int a = Rank(source), b = Rank(target);
  if (a && b) return a > b ? source : target;
  if ((source == ColumnType::kBytes && target == ColumnType::kText) ||
      (source == ColumnType::kText && target == ColumnType::kBytes)) {
    return ColumnType::kBytes;
  }
  return ColumnType::kText;
}

void AppendCanonical(const Value& value, ColumnType kind, std::string* out) {
  if (std::holds_alternative<std::monostate>(value)) {
    out->push_back('N');
    return;
  }
  // "V<length>:<text>": no row's concatenation can be read as another's.
  std::string text;
  switch (kind) {
    case ColumnType::kFloat64: {
      std::optional<double> d;
      if (const auto* v = std::get_if<double>(&value)) d = *v;
      if (const auto* v = std::get_if<int64_t>(&value)) d = static_cast<double>(*v);
      if (const auto* v = std::get_if<bool>(&value)) d = *v ? 1 : 0;
      if (const auto* v = std::get_if<std::string>(&value)) d = ParseDouble(*v);
      if (d) {
        AppendDouble(*d, &text);
      } else {
        AppendPlain(value, &text);
      }
      break;
    }
    case ColumnType::kInt64:
    case ColumnType::kBool: {
      std::optional<int64_t> i;
      if (const auto* v = std::get_if<int64_t>(&value)) i = *v;
      if (const auto* v = std::get_if<bool>(&value)) i = *v ? 1 : 0;
      if (const auto* v = std::get_if<double>(&value)) i = IntegralDouble(*v);
      if (const auto* v = std::get_if<std::string>(&value)) i = ParseInt(*v);
      if (i) {
        AppendInt(*i, &text);
      } else {
        AppendPlain(value, &text);
      }
      break;
    }
    case ColumnType::kBytes:
      if (const auto* v = std::get_if<Bytes>(&value)) {
        AppendHex(v->data, &text);
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        AppendHex(*s, &text);
      } else {
        AppendPlain(value, &text);
      }
      break;
    default:
      AppendPlain(value, &text);
      break;
  }
  out->push_back('V');
  AppendInt(static_cast<int64_t>(text.size()), out);
  out->push_back(':');
  out->append(text);
}

Value CoerceForKind(Value value, ColumnType kind) {
  switch (kind) {
    case ColumnType::kBool:
      if (const auto* v = std::get_if<int64_t>(&value); v && (*v == 0 || *v == 1)) return *v == 1;
      if (const auto* v = std::get_if<double>(&value); v && (*v == 0 || *v == 1)) return *v == 1;
      break;
    case ColumnType::kInt64:
      if (const auto* v = std::get_if<bool>(&value)) return int64_t{*v ? 1 : 0};
      if (const auto* v = std::get_if<double>(&value)) {
        if (std::optional<int64_t> i = IntegralDouble(*v)) return *i;
      }
      if (const auto* v = std::get_if<std::string>(&value)) {
        if (std::optional<int64_t> i = ParseInt(*v)) return *i;
      }
      break;
    case ColumnType::kFloat64:
      if (const auto* v = std::get_if<bool>(&value)) return *v ? 1.0 : 0.0;
      if (const auto* v = std::get_if<std::string>(&value)) {
        if (std::optional<double> d = ParseDouble(*v)) return *d;
      }
      break;
    case ColumnType::kBytes:
      if (auto* v = std::get_if<std::string>(&value)) return Bytes{std::move(*v)};
      break;
    case ColumnType::kText:
      if (auto* v = std::get_if<Bytes>(&value)) return std::move(v->data);
      break;
    case ColumnType::kNull:
      break;
  }
  return value;
}

uint64_t StableHash64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // FNV alone mixes its last bytes weakly; sums of such hashes need every bit to matter.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

TableChecksum::TableChecksum(std::vector<ColumnType> kinds) : kinds_(std::move(kinds)) {}

void TableChecksum::Add(std::span<const Value> row) {
  text_.clear();
  for (size_t i = 0; i < row.size(); ++i) {
    AppendCanonical(row[i], i < kinds_.size() ? kinds_[i] : ColumnType::kText, &text_);
  }
  sum_ += StableHash64(text_);
  ++rows_;
}

std::string TableChecksum::checksum() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sum_));
  return buf;
}

}  // namespace domicile
