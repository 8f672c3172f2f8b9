// A decoder of the pgoutput logical replication messages, protocol version 1 (no I/O).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/move/postgres/lsn.h"
#include "domain/status.h"

namespace domicile::pgmove {

// Decoded messages, as listed in PostgreSQL's "Logical Replication Message Formats".
// Integers are in host order; strings are copied out of the input. Timestamps are
// microseconds since the PostgreSQL epoch (2000-01-01 00:00 UTC). Relation and type ids are
// OIDs: a change names its relation by the id of a Relation message sent earlier on the same
// stream (see RelationMessage).

// Starts a transaction. Sent just before its first published change: PostgreSQL 15 sends
// nothing at all for a transaction with no published change (filtered out, other tables).
struct BeginMessage {
  Lsn final_lsn = 0;  // the commit record's LSN (CommitMessage::commit_lsn)
  int64_t commit_time = 0;
  uint32_t xid = 0;
  friend bool operator==(const BeginMessage&, const BeginMessage&) = default;
};

// Ends the transaction opened by the last BeginMessage.
struct CommitMessage {
  uint8_t flags = 0;  // unused by PostgreSQL; always 0
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the end of the commit record: where a resumed stream starts again
  int64_t commit_time = 0;
  friend bool operator==(const CommitMessage&, const CommitMessage&) = default;
};

// The transaction was replayed from another server through a replication origin (it follows
// BeginMessage). Absent for transactions written by ordinary clients.
struct OriginMessage {
  Lsn origin_commit_lsn = 0;
  std::string name;
  friend bool operator==(const OriginMessage&, const OriginMessage&) = default;
};

struct RelationColumn {
  bool key = false;  // part of the replica identity
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;  // atttypmod; -1 when the type has none
  friend bool operator==(const RelationColumn&, const RelationColumn&) = default;
};

// pg_class.relreplident: which old values UPDATE and DELETE carry.
enum class ReplicaIdentity : char {
  kDefault = 'd',  // the primary key ('K' old tuples)
  kNothing = 'n',
  kFull = 'f',   // every column ('O' old tuples)
  kIndex = 'i',  // a chosen unique index ('K' old tuples)
};

// Describes a table before the first change to it on a stream, and again after its
// definition changed. Tuples of later changes have exactly these columns, in this order
// (generated and dropped columns left out). A decoder of a stream must keep these by id.
struct RelationMessage {
  uint32_t relation_id = 0;
  std::string namespace_name;  // "" for pg_catalog
  std::string name;
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;
  friend bool operator==(const RelationMessage&, const RelationMessage&) = default;
};

// Names a type that is not built in (an enum, a domain...) used by a column of the next
// RelationMessage; built-in type OIDs are stable and never described.
struct TypeMessage {
  uint32_t type_oid = 0;
  std::string namespace_name;  // "" for pg_catalog
  std::string name;
  friend bool operator==(const TypeMessage&, const TypeMessage&) = default;
};

// One column's value inside a tuple.
struct TupleValue {
  enum class Kind : char {
    kNull = 'n',
    // An out-of-line (TOASTed) value the change left as it was: its bytes are not sent,
    // so an apply must keep the target's current value of this column.
    kUnchangedToast = 'u',
    kText = 't',    // the type's text output in `data`
    kBinary = 'b',  // the type's binary send form (only with the `binary` option)
  };
  Kind kind = Kind::kNull;
  std::string data;  // empty unless kText or kBinary
  friend bool operator==(const TupleValue&, const TupleValue&) = default;
};
using Tuple = std::vector<TupleValue>;

struct InsertMessage {
  uint32_t relation_id = 0;
  Tuple new_tuple;
  friend bool operator==(const InsertMessage&, const InsertMessage&) = default;
};

// What the old tuple of an UPDATE or DELETE holds.
enum class OldTupleKind : char {
  kNone = 0,    // UPDATE only: no old tuple; the replica identity did not change
  kKey = 'K',   // the replica identity columns; the other columns are kNull
  kFull = 'O',  // every column (REPLICA IDENTITY FULL)
};

// With the default replica identity, PostgreSQL logs the old key only when the update
// changed it, so `old_kind` is kNone unless the key changed: find the row by the key
// columns of `new_tuple` then.
struct UpdateMessage {
  uint32_t relation_id = 0;
  OldTupleKind old_kind = OldTupleKind::kNone;
  Tuple old_tuple;  // empty when old_kind is kNone
  Tuple new_tuple;
  friend bool operator==(const UpdateMessage&, const UpdateMessage&) = default;
};

struct DeleteMessage {
  uint32_t relation_id = 0;
  OldTupleKind old_kind = OldTupleKind::kKey;  // kKey or kFull
  Tuple old_tuple;
  friend bool operator==(const DeleteMessage&, const DeleteMessage&) = default;
};

// TRUNCATE of one or more published tables: every row, whatever the publication's row
// filter says.
struct TruncateMessage {
  static constexpr uint8_t kCascade = 1;
  static constexpr uint8_t kRestartIdentity = 2;
  uint8_t options = 0;  // bits above
  std::vector<uint32_t> relation_ids;
  friend bool operator==(const TruncateMessage&, const TruncateMessage&) = default;
};

// pg_logical_emit_message(transactional, prefix, content), with the `messages` option.
// A transactional message sits inside its transaction (Begin .. Commit); any other arrives
// on its own, as soon as it is written, even if its transaction later rolls back.
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::string content;
  friend bool operator==(const LogicalMessage&, const LogicalMessage&) = default;
};

using PgOutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage,
                 InsertMessage, UpdateMessage, DeleteMessage, TruncateMessage, LogicalMessage>;

// Decodes one whole message (the payload of one XLogData). Never reads outside `bytes` and
// never throws on bad input: kCorrupt, naming the message and the field, when the bytes are
// truncated, overlong or malformed (a string without its NUL, a negative count, an unknown
// tuple value kind, bytes left over, an unknown message type); kInvalidArgument for an empty
// input or a message of a later protocol version or option (streaming, two-phase), which a
// version 1 stream never carries.
// Thread-safe (pure).
Result<PgOutputMessage> DecodePgOutput(std::string_view bytes);

// "Begin", "Insert"...: the message's name, for logs and errors.
std::string_view PgOutputMessageName(const PgOutputMessage& message);

}  // namespace domicile::pgmove
