// How PostgreSQL values, types and errors become the port's Value, ColumnType and Status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ports/shard_storage.h"

struct pg_result;

namespace domicile {

// The logical type for a PostgreSQL type OID (unknown OIDs are text).
ColumnType ColumnTypeForOid(uint32_t oid);

// Decodes one non-NULL text-format value of a column of `type`.
Value DecodeText(ColumnType type, std::string_view text);

// One parameter as PQexecParams wants it. Strings and bytes point into the Value, which must
// outlive the call; other values are rendered into `storage`.
struct EncodedParam {
  bool is_null = false;
  std::string storage;
  const char* external = nullptr;
  int length = 0;
  int format = 0;    // 0 text, 1 binary
  uint32_t oid = 0;  // 0 lets the server infer the type from context

  const char* data() const { return is_null ? nullptr : external ? external : storage.c_str(); }
};
EncodedParam EncodeParam(const Value& value);

// The Status for a failed result: "[SQLSTATE] message (detail)" with a code chosen from the
// SQLSTATE; `connection_ok` false makes it kUnavailable whatever the server said.
Status StatusFromResult(const pg_result* result, std::string_view fallback_message,
                        bool connection_ok);

}  // namespace domicile
