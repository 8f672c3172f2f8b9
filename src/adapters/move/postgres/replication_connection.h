// ReplicationConnection: a walsender connection to a shard (logical slots, the pgoutput stream).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/move/postgres/lsn.h"
#include "adapters/move/postgres/pgoutput.h"
#include "domain/status.h"

struct pg_conn;
struct pg_result;

namespace domicile::pgmove {

struct ReplicationOptions {
  // libpq's connect_timeout when the conninfo sets none.
  int connect_timeout_seconds = 5;
  std::string application_name = "domicile-move";
};

// What CREATE_REPLICATION_SLOT answered.
struct CreatedSlot {
  std::string slot_name;
  // The slot's stream holds exactly the transactions that commit after this point; the
  // exported snapshot (if any) sees exactly those that committed before it.
  Lsn consistent_point = 0;
  std::string snapshot_name;  // "" unless the snapshot was exported
};

// A chunk of WAL: one pgoutput message.
struct XLogData {
  Lsn wal_start = 0;        // where this message's WAL data starts
  Lsn wal_end = 0;          // the end of WAL on the server when it was sent
  int64_t server_time = 0;  // microseconds since 2000-01-01 UTC
  PgOutputMessage message;
};

// The server's heartbeat. `reply_requested` must be answered with SendStatus soon: the
// server drops a stream that has not reported for wal_sender_timeout (default 60 s).
struct PrimaryKeepalive {
  Lsn wal_end = 0;  // everything before it has been sent
  int64_t server_time = 0;
  bool reply_requested = false;
};

using StreamEvent = std::variant<XLogData, PrimaryKeepalive>;

// Rows of a command's answer as text; nullopt is NULL.
using ReplicationRows = std::vector<std::vector<std::optional<std::string>>>;

// One libpq connection opened with `replication=database`: it runs replication commands
// (and plain SQL) until StartReplication, then carries the stream until it is destroyed.
// To leave the stream, destroy the connection and open a new one.
//
// Errors start with the label ("shard eu-1: ...") and carry the server's SQLSTATE and
// message. A server that cannot be reached or drops the connection is kUnavailable naming
// its host and port; a connection that failed that way has ended: later calls are
// kUnavailable too (open a new one). A call in the wrong mode (a command while streaming,
// Read before StartReplication) is kInvalidArgument.
// Server errors map by SQLSTATE: a missing slot or publication kNotFound, a slot that
// exists kAlreadyExists, a slot in use by another connection kConflict, no free slot or
// walsender kResourceExhausted, a missing privilege kPolicyRefused, bad names or options
// kInvalidArgument, anything else kInternal.
//
// Not thread-safe: one thread at a time (Read blocks that thread up to its timeout).
class ReplicationConnection {
 public:
  // Connects with `conninfo` (keyword/value or URI; its own settings win over `options`,
  // but replication=database is always added) and checks the server: kInvalidArgument
  // "<label>: wal_level must be logical for online moves" when it is not.
  static Result<ReplicationConnection> Open(const std::string& conninfo, std::string label,
                                            ReplicationOptions options = {});

  ReplicationConnection(ReplicationConnection&&) noexcept;
  ReplicationConnection& operator=(ReplicationConnection&&) noexcept;
  ~ReplicationConnection();

  // Runs one replication command (IDENTIFY_SYSTEM, SHOW name, ...) or SQL statement and
  // returns its rows (none for a command without rows). A command that starts streaming
  // leaves the connection streaming, as StartReplication does.
  Result<ReplicationRows> Exec(std::string_view command);

  // CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput (SNAPSHOT 'export'|'nothing').
  // `name`: 1 to 63 of [a-z0-9_] (kInvalidArgument otherwise). Blocks until every
  // transaction running on the server when it is called has ended (the slot needs a
  // consistent point). A temporary slot is dropped when this connection ends and can only
  // be streamed from this connection.
  //
  // With `export_snapshot`, the snapshot stays importable (SET TRANSACTION SNAPSHOT, in a
  // REPEATABLE READ transaction on another connection) only while this connection runs
  // nothing else: the next call on it (any command, StartReplication) or its end destroys
  // the snapshot. Import it first; the importing transaction keeps it for its own lifetime.
  Result<CreatedSlot> CreateSlot(const std::string& name, bool temporary, bool export_snapshot);

  // DROP_REPLICATION_SLOT name WAIT. Ok when there is no such slot (idempotent). Waits while
  // another connection streams from the slot, until that connection ends.
  Status DropSlot(const std::string& name);

  // START_REPLICATION SLOT name LOGICAL start (proto_version '1', publication_names '...',
  // messages '...'). The stream carries the transactions that commit at or after
  // max(start, the slot's confirmed position): pass the end_lsn of the last applied commit,
  // or 0 to resume where the slot was last confirmed. Row changes are those of the
  // publications (their row filters applied); `messages` adds pg_logical_emit_message
  // messages. A publication that does not exist is reported by Read (kNotFound), when the
  // server decodes the first change, not here.
  Status StartReplication(const std::string& slot, Lsn start,
                          const std::vector<std::string>& publication_names, bool messages = true);

  // The next stream event, or nullopt when none arrived within `timeout` (0 polls once).
  // kCorrupt when the server sent bytes that do not decode (that message is lost: reopen and
  // restart from the last applied position); kUnavailable or the mapped server error when
  // the stream ended (the connection has then ended: every later call is kUnavailable).
  Result<std::optional<StreamEvent>> Read(std::chrono::milliseconds timeout);

  // Standby status update ('r'): the positions the client has written, flushed and applied
  // (each the LSN after the last byte it covers), stamped with the current time. `flushed`
  // is what the slot keeps: the server may recycle WAL before it and a restarted stream
  // never sends a transaction committed before it again, so report only what the target
  // holds durably. `reply_requested` asks the server for a keepalive at once.
  Status SendStatus(Lsn written, Lsn flushed, Lsn applied, bool reply_requested);

  bool streaming() const { return mode_ == Mode::kStreaming; }
  const std::string& label() const { return label_; }

 private:
  enum class Mode { kCommands, kStreaming, kEnded };
  struct Finisher {
    void operator()(pg_conn* conn) const;
  };
  ReplicationConnection(pg_conn* conn, std::string label);

  // The Status for a failed command (or stream end), naming `what`.
  Status Fail(std::string_view what, const pg_result* result);
  // Ok in `wanted` mode; else kInvalidArgument (a call out of order) or kUnavailable (the
  // connection ended).
  Status CheckMode(Mode wanted, std::string_view what) const;
  Result<StreamEvent> ParseStreamMessage(std::string_view bytes) const;
  Result<std::optional<StreamEvent>> EndOfStream();

  std::unique_ptr<pg_conn, Finisher> conn_;
  std::string label_;
  Mode mode_ = Mode::kCommands;
};

}  // namespace domicile::pgmove
