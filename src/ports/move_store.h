// MoveStore: where tenant move records (the saga's durable state) are kept, beside the catalog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/move_state.h"
#include "domain/status.h"

namespace domicile {

// Every TenantMove field round-trips exactly (operator== holds after Get). Safe from several
// threads and processes at once, like CatalogStore.
class MoveStore {
 public:
  virtual ~MoveStore() = default;

  // Stores a new record (state Planned). kAlreadyExists when a move with the same id exists;
  // kConflict naming the other move when the tenant already has an unfinished move (any
  // state but Done/RolledBack; a Failed move must be undone first): this is the real "one
  // move per tenant at a time" guard, checked by the store itself (a unique index) so two
  // processes planning at once cannot both win.
  virtual Status Create(const TenantMove& move) = 0;

  // Replaces the stored record `move.id` if and only if its stored updated_at_ms and state
  // are still those of `expected` (compare-and-set on what the caller last read), so a stale
  // runner cannot overwrite a newer step. kNotFound for an unknown id; kConflict when the
  // stored record moved on (message names its state). A failed Save changes nothing.
  virtual Status Save(const TenantMove& expected, const TenantMove& move) = 0;

  // The record, or kNotFound "no move 'id'".
  virtual Result<TenantMove> Get(const std::string& id) = 0;

  // The tenant's unfinished move (not Done/RolledBack), if any.
  virtual Result<std::optional<TenantMove>> Unfinished(const std::string& tenant) = 0;

  // All records, newest planned first (ties by id); `include_ended` false leaves out Done and
  // RolledBack.
  virtual Result<std::vector<TenantMove>> List(bool include_ended) = 0;
};

}  // namespace domicile
