// WireBuffer: the receive buffer a decoder parses in place, so messages can be string_views.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace domicile::pgwire {

// Bytes received but not yet consumed. Consumed bytes are dropped lazily (when more room is
// needed), so views handed out by a decoder stay valid until the next Append()/Prepare().
// Room handed out by Prepare() is not zero-filled: a socket read writes it at once, and
// clearing 16 KiB per read showed up in profiles. Not thread-safe: one connection, one thread.
class WireBuffer {
 public:
  // Copies `bytes` to the end.
  void Append(std::string_view bytes) {
    char* at = Prepare(bytes.size());
    if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
    Commit(bytes.size());
  }
  // Zero-copy receive: returns room for `n` bytes at the end; the caller writes into it and
  // then calls Commit() with how many it actually wrote (<= n).
  char* Prepare(size_t n) {
    pending_ = 0;
    if (capacity_ - end_ < n) MakeRoom(n);
    pending_ = n;
    return data_.get() + end_;
  }
  void Commit(size_t written) {
    end_ += std::min(written, pending_);
    pending_ = 0;
  }
  std::string_view Readable() const { return std::string_view(data_.get() + read_, end_ - read_); }
  void Consume(size_t n) {
    read_ += n;
    if (read_ == end_) read_ = end_ = 0;  // empty: start over at the front, nothing to move
  }
  size_t size() const { return end_ - read_; }
  // Drops everything (after a fatal error nothing more will be parsed).
  void Clear() { read_ = end_ = pending_ = 0; }

 private:
  // Moves unread bytes to the front, growing the storage when they and `n` more do not fit.
  void MakeRoom(size_t n) {
    size_t unread = end_ - read_;
    if (unread + n <= capacity_ && read_ > 0) {
      std::memmove(data_.get(), data_.get() + read_, unread);
    } else {
      size_t capacity = std::max({capacity_ * 2, unread + n, size_t{4096}});
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (unread > 0) std::memcpy(grown.get(), data_.get() + read_, unread);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    read_ = 0;
    end_ = unread;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t read_ = 0;
  size_t end_ = 0;
  size_t pending_ = 0;
};

}  // namespace domicile::pgwire
