// ReplicationConnection: slot commands over PQexec, the CopyBoth stream with async
// PQgetCopyData and poll(2) on the socket, standby status updates.
#include "adapters/move/postgres/replication_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace domicile::pgmove {
namespace {

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00 UTC).
constexpr int64_t kPostgresEpochOffsetMicros = 946684800LL * 1000 * 1000;
constexpr size_t kMaxSlotNameLength = 63;  // NAMEDATALEN - 1
constexpr size_t kXLogDataHeader = 1 + 8 + 8 + 8;
constexpr size_t kKeepaliveSize = 1 + 8 + 8 + 1;
constexpr int64_t kMaxPollMillis = 60 * 1000;  // longer waits poll again

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running..."):
// one line reads better inside a Status.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '\n' && c != '\t' && c != ' ') {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Address(PGconn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  return std::string(host != nullptr ? host : "?") + ":" + (port != nullptr ? port : "?");
}

// The slot names PostgreSQL accepts; checking them here also keeps names out of command
// texts unquoted (replication commands take slot names bare).
Status CheckSlotName(const std::string& label, const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxSlotNameLength;
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return Status::Ok();
  return InvalidArgument(label + ": invalid replication slot name '" + name +
                         "': use 1 to 63 lower-case letters, digits and underscores");
}

StatusCode CodeForSqlState(std::string_view state) {
  if (state == "42704") return StatusCode::kNotFound;                     // undefined_object
  if (state == "42710") return StatusCode::kAlreadyExists;                // duplicate_object
  if (state == "55006") return StatusCode::kConflict;                     // object_in_use
  if (state == "42501") return StatusCode::kPolicyRefused;                // insufficient_privilege
  if (state.substr(0, 2) == "53") return StatusCode::kResourceExhausted;  // e.g. no free slot
  if (state.substr(0, 2) == "08" || state.substr(0, 2) == "57") return StatusCode::kUnavailable;
  if (state.substr(0, 2) == "42" || state.substr(0, 2) == "22" || state == "55000" ||
      state == "25001") {
    return StatusCode::kInvalidArgument;  // syntax, names, options, wal_level, in a transaction
  }
  return StatusCode::kInternal;
}

uint64_t BigEndian(std::string_view bytes, size_t at) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

void PutBigEndian(std::string& out, uint64_t value) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
}

int64_t PostgresNowMicros() {
  auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPostgresEpochOffsetMicros;
}

// "'"p1","p2"'": each name an identifier inside one string literal.
std::string PublicationNamesLiteral(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) {
    if (!list.empty()) list += ',';
    list += '"';
    for (char c : name) list += c == '"' ? std::string("\"\"") : std::string(1, c);
    list += '"';
  }
  std::string literal = "'";
  for (char c : list) literal += c == '\'' ? std::string("''") : std::string(1, c);
  return literal + "'";
}

}  // namespace

void ReplicationConnection::Finisher::operator()(pg_conn* conn) const { PQfinish(conn); }

ReplicationConnection::ReplicationConnection(pg_conn* conn, std::string label)
    : conn_(conn), label_(std::move(label)) {
  // Notices are not errors: keep libpq from printing them on stderr.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

ReplicationConnection::ReplicationConnection(ReplicationConnection&&) noexcept = default;
ReplicationConnection& ReplicationConnection::operator=(ReplicationConnection&&) noexcept = default;
ReplicationConnection::~ReplicationConnection() = default;

Result<ReplicationConnection> ReplicationConnection::Open(const std::string& conninfo,
                                                          std::string label,
                                                          ReplicationOptions options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = parse_error != nullptr ? parse_error : "out of memory";
    PQfreemem(parse_error);
    return InvalidArgument(label + ": invalid conninfo: " + OneLine(message));
  }
  PQconninfoFree(parsed);

  // Later entries win: the conninfo overrides the defaults before it, replication after it.
  std::string timeout = std::to_string(options.connect_timeout_seconds);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "replication", nullptr};
  const char* values[] = {timeout.c_str(), options.application_name.c_str(), conninfo.c_str(),
                          "database", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) return Unavailable(label + ": cannot connect: out of memory");
  ReplicationConnection conn(raw, std::move(label));
  if (PQstatus(raw) != CONNECTION_OK) {
    return Unavailable(conn.label_ + ": cannot open a replication connection to " + Address(raw) +
                       ": " + OneLine(PQerrorMessage(raw)));
  }
  Result<ReplicationRows> level = conn.Exec("SHOW wal_level");
  if (!level.ok()) return level.status();
  std::string value =
      level->empty() || level->front().empty() ? std::string() : level->front()[0].value_or("");
  if (value != "logical") {
    return InvalidArgument(conn.label_ + ": wal_level must be logical for online moves (it is '" +
                           value + "' on " + Address(raw) +
                           "; set wal_level = logical and restart the server)");
  }
  return conn;
}

