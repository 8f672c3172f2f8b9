#include "adapters/sql/pgquery/recent_shapes.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace domicile::pgquery {

RecentShapes& RecentShapes::ForThisThread() {
  thread_local RecentShapes shapes;
  return shapes;
}

std::shared_ptr<const StatementInfo> RecentShapes::Find(uint64_t owner, std::string_view sql) {
  if (sql.size() > kMaxShapeBytes) return nullptr;
  const std::string_view body = StatementBody(sql);
  const Bytes16 first = FirstBytes(body);
  auto matches = [&](size_t i) {
    const Head& head = heads_[i];
    const uint64_t differ =
        ((first[0] ^ head.bytes[0]) & head.mask[0]) | ((first[1] ^ head.bytes[1]) & head.mask[1]);
    return differ == 0 && owners_[i] == owner && entries_[i].pattern->Match(body, literals_);
  };
  // The entry that answered last is asked first: one shape is often most of a thread's texts.
  size_t found = kShapes;
  if (used_ > 0 && matches(last_found_)) found = last_found_;
  for (size_t i = 0; found == kShapes && i < used_; ++i) {
    if (i != last_found_ && matches(i)) found = i;
  }
  if (found == kShapes) {
    answer_credit_ = std::min(answer_credit_ + 1, kMaxAnswerCredit);
    return nullptr;
  }
  last_found_ = found;
  Entry& entry = entries_[found];
  if (entry.tmpl_is_answer) return entry.tmpl;
  return Instance(entry);
}

void RecentShapes::Remember(uint64_t owner, std::string_view shape,
                            std::shared_ptr<const StatementInfo> tmpl) {
  if (Entry* entry = Replace(owner, shape)) entry->tmpl = std::move(tmpl);
}

bool RecentShapes::TakeAnswerCredit() {
  if (answer_credit_ < kAnswerCost) return false;
  answer_credit_ -= kAnswerCost;
  return true;
}

void RecentShapes::RememberAnswer(uint64_t owner, std::string_view shape,
                                  std::shared_ptr<const StatementInfo> answer) {
  if (Entry* entry = Replace(owner, shape)) {
    entry->tmpl = std::move(answer);
    entry->tmpl_is_answer = true;
  }
}

RecentShapes::Entry* RecentShapes::Replace(uint64_t owner, std::string_view shape) {
  for (size_t i = 0; i < used_; ++i) {
    if (owners_[i] == owner && entries_[i].pattern->shape() == shape) return nullptr;
  }
  used_ = std::max(used_, next_entry_ + 1);
  owners_[next_entry_] = owner;
  Entry& entry = entries_[next_entry_];
  next_entry_ = (next_entry_ + 1) % kShapes;
  entry = Entry{};
  entry.pattern = std::make_unique<ShapePattern>(shape);
  heads_[&entry - entries_.data()] = HeadOf(entry.pattern->head());
  return &entry;
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

RecentShapes::Bytes16 RecentShapes::FirstBytes(std::string_view text) {
  Bytes16 words;
  if (text.size() >= 16) {
    std::memcpy(words.data(), text.data(), 16);
    return words;
  }
  std::array<char, 16> bytes{};
  std::memcpy(bytes.data(), text.data(), text.size());
  std::memcpy(words.data(), bytes.data(), 16);
  return words;
}

RecentShapes::Head RecentShapes::HeadOf(std::string_view fixed) {
  std::array<unsigned char, 16> mask{};
  std::memset(mask.data(), 0xff, std::min<size_t>(fixed.size(), 16));
  Head head;
  head.bytes = FirstBytes(fixed);
  std::memcpy(head.mask.data(), mask.data(), 16);
  return head;
}

}  // namespace domicile::pgquery
