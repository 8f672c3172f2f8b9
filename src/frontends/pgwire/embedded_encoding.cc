// Embedded-shard values, parameters and errors in PostgreSQL's wire formats.
#include "frontends/pgwire/embedded_encoding.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "frontends/pgwire/backend_encoder.h"

namespace domicile::pgwire {
namespace {

void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t ReadBigEndian(std::string_view raw) {
  uint64_t v = 0;
  for (unsigned char c : raw) v = (v << 8) | c;
  return v;
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round trip, as PG 12+
    out.append(buf, end);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

Status BadParam(uint32_t type_oid, std::string_view raw) {
  return InvalidArgument("invalid input for a parameter of type " + std::to_string(type_oid) +
                         ": \"" + std::string(raw.substr(0, 64)) + "\"");
}

}  // namespace

uint32_t TypeOidFor(ColumnType type) {
  switch (type) {
    case ColumnType::kBool:
      return kOidBool;
    case ColumnType::kInt64:
      return kOidInt8;
    case ColumnType::kFloat64:
      return kOidFloat8;
    case ColumnType::kBytes:
      return kOidBytea;
    case ColumnType::kNull:
    case ColumnType::kText:
      return kOidText;
  }
  return kOidText;
}

int16_t TypeLenFor(ColumnType type) {
  switch (type) {
    case ColumnType::kBool:
      return 1;
    case ColumnType::kInt64:
    case ColumnType::kFloat64:
      return 8;
    default:
      return -1;
  }
}

void AppendValueText(std::string& out, const Value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          out += v ? 't' : 'f';
        } else if constexpr (std::is_same_v<T, int64_t>) {
          char buf[24];
          auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
          out.append(buf, end);
        } else if constexpr (std::is_same_v<T, double>) {
          AppendDouble(out, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out += v;
        } else if constexpr (std::is_same_v<T, Bytes>) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          for (unsigned char c : v.data) {
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
          }
        }
      },
      value);
}

void AppendValueBinary(std::string& out, const Value& value, ColumnType column) {
  if (column == ColumnType::kInt64 && std::holds_alternative<int64_t>(value)) {
    AppendBigEndian(out, static_cast<uint64_t>(std::get<int64_t>(value)), 8);
  } else if (column == ColumnType::kFloat64 && std::holds_alternative<double>(value)) {
    AppendBigEndian(out, std::bit_cast<uint64_t>(std::get<double>(value)), 8);
  } else if (column == ColumnType::kBool && std::holds_alternative<bool>(value)) {
    out += std::get<bool>(value) ? '\1' : '\0';
  } else if (column == ColumnType::kBytes && std::holds_alternative<Bytes>(value)) {
    out += std::get<Bytes>(value).data;
  } else {
    AppendValueText(out, value);
  }
}

int16_t FormatFor(std::span<const int16_t> formats, size_t index) {
  if (formats.empty()) return 0;
  if (formats.size() == 1) return formats[0];
  return index < formats.size() ? formats[index] : 0;
}

Result<Value> DecodeParam(std::optional<std::string_view> raw, int16_t format, uint32_t type_oid) {
  if (!raw) return Value{std::monostate{}};
  std::string_view s = *raw;
  if (format == 1) {
    switch (type_oid) {
      case kOidBool:
        if (s.size() != 1) return BadParam(type_oid, s);
        return Value{s[0] != 0};
      case kOidBytea:
        return Value{Bytes{std::string(s)}};
      case kOidFloat4:
        if (s.size() != 4) return BadParam(type_oid, s);
        return Value{
            static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(ReadBigEndian(s))))};
      case kOidFloat8:
        if (s.size() != 8) return BadParam(type_oid, s);
        return Value{std::bit_cast<double>(ReadBigEndian(s))};
      case kOidText:
      case kOidVarchar:
        return Value{std::string(s)};
      default:
        break;
    }
    // int2/int4/int8, and unspecified types sent as 2/4/8 bytes (drivers binding integers).
    if (s.size() == 2) return Value{static_cast<int64_t>(static_cast<int16_t>(ReadBigEndian(s)))};
    if (s.size() == 4) return Value{static_cast<int64_t>(static_cast<int32_t>(ReadBigEndian(s)))};
    if (s.size() == 8) return Value{static_cast<int64_t>(ReadBigEndian(s))};
    if (type_oid == kOidInt2 || type_oid == kOidInt4 || type_oid == kOidInt8) {
      return BadParam(type_oid, s);
    }
    return Value{std::string(s)};
  }
  switch (type_oid) {
    case kOidInt2:
    case kOidInt4:
    case kOidInt8: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size()) return BadParam(type_oid, s);
      return Value{v};
    }
    case kOidFloat4:
    case kOidFloat8: {
      double v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size()) return BadParam(type_oid, s);
      return Value{v};
    }
    case kOidBool: {
      if (s == "t" || s == "true" || s == "1" || s == "on" || s == "yes") return Value{true};
      if (s == "f" || s == "false" || s == "0" || s == "off" || s == "no") return Value{false};
      return BadParam(type_oid, s);
    }
    case kOidBytea: {
      if (s.substr(0, 2) != "\\x") return Value{Bytes{std::string(s)}};  // escape format as is
      if (s.size() % 2 != 0) return BadParam(type_oid, s);
      Bytes out;
      for (size_t i = 2; i < s.size(); i += 2) {
        int hi = HexDigit(s[i]);
        int lo = HexDigit(s[i + 1]);
        if (hi < 0 || lo < 0) return BadParam(type_oid, s);
        out.data += static_cast<char>(hi * 16 + lo);
      }
      return Value{std::move(out)};
    }
    default:
      return Value{std::string(s)};
  }
}

