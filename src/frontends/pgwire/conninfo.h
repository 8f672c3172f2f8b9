// Conninfo: a shard's libpq keyword/value DSN read into what the router needs to dial it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace domicile::pgwire {

// Where and as whom the router logs in to a PostgreSQL shard.
struct ServerEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 5432;
  std::string dbname;  // empty: same as user
  std::string user;
  std::string password;  // empty: trust (or a server that asks none)
  std::chrono::milliseconds connect_timeout{1000};

  // "127.0.0.1:5433/app" for messages (never the password).
  std::string Describe() const;
};

// Parses "host=127.0.0.1 port=5433 dbname=app user=app password='s e c'" the way libpq reads
// keyword/value strings (single-quoted values, backslash escapes). Unknown keywords that do
// not change where or how to log in (sslmode, application_name...) are ignored; a malformed
// string, a bad port or a unix-socket host is kInvalidArgument.
Result<ServerEndpoint> ParseConninfo(std::string_view dsn);

}  // namespace domicile::pgwire