Status ReplicationConnection::Fail(std::string_view what, const pg_result* result) {
  PGconn* conn = conn_.get();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  std::string message = label_ + ": " + std::string(what) + " failed: ";
  if (primary != nullptr) {
    message += std::string("[") + (state ? state : "XX000") + "] " + primary;
    if (detail != nullptr) message += std::string(" (") + detail + ")";
  } else {
    message += OneLine(PQerrorMessage(conn));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    mode_ = Mode::kEnded;
    return Unavailable(message + " (connection to " + Address(conn) + " lost)");
  }
  return Status(state != nullptr ? CodeForSqlState(state) : StatusCode::kInternal,
                std::move(message));
}

Status ReplicationConnection::CheckMode(Mode wanted, std::string_view what) const {
  if (mode_ == wanted) return Status::Ok();
  std::string prefix = label_ + ": cannot " + std::string(what) + ": ";
  if (mode_ == Mode::kEnded) {
    return Unavailable(prefix + "the replication connection has ended; open a new one");
  }
  return InvalidArgument(prefix + (mode_ == Mode::kStreaming
                                       ? "the connection is streaming; open a new one"
                                       : "the connection is not streaming (StartReplication)"));
}

Result<ReplicationRows> ReplicationConnection::Exec(std::string_view command) {
  DOMICILE_RETURN_IF_ERROR(CheckMode(Mode::kCommands, "run " + std::string(command)));
  std::string text(command);
  ResultPtr result(PQexec(conn_.get(), text.c_str()));
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
      return ReplicationRows{};
    case PGRES_TUPLES_OK: {
      ReplicationRows rows;
      for (int r = 0; r < PQntuples(result.get()); ++r) {
        auto& row = rows.emplace_back();
        for (int c = 0; c < PQnfields(result.get()); ++c) {
          if (PQgetisnull(result.get(), r, c)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(
                std::string(PQgetvalue(result.get(), r, c), PQgetlength(result.get(), r, c)));
          }
        }
      }
      return rows;
    }
    case PGRES_COPY_BOTH:
      mode_ = Mode::kStreaming;
      return ReplicationRows{};
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
      mode_ = Mode::kEnded;  // nothing here reads or writes a plain COPY
      return InvalidArgument(label_ + ": COPY is not supported on a replication connection");
    default:
      return Fail(command, result.get());
  }
}

Result<CreatedSlot> ReplicationConnection::CreateSlot(const std::string& name, bool temporary,
                                                      bool export_snapshot) {
  DOMICILE_RETURN_IF_ERROR(CheckSlotName(label_, name));
  std::string command = "CREATE_REPLICATION_SLOT " + name + (temporary ? " TEMPORARY" : "") +
                        " LOGICAL pgoutput (SNAPSHOT '" + (export_snapshot ? "export" : "nothing") +
                        "')";
  Result<ReplicationRows> rows = Exec(command);
  if (!rows.ok()) return rows.status();
  // slot_name, consistent_point, snapshot_name, output_plugin
  if (rows->size() != 1 || rows->front().size() < 3 || !rows->front()[1]) {
    return Internal(label_ + ": unexpected answer to CREATE_REPLICATION_SLOT " + name);
  }
  const auto& row = rows->front();
  Result<Lsn> point = ParseLsn(*row[1]);
  if (!point.ok()) return Internal(label_ + ": " + point.status().message());
  return CreatedSlot{row[0].value_or(name), *point, row[2].value_or("")};
}

Status ReplicationConnection::DropSlot(const std::string& name) {
  DOMICILE_RETURN_IF_ERROR(CheckSlotName(label_, name));
  Result<ReplicationRows> dropped = Exec("DROP_REPLICATION_SLOT " + name + " WAIT");
  if (!dropped.ok() && dropped.status().code() != StatusCode::kNotFound) return dropped.status();
  return Status::Ok();
}

