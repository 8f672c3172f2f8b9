#include "adapters/sql/pgquery/recent_shapes.h"

#include <algorithm>
#include <atomic>
#include <utility>

namespace domicile::pgquery {

RecentShapes& RecentShapes::ForThisThread() {
  thread_local RecentShapes shapes;
  return shapes;
}

std::shared_ptr<const StatementInfo> RecentShapes::Find(uint64_t owner, std::string_view sql) {
  if (sql.size() > kMaxShapeBytes) return nullptr;
  std::string_view body;
  for (size_t i = 0; i < used_; ++i) {
    if (owners_[i] != owner) continue;
    if (body.empty()) body = StatementBody(sql);
    if (entries_[i].pattern->Match(body, literals_)) return Instance(entries_[i]);
  }
  return nullptr;
}

void RecentShapes::Remember(uint64_t owner, std::string_view shape,
                            std::shared_ptr<const StatementInfo> tmpl) {
  for (size_t i = 0; i < used_; ++i) {
    if (owners_[i] == owner && entries_[i].pattern->shape() == shape) return;
  }
  used_ = std::max(used_, next_entry_ + 1);
  owners_[next_entry_] = owner;
  Entry& entry = entries_[next_entry_];
  next_entry_ = (next_entry_ + 1) % kShapes;
  entry = Entry{};
  entry.pattern = std::make_unique<ShapePattern>(shape);
  entry.tmpl = std::move(tmpl);
}

std::shared_ptr<const StatementInfo> RecentShapes::Instance(Entry& entry) {
  // Most often the next one is free: sessions drop an answer when their statement is done.
  // When every instance is held (more statements of this shape in flight than kInstances),
  // a new one takes the next slot; its old occupant lives on with its holders.
  size_t chosen = entry.next_instance;
  bool reuse = false;
  for (size_t k = 0; k < kInstances; ++k) {
    const size_t i = (entry.next_instance + k) % kInstances;
    const std::shared_ptr<StatementInfo>& slot = entry.instances[i];
    if (!slot || slot.use_count() == 1) {
      chosen = i;
      reuse = slot != nullptr;
      break;
    }
  }
  std::shared_ptr<StatementInfo>& slot = entry.instances[chosen];
  if (reuse) {
    // The last other holder let go with a release; this makes its reads of the object
    // happen before the writes below.
    std::atomic_thread_fence(std::memory_order_acquire);
  } else {
    slot = std::make_shared<StatementInfo>(*entry.tmpl);
    slot->whole_text_is_statement = true;  // as InstantiateShape: the text is the statement
  }
  entry.next_instance = (chosen + 1) % kInstances;
  if (!FillInstanceTenants(entry.tmpl->statements[0], literals_, slot->statements[0])) {
    return nullptr;
  }
  return slot;
}

}  // namespace domicile::pgquery
