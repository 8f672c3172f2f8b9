// FifoQueue: a first-in first-out queue over one vector that keeps its capacity.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace domicile::pgwire {

// What a session expects from its server is queued and drained once per transaction. A
// std::deque allocates and frees a node whenever the queue crosses a node boundary, which
// for a handful of entries per batch meant an allocation per transaction; this reuses one
// buffer: popping only advances a head index, and the buffer is reset when it runs empty.
template <typename T>
class FifoQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T&& item) { items_.push_back(std::move(item)); }
  void push_back(const T& item) { items_.push_back(item); }
  void pop_front() {
    ++head_;
    if (head_ == items_.size()) clear();
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;  // index of the front item
};

}  // namespace domicile::pgwire
