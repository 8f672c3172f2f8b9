// EmbeddedRunner: runs simple-Query strings and extended-protocol batches on one embedded
// (SQLite) ShardSession and writes PostgreSQL backend messages. Blocking: worker threads only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/statement_info.h"
#include "frontends/pgwire/embedded_encoding.h"
#include "ports/shard_storage.h"

namespace domicile::pgwire {

// One ShardSession leased to one client for one shard, with the transaction state the client
// was told (PostgreSQL's ReadyForQuery letters).
struct EmbeddedLease {
  std::string shard_id;
  std::string address;
  std::unique_ptr<ShardSession> session;
  char status = 'I';  // 'I' idle, 'T' in a transaction, 'E' in a failed transaction
};

// A statement as Parse registered it.
struct EmbeddedStatement {
  std::string query;
  std::vector<uint32_t> param_types;
  std::shared_ptr<const StatementInfo> info;  // null when the text did not parse as PostgreSQL
};

// One extended-protocol message, owned, with its statement resolved by the caller.
struct EmbeddedStep {
  enum class Kind {
    kParse,
    kBind,
    kDescribeStatement,
    kDescribePortal,
    kExecute,
    kCloseStatement,
    kClosePortal,
    kSync,
    kFlush
  };
  Kind kind = Kind::kSync;
  std::string name;  // the portal (Bind, Describe/Close/Execute portal) or statement name
  std::shared_ptr<const EmbeddedStatement> statement;  // Bind, DescribeStatement; null: unknown
  std::vector<int16_t> param_formats;
  std::vector<std::optional<std::string>> params;
  std::vector<int16_t> result_formats;
  int32_t max_rows = 0;
};

// A bound portal; its result is computed once (at Describe or the first Execute) and handed
// out max_rows at a time.
struct EmbeddedPortal {
  std::shared_ptr<const EmbeddedStatement> statement;
  std::vector<Value> params;
  std::vector<int16_t> result_formats;  // as Bind asked for them
  std::unique_ptr<WireRowSink> result;  // null until executed
  std::string tag;
  size_t next_row = 0;
};

// The extended-protocol state of one client on embedded shards.
struct EmbeddedExtendedState {
  std::map<std::string, EmbeddedPortal> portals;
  bool skip_to_sync = false;  // an error happened: ignore messages up to the next Sync
};

// What a run reports back to the session.
struct EmbeddedOutcome {
  std::string bytes;    // backend messages for the client
  bool failed = false;  // an ErrorResponse is among them
};

// Runs a simple-Query string, statement by statement (the analyzer's per-statement text when
// `info` is given, the whole text otherwise), ending with ReadyForQuery. Several statements
// outside a transaction block run in one implicit transaction, as PostgreSQL does.
EmbeddedOutcome RunEmbeddedQuery(EmbeddedLease& lease, std::string_view sql,
                                 const StatementInfo* info);

// Runs a batch of extended-protocol messages (up to Sync or Flush).
EmbeddedOutcome RunEmbeddedBatch(EmbeddedLease& lease, EmbeddedExtendedState& state,
                                 const std::vector<EmbeddedStep>& steps);

// The highest $n the text references (outside quotes and comments): the statement's
// parameter count for ParameterDescription.
int CountParameters(std::string_view sql);

}  // namespace domicile::pgwire
