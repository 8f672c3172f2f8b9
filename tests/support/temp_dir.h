// TempDir: a directory under $TMPDIR removed with everything in it when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace domicile::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "domicile-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace domicile::testing