std::string_view SqlStateForStorageError(const Status& status) {
  std::string_view m = status.message();
  switch (status.code()) {
    case StatusCode::kAlreadyExists:
      return "23505";
    case StatusCode::kConflict:
      return "40001";
    case StatusCode::kUnavailable:
      return Contains(m, "busy") ? "55P03" : "08006";
    case StatusCode::kCorrupt:
      return "XX001";
    case StatusCode::kNotFound:
      return "42704";
    case StatusCode::kResourceExhausted:
      return "53300";
    case StatusCode::kPolicyRefused:
      return "42501";
    case StatusCode::kInvalidArgument:
      break;
    default:
      return "XX000";
  }
  if (Contains(m, "current transaction is aborted")) return "25P02";
  // A move's fence trigger (SqliteTenantTables): PostgreSQL's fence says 55000 too.
  if (Contains(m, "is fenced on this shard")) return "55000";
  if (Contains(m, "NOT NULL constraint")) return "23502";
  if (Contains(m, "FOREIGN KEY constraint")) return "23503";
  if (Contains(m, "CHECK constraint")) return "23514";
  if (Contains(m, "UNIQUE constraint")) return "23505";
  if (Contains(m, "constraint violation")) return "23000";
  if (Contains(m, "syntax error") || Contains(m, "incomplete input") ||
      Contains(m, "unrecognized token")) {
    return "42601";
  }
  if (Contains(m, "no such table")) return "42P01";
  if (Contains(m, "no such column")) return "42703";
  if (Contains(m, "no such function")) return "42883";
  if (Contains(m, "already exists")) return "42P07";
  if (Contains(m, "datatype mismatch")) return "42804";
  if (Contains(m, "there is no parameter") || Contains(m, "unsupported parameter")) {
    return "08P01";
  }
  if (Contains(m, "several statements")) return "42601";
  return "22023";
}

WireRowSink::WireRowSink(std::vector<int16_t> result_formats)
    : result_formats_(std::move(result_formats)) {}

void WireRowSink::OnColumns(const std::vector<Column>& columns) {
  has_columns_ = true;
  columns_ = columns;
  scratch_.resize(columns.size());
}

bool WireRowSink::OnRow(std::span<const Value> row) {
  std::vector<std::optional<std::string_view>> values;
  values.reserve(row.size());
  if (scratch_.size() < row.size()) scratch_.resize(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    if (std::holds_alternative<std::monostate>(row[i])) {
      values.emplace_back(std::nullopt);
      continue;
    }
    std::string& text = scratch_[i];
    text.clear();
    ColumnType type = i < columns_.size() ? columns_[i].type : ColumnType::kText;
    if (FormatFor(result_formats_, i) == 1) {
      AppendValueBinary(text, row[i], type);
    } else {
      AppendValueText(text, row[i]);
    }
    values.emplace_back(std::string_view(text));
  }
  Encode(rows_, DataRow{std::move(values)});
  row_ends_.push_back(rows_.size());
  return true;
}

void WireRowSink::AppendRowDescription(std::string& out) const {
  RowDescription description;
  description.fields.reserve(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    FieldDescription field;
    field.name = columns_[i].name;
    field.type_oid = TypeOidFor(columns_[i].type);
    field.type_len = TypeLenFor(columns_[i].type);
    field.format = FormatFor(result_formats_, i);
    description.fields.push_back(field);
  }
  Encode(out, description);
}

void WireRowSink::AppendRows(std::string& out, size_t from, size_t to) const {
  if (to > row_ends_.size()) to = row_ends_.size();
  if (from >= to) return;
  size_t begin = from == 0 ? 0 : row_ends_[from - 1];
  out.append(rows_, begin, row_ends_[to - 1] - begin);
}

}  // namespace domicile::pgwire
