// DecodePgOutput: bounds-checked reads of pgoutput protocol version 1 messages.
#include "adapters/move/postgres/pgoutput.h"

#include <iterator>

namespace domicile::pgmove {
namespace {

// Reads big-endian fields front to back. The first failure sticks: later reads return zero
// values and Finish() reports the first problem, so a decoder reads a whole message and
// checks once (loops check ok() so a bad count cannot spin).
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view message) : bytes_(bytes), message_(message) {}

  bool ok() const { return error_.empty(); }
  size_t remaining() const { return bytes_.size() - at_; }

  uint8_t U8(std::string_view field) { return static_cast<uint8_t>(Unsigned(1, field)); }
  int16_t I16(std::string_view field) { return static_cast<int16_t>(Unsigned(2, field)); }
  uint32_t U32(std::string_view field) { return static_cast<uint32_t>(Unsigned(4, field)); }
  int32_t I32(std::string_view field) { return static_cast<int32_t>(Unsigned(4, field)); }
  uint64_t U64(std::string_view field) { return Unsigned(8, field); }
  int64_t I64(std::string_view field) { return static_cast<int64_t>(Unsigned(8, field)); }

  // A NUL-terminated string (the NUL is consumed, not returned).
  std::string String(std::string_view field) {
    if (!ok()) return {};
    size_t nul = bytes_.find('\0', at_);
    if (nul == std::string_view::npos) {
      Fail("the " + std::string(field) + " string has no terminating NUL");
      return {};
    }
    std::string out(bytes_.substr(at_, nul - at_));
    at_ = nul + 1;
    return out;
  }

  // `length` raw bytes; `length` comes from the wire, so it is checked, never trusted.
  std::string Bytes(int32_t length, std::string_view field) {
    if (!ok()) return {};
    if (length < 0) {
      Fail("negative length " + std::to_string(length) + " for the " + std::string(field));
      return {};
    }
    if (static_cast<size_t>(length) > remaining()) {
      Truncated(field, static_cast<size_t>(length));
      return {};
    }
    std::string out(bytes_.substr(at_, static_cast<size_t>(length)));
    at_ += static_cast<size_t>(length);
    return out;
  }

  void Fail(std::string problem) {
    if (ok()) error_ = std::move(problem);
  }

  // The first problem, or trailing bytes after a complete message.
  Status Finish() {
    if (ok() && at_ != bytes_.size()) {
      Fail(std::to_string(remaining()) + " unexpected bytes after the message");
    }
    if (ok()) return Status::Ok();
    return Corrupt("corrupt pgoutput " + std::string(message_) + " message (" +
                   std::to_string(bytes_.size()) + " bytes): " + error_);
  }

 private:
  uint64_t Unsigned(size_t width, std::string_view field) {
    if (!ok()) return 0;
    if (width > remaining()) {
      Truncated(field, width);
      return 0;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) {
      value = (value << 8) | static_cast<uint8_t>(bytes_[at_ + i]);
    }
    at_ += width;
    return value;
  }

  void Truncated(std::string_view field, size_t wanted) {
    Fail("truncated at byte " + std::to_string(at_) + ": the " + std::string(field) + " needs " +
         std::to_string(wanted) + " bytes, " + std::to_string(remaining()) + " left");
  }

  std::string_view bytes_;
  std::string_view message_;
  size_t at_ = 1;  // past the message type byte
  std::string error_;
};

