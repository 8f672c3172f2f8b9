// SqliteCatalogWatch: wakes a router when another connection writes the SQLite catalog.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "domain/status.h"
#include "ports/catalog_store.h"

namespace domicile {

// inotify on the catalog's directory, for writes to the catalog file and its WAL (every
// commit writes the WAL; a checkpoint writes the file), and for either being created or
// replaced. The directory is watched rather than the files: SQLite deletes the WAL when the
// last connection closes and creates it again on the next write. Other files in the
// directory wake nothing (the embedded shards live in a subdirectory).
//
// A WAL write is seen before its commit is visible (SQLite publishes the commit in the
// shared-memory index after the write, which inotify does not see): see CatalogChangeWatch.
class SqliteCatalogWatch final : public CatalogChangeWatch {
 public:
  // kUnavailable naming the reason when inotify or the wake-up descriptor cannot be set up
  // (the per-user inotify limits, a missing directory).
  static Result<std::unique_ptr<SqliteCatalogWatch>> Open(const std::string& catalog_path);
  ~SqliteCatalogWatch() override;
  SqliteCatalogWatch(const SqliteCatalogWatch&) = delete;
  SqliteCatalogWatch& operator=(const SqliteCatalogWatch&) = delete;

  bool Wait(std::chrono::milliseconds timeout) override;
  void Interrupt() override;

  // Only Open can make one (a passkey, so Open can use make_unique).
  class Key {
    friend class SqliteCatalogWatch;
    Key() = default;
  };
  SqliteCatalogWatch(Key, int inotify_fd, int wake_fd, std::string file_name);

 private:
  // Reads every queued event; true when one is about the catalog's files (or events were lost).
  bool DrainEvents();
  bool IsCatalogFile(std::string_view name) const;

  const int inotify_fd_;
  const int wake_fd_;            // an eventfd: Interrupt writes, Wait reads
  const std::string file_name_;  // the catalog file's name in its directory
};

}  // namespace domicile
