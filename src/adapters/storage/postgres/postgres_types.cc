// PostgreSQL type OIDs, text-format values and SQLSTATEs mapped onto the port's vocabulary.
#include "adapters/storage/postgres/postgres_types.h"

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <memory>

namespace domicile {
namespace {

// Type OIDs from pg_type.dat: stable across PostgreSQL versions.
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kOidOid = 26;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status StatusForSqlState(std::string_view state, std::string message) {
  std::string_view cls = state.substr(0, 2);
  if (state == "23505" || state == "42P07" || state == "42710" || state == "42P06" ||
      state == "42P04") {
    return AlreadyExists(std::move(message));
  }
  if (state == "40001" || state == "40P01") return Conflict(std::move(message));
  if (cls == "08" || cls == "53" || cls == "58" || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return Unavailable(std::move(message));
  }
  if (state == "XX001" || state == "XX002") return Corrupt(std::move(message));
  if (cls == "XX") return Internal(std::move(message));
  return InvalidArgument(std::move(message));  // syntax, undefined objects, data, integrity
}

}  // namespace

ColumnType ColumnTypeForOid(uint32_t oid) {
  switch (oid) {
    case kBoolOid:
      return ColumnType::kBool;
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return ColumnType::kInt64;
    case kFloat4Oid:
    case kFloat8Oid:
      return ColumnType::kFloat64;
    case kByteaOid:
      return ColumnType::kBytes;
    default:
      return ColumnType::kText;  // numeric too: text keeps every digit
  }
}

Value DecodeText(ColumnType type, std::string_view text) {
  switch (type) {
    case ColumnType::kBool:
      return text == "t";
    case ColumnType::kInt64: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
      break;
    }
    case ColumnType::kFloat64: {
      // from_chars reads "NaN", "Infinity" and "-Infinity" as PostgreSQL prints them.
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
      break;
    }
    case ColumnType::kBytes: {
      std::string terminated(text);  // PQunescapeBytea reads up to a NUL
      size_t length = 0;
      std::unique_ptr<unsigned char, decltype(&PQfreemem)> raw(
          PQunescapeBytea(reinterpret_cast<const unsigned char*>(terminated.c_str()), &length),
          &PQfreemem);
      if (raw != nullptr) return Bytes{std::string(reinterpret_cast<char*>(raw.get()), length)};
      break;
    }
    default:
      break;
  }
  return std::string(text);  // kText, or a value that did not parse: keep what the server said
}

EncodedParam EncodeParam(const Value& value) {
  EncodedParam p;
  std::visit(
      [&p](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          p.is_null = true;
        } else if constexpr (std::is_same_v<T, bool>) {
          p.storage = v ? "t" : "f";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          p.storage = std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(v)) {
            p.storage = "NaN";
          } else if (std::isinf(v)) {
            p.storage = v > 0 ? "Infinity" : "-Infinity";
          } else {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
            p.storage.assign(buf, end);
          }
        } else if constexpr (std::is_same_v<T, std::string>) {
          p.external = v.c_str();  // the caller's value outlives the call
          p.length = static_cast<int>(v.size());
        } else {
          p.external = v.data.data();
          p.length = static_cast<int>(v.data.size());
          p.format = 1;
          p.oid = kByteaOid;
        }
      },
      value);
  return p;
}

Status StatusFromResult(const pg_result* result, std::string_view fallback_message,
                        bool connection_ok) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  std::string message;
  if (primary != nullptr) {
    message = std::string("[") + (state ? state : "XX000") + "] " + primary;
    if (detail != nullptr) message += std::string(" (") + detail + ")";
  } else {
    message = Trim(std::string(fallback_message));
  }
  if (!connection_ok) return Unavailable("connection to postgres shard lost: " + message);
  if (state == nullptr) return Internal(message);
  return StatusForSqlState(state, std::move(message));
}

}  // namespace domicile