Tuple ReadTuple(Reader& r, std::string_view which) {
  std::string field(which);
  int16_t count = r.I16(field + " tuple's column count");
  if (count < 0)
    r.Fail("negative column count " + std::to_string(count) + " in the " + field + " tuple");
  Tuple tuple;
  for (int16_t i = 0; i < count && r.ok(); ++i) {
    std::string column = field + " tuple's column " + std::to_string(i + 1);
    TupleValue value;
    uint8_t kind = r.U8(column + " kind");
    switch (kind) {
      case 'n':
        value.kind = TupleValue::Kind::kNull;
        break;
      case 'u':
        value.kind = TupleValue::Kind::kUnchangedToast;
        break;
      case 't':
      case 'b':
        value.kind = kind == 't' ? TupleValue::Kind::kText : TupleValue::Kind::kBinary;
        value.data = r.Bytes(r.I32(column + " length"), column + " value");
        break;
      default:
        if (r.ok()) r.Fail("unknown value kind " + std::to_string(kind) + " in the " + column);
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

// Reads the 'K' or 'O' tag of an old tuple, then the tuple.
OldTupleKind ReadOldTuple(Reader& r, uint8_t tag, Tuple* out) {
  *out = ReadTuple(r, tag == 'K' ? "old key" : "old");
  return tag == 'K' ? OldTupleKind::kKey : OldTupleKind::kFull;
}

void ExpectTag(Reader& r, uint8_t tag, uint8_t expected, std::string_view what) {
  if (r.ok() && tag != expected) {
    r.Fail("expected '" + std::string(1, static_cast<char>(expected)) + "' before the " +
           std::string(what) + ", found byte " + std::to_string(tag));
  }
}

PgOutputMessage ReadBegin(Reader& r) {
  BeginMessage m;
  m.final_lsn = r.U64("final LSN");
  m.commit_time = r.I64("commit timestamp");
  m.xid = r.U32("xid");
  return m;
}

PgOutputMessage ReadCommit(Reader& r) {
  CommitMessage m;
  m.flags = r.U8("flags");
  m.commit_lsn = r.U64("commit LSN");
  m.end_lsn = r.U64("end LSN");
  m.commit_time = r.I64("commit timestamp");
  return m;
}

PgOutputMessage ReadOrigin(Reader& r) {
  OriginMessage m;
  m.origin_commit_lsn = r.U64("origin commit LSN");
  m.name = r.String("origin name");
  return m;
}

PgOutputMessage ReadRelation(Reader& r) {
  RelationMessage m;
  m.relation_id = r.U32("relation id");
  m.namespace_name = r.String("namespace");
  m.name = r.String("relation name");
  uint8_t identity = r.U8("replica identity");
  switch (identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i':
      m.replica_identity = static_cast<ReplicaIdentity>(identity);
      break;
    default:
      if (r.ok()) r.Fail("unknown replica identity " + std::to_string(identity));
  }
  int16_t count = r.I16("column count");
  if (count < 0) r.Fail("negative column count " + std::to_string(count));
  for (int16_t i = 0; i < count && r.ok(); ++i) {
    std::string column = "column " + std::to_string(i + 1);
    RelationColumn c;
    c.key = (r.U8(column + " flags") & 1) != 0;
    c.name = r.String(column + " name");
    c.type_oid = r.U32(column + " type");
    c.type_modifier = r.I32(column + " type modifier");
    m.columns.push_back(std::move(c));
  }
  return m;
}

PgOutputMessage ReadType(Reader& r) {
  TypeMessage m;
  m.type_oid = r.U32("type id");
  m.namespace_name = r.String("namespace");
  m.name = r.String("type name");
  return m;
}

PgOutputMessage ReadInsert(Reader& r) {
  InsertMessage m;
  m.relation_id = r.U32("relation id");
  ExpectTag(r, r.U8("new tuple tag"), 'N', "new tuple");
  m.new_tuple = ReadTuple(r, "new");
  return m;
}

PgOutputMessage ReadUpdate(Reader& r) {
  UpdateMessage m;
  m.relation_id = r.U32("relation id");
  uint8_t tag = r.U8("tuple tag");
  if (tag == 'K' || tag == 'O') {
    m.old_kind = ReadOldTuple(r, tag, &m.old_tuple);
    tag = r.U8("new tuple tag");
  }
  ExpectTag(r, tag, 'N', "new tuple");
  m.new_tuple = ReadTuple(r, "new");
  return m;
}

PgOutputMessage ReadDelete(Reader& r) {
  DeleteMessage m;
  m.relation_id = r.U32("relation id");
  uint8_t tag = r.U8("old tuple tag");
  if (tag != 'K' && tag != 'O') {
    if (r.ok())
      r.Fail("expected 'K' or 'O' before the old tuple, found byte " + std::to_string(tag));
    return m;
  }
  m.old_kind = ReadOldTuple(r, tag, &m.old_tuple);
  return m;
}

PgOutputMessage ReadTruncate(Reader& r) {
  TruncateMessage m;
  int32_t count = r.I32("relation count");
  m.options = r.U8("options");
  if (count < 0) r.Fail("negative relation count " + std::to_string(count));
  // Checked against what is left before reserving, so a huge count cannot allocate.
  if (r.ok() && static_cast<size_t>(count) > r.remaining() / 4) {
    r.Fail(std::to_string(count) + " relation ids announced, " + std::to_string(r.remaining()) +
           " bytes left");
  }
  if (!r.ok()) return m;
  m.relation_ids.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) m.relation_ids.push_back(r.U32("relation id"));
  return m;
}

PgOutputMessage ReadLogicalMessage(Reader& r) {
  LogicalMessage m;
  m.transactional = (r.U8("flags") & 1) != 0;
  m.lsn = r.U64("LSN");
  m.prefix = r.String("prefix");
  m.content = r.Bytes(r.I32("content length"), "content");
  return m;
}

struct Kind {
  char type;
  std::string_view name;
  PgOutputMessage (*read)(Reader&);
};

// In the order of PgOutputMessage's alternatives (PgOutputMessageName indexes it).
constexpr Kind kKinds[] = {
    {'B', "Begin", ReadBegin},       {'C', "Commit", ReadCommit},
    {'O', "Origin", ReadOrigin},     {'R', "Relation", ReadRelation},
    {'Y', "Type", ReadType},         {'I', "Insert", ReadInsert},
    {'U', "Update", ReadUpdate},     {'D', "Delete", ReadDelete},
    {'T', "Truncate", ReadTruncate}, {'M', "Message", ReadLogicalMessage},
};

static_assert(std::size(kKinds) == std::variant_size_v<PgOutputMessage>);

// Sent only by protocol version 2 and later (streaming) or with two_phase.
constexpr std::string_view kLaterVersionTypes = "SEcAbPKrp";

}  // namespace

Result<PgOutputMessage> DecodePgOutput(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgument("empty pgoutput message");
  char type = bytes[0];
  for (const Kind& kind : kKinds) {
    if (kind.type != type) continue;
    Reader r(bytes, kind.name);
    PgOutputMessage message = kind.read(r);
    DOMICILE_RETURN_IF_ERROR(r.Finish());
    return message;
  }
  if (kLaterVersionTypes.find(type) != std::string_view::npos) {
    return InvalidArgument(std::string("pgoutput message type '") + type +
                           "' is not part of protocol version 1 (streaming or two-phase)");
  }
  return Corrupt("unknown pgoutput message type " + std::to_string(static_cast<uint8_t>(type)) +
                 " (" + std::to_string(bytes.size()) + " bytes)");
}

std::string_view PgOutputMessageName(const PgOutputMessage& message) {
  return kKinds[message.index()].name;
}

}  // namespace domicile::pgmove
