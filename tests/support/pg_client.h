// PgClient: one libpq connection a test holds open (to a server or through the router).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/pg_server.h"

struct pg_conn;

namespace domicile::testing {

struct PgResult {
  bool ok = false;
  std::string sqlstate;  // "" on success
  std::string message;   // the primary error message
  PgRows rows;
  // The first column of the first row, or "" when there is none.
  std::string Scalar() const;
  std::string Describe() const { return ok ? "ok" : sqlstate + ": " + message; }
};

// Not thread-safe; one per thread. Errors are values (tests assert on SQLSTATEs).
class PgClient {
 public:
  explicit PgClient(const std::string& conninfo);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  bool connected() const;
  // What the last ReadyForQuery said: 'I' idle, 'T' in a transaction, 'E' in a failed one.
  char TransactionStatus() const;
  std::string error() const;  // the connection error when !connected()
  // Simple-protocol query (one or more statements; the last result is returned).
  PgResult Exec(const std::string& sql);
  // Extended protocol with the unnamed statement and text parameters.
  PgResult ExecParams(const std::string& sql, const std::vector<std::string>& params);
  // A named protocol-level statement (Parse), and running it (Bind/Execute).
  PgResult Prepare(const std::string& name, const std::string& sql);
  PgResult ExecPrepared(const std::string& name, const std::vector<std::string>& params);

 private:
  std::unique_ptr<pg_conn, void (*)(pg_conn*)> conn_;
};

}  // namespace domicile::testing
