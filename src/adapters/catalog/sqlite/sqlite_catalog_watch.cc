// SqliteCatalogWatch: wakes a router when another connection writes the SQLite catalog.
#include "adapters/catalog/sqlite/sqlite_catalog_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace domicile {
namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Result<std::unique_ptr<SqliteCatalogWatch>> SqliteCatalogWatch::Open(
    const std::string& catalog_path) {
  std::filesystem::path path(catalog_path);
  std::string dir = path.parent_path().string();
  if (dir.empty()) dir = ".";
  int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) return Unavailable("catalog watch: " + Errno("inotify_init1"));
  constexpr uint32_t kMask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE;
  if (inotify_add_watch(inotify_fd, dir.c_str(), kMask) < 0) {
    Status st = Unavailable("catalog watch: " + Errno(("inotify_add_watch " + dir).c_str()));
    close(inotify_fd);
    return st;
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    Status st = Unavailable("catalog watch: " + Errno("eventfd"));
    close(inotify_fd);
    return st;
  }
  return std::make_unique<SqliteCatalogWatch>(Key(), inotify_fd, wake_fd, path.filename().string());
}

SqliteCatalogWatch::SqliteCatalogWatch(Key, int inotify_fd, int wake_fd, std::string file_name)
    : inotify_fd_(inotify_fd), wake_fd_(wake_fd), file_name_(std::move(file_name)) {}

SqliteCatalogWatch::~SqliteCatalogWatch() {
  close(inotify_fd_);
  close(wake_fd_);
}

bool SqliteCatalogWatch::IsCatalogFile(std::string_view name) const {
  if (name.substr(0, file_name_.size()) != file_name_) return false;
  name.remove_prefix(file_name_.size());
  return name.empty() || name == "-wal" || name == "-journal";
}

bool SqliteCatalogWatch::DrainEvents() {
  alignas(inotify_event) char buffer[4096];
  bool relevant = false;
  while (true) {
    ssize_t n = read(inotify_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return relevant;  // EAGAIN: drained
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      // A full queue drops events: any of them may have been ours.
      if ((event->mask & IN_Q_OVERFLOW) != 0) relevant = true;
      if (event->len > 0 && IsCatalogFile(std::string_view(event->name))) relevant = true;
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

bool SqliteCatalogWatch::Wait(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      // Not seen: poll on two valid descriptors fails only for lack of memory. Callers go on
      // polling the store, so sleep out the timeout rather than spin.
      std::this_thread::sleep_until(deadline);
      return true;
    }
    if (ready == 0) return false;
    bool woken = false;
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t count = 0;
      woken = read(wake_fd_, &count, sizeof(count)) == sizeof(count);
    }
    if ((fds[0].revents & POLLIN) != 0) woken |= DrainEvents();
    if (woken) return true;
    // Only other files of the directory: wait on for the rest of the timeout.
  }
}

void SqliteCatalogWatch::Interrupt() {
  uint64_t one = 1;
  // Fails only when the counter is full, which still wakes the waiter.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

}  // namespace domicile