Status ReplicationConnection::StartReplication(const std::string& slot, Lsn start,
                                               const std::vector<std::string>& publication_names,
                                               bool messages) {
  DOMICILE_RETURN_IF_ERROR(CheckMode(Mode::kCommands, "run START_REPLICATION"));
  DOMICILE_RETURN_IF_ERROR(CheckSlotName(label_, slot));
  if (publication_names.empty()) {
    return InvalidArgument(label_ + ": START_REPLICATION needs at least one publication");
  }
  for (const std::string& name : publication_names) {
    if (name.empty() || name.find('\0') != std::string::npos) {
      return InvalidArgument(label_ + ": invalid publication name '" + name + "'");
    }
  }
  std::string command = "START_REPLICATION SLOT " + slot + " LOGICAL " + FormatLsn(start) +
                        " (proto_version '1', publication_names " +
                        PublicationNamesLiteral(publication_names) + ", messages '" +
                        (messages ? "true" : "false") + "')";
  ResultPtr result(PQexec(conn_.get(), command.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) {
    return Fail("START_REPLICATION SLOT " + slot, result.get());
  }
  mode_ = Mode::kStreaming;
  return Status::Ok();
}

Result<std::optional<StreamEvent>> ReplicationConnection::Read(std::chrono::milliseconds timeout) {
  DOMICILE_RETURN_IF_ERROR(CheckMode(Mode::kStreaming, "read the replication stream"));
  PGconn* conn = conn_.get();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    char* buffer = nullptr;
    int length = PQgetCopyData(conn, &buffer, /*async=*/1);
    if (length > 0) {
      std::unique_ptr<char, void (*)(void*)> owned(buffer, &PQfreemem);
      Result<StreamEvent> event =
          ParseStreamMessage(std::string_view(buffer, static_cast<size_t>(length)));
      if (!event.ok()) return event.status();
      return std::optional<StreamEvent>(std::move(event).value());
    }
    if (length < 0) return EndOfStream();

    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<StreamEvent>();
    pollfd fd{PQsocket(conn), POLLIN, 0};
    int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), kMaxPollMillis)));
    if (ready < 0 && errno != EINTR) {
      return Internal(label_ + ": poll on the replication connection: " + std::strerror(errno));
    }
    if (ready > 0 && PQconsumeInput(conn) == 0) return EndOfStream();
  }
}

Result<std::optional<StreamEvent>> ReplicationConnection::EndOfStream() {
  // The server ended the copy (an error, a shutdown) or the connection broke: the final
  // result and the connection's state say which.
  PGconn* conn = conn_.get();
  ResultPtr result(PQgetResult(conn));
  bool error = result == nullptr || PQresultStatus(result.get()) == PGRES_FATAL_ERROR;
  Status status = error || PQstatus(conn) != CONNECTION_OK
                      ? Fail("the replication stream", result.get())
                      : Unavailable(label_ + ": the server at " + Address(conn) +
                                    " ended the replication stream");
  mode_ = Mode::kEnded;
  return status;
}

Result<StreamEvent> ReplicationConnection::ParseStreamMessage(std::string_view bytes) const {
  if (bytes[0] == 'w' && bytes.size() >= kXLogDataHeader) {
    XLogData data;
    data.wal_start = BigEndian(bytes, 1);
    data.wal_end = BigEndian(bytes, 9);
    data.server_time = static_cast<int64_t>(BigEndian(bytes, 17));
    Result<PgOutputMessage> message = DecodePgOutput(bytes.substr(kXLogDataHeader));
    if (!message.ok()) {
      return Status(message.status().code(), label_ + ": WAL data at " + FormatLsn(data.wal_start) +
                                                 ": " + message.status().message());
    }
    data.message = std::move(message).value();
    return StreamEvent(std::move(data));
  }
  if (bytes[0] == 'k' && bytes.size() == kKeepaliveSize) {
    PrimaryKeepalive keepalive;
    keepalive.wal_end = BigEndian(bytes, 1);
    keepalive.server_time = static_cast<int64_t>(BigEndian(bytes, 9));
    keepalive.reply_requested = bytes[17] != 0;
    return StreamEvent(keepalive);
  }
  return Corrupt(label_ + ": unexpected replication stream message (type " +
                 std::to_string(static_cast<uint8_t>(bytes[0])) + ", " +
                 std::to_string(bytes.size()) + " bytes)");
}

Status ReplicationConnection::SendStatus(Lsn written, Lsn flushed, Lsn applied,
                                         bool reply_requested) {
  DOMICILE_RETURN_IF_ERROR(CheckMode(Mode::kStreaming, "send a status update"));
  std::string message(1, 'r');
  PutBigEndian(message, written);
  PutBigEndian(message, flushed);
  PutBigEndian(message, applied);
  PutBigEndian(message, static_cast<uint64_t>(PostgresNowMicros()));
  message.push_back(reply_requested ? 1 : 0);
  PGconn* conn = conn_.get();
  if (PQputCopyData(conn, message.data(), static_cast<int>(message.size())) != 1 ||
      PQflush(conn) != 0) {
    mode_ = Mode::kEnded;
    return Unavailable(label_ + ": cannot send a status update to " + Address(conn) + ": " +
                       OneLine(PQerrorMessage(conn)));
  }
  return Status::Ok();
}

}  // namespace domicile::pgmove
