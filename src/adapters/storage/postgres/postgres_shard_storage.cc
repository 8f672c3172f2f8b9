// PostgresShardStorage: validates the DSN and opens one libpq connection per session.
#include "adapters/storage/postgres/postgres_shard_storage.h"

#include <libpq-fe.h>

#include "adapters/storage/postgres/postgres_session.h"

namespace domicile {
namespace {

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running..."):
// one line reads better inside a Status.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

PostgresShardStorage::PostgresShardStorage(std::string dsn, PostgresShardStorageOptions options)
    : dsn_(std::move(dsn)), options_(std::move(options)) {}

Result<std::unique_ptr<ShardSession>> PostgresShardStorage::Open() {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(dsn_.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = parse_error != nullptr ? parse_error : "out of memory";
    PQfreemem(parse_error);
    return InvalidArgument("invalid postgres DSN: " + OneLine(message));
  }
  PQconninfoFree(parsed);

  // Later entries win: the DSN overrides our defaults, but results are always UTF-8.
  std::string timeout = std::to_string(options_.connect_timeout_seconds);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {timeout.c_str(), options_.application_name.c_str(), dsn_.c_str(), "UTF8",
                          nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Unavailable("cannot connect to postgres shard: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    std::string message = "cannot connect to postgres shard at " +
                          std::string(host != nullptr ? host : "?") + ":" +
                          (port != nullptr ? port : "?") + ": " + OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable(std::move(message));
  }
  return std::unique_ptr<ShardSession>(std::make_unique<PostgresSession>(conn));
}

}  // namespace domicile
