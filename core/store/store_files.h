// File-system steps of the store's crash-safe writes (internal to
// core/store/): synced file writes, directory fsync, temporary directories,
// no-replace renames, and removal by first moving out of sight.
// Errors are absl::Status naming the path, with the code of errno
// (absl::ErrnoToStatus: PERMISSION_DENIED, NOT_FOUND, ... otherwise INTERNAL).
// Thread-safe (each call touches only the paths it is given).
#ifndef FIXPOINT_CORE_STORE_STORE_FILES_H_
#define FIXPOINT_CORE_STORE_STORE_FILES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fixpoint::store::internal {

// Creates `dir` and missing parents (mode 0755); OK if it already exists as a
// directory, FAILED_PRECONDITION if it exists as something else.
absl::Status MakeDirs(const std::string& dir);

// Creates `path` (which must not exist), writes `bytes` and fsyncs the file.
absl::Status WriteFileSynced(const std::string& path, absl::string_view bytes);

// fsyncs the directory `dir`, making renames and creations inside it durable.
absl::Status SyncDir(const std::string& dir);

// Creates a fresh directory `parent`/`prefix`XXXXXX (mode 0755) and returns
// its path.
absl::StatusOr<std::string> MakeTempDir(const std::string& parent, absl::string_view prefix);

// Renames `from` onto `to`, which must not exist: ALREADY_EXISTS if it does
// (even as an empty directory, which plain rename(2) would replace).
absl::Status RenameNoReplace(const std::string& from, const std::string& to);

// Removes the tree at `path` by first renaming it into `trash_parent` (same
// file system), so the original path vanishes atomically and a crash during
// the removal leaves debris only in `trash_parent`. OK if `path` is absent.
absl::Status RemoveOutOfSight(const std::string& path, const std::string& trash_parent);

// Removes every entry inside `dir` (not `dir` itself).
absl::Status EmptyDir(const std::string& dir);

// Names of the entries in `dir` (no "." / ".."), unsorted.
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir);

bool IsDirectory(const std::string& path);
// Size of a regular file; the errno status naming it otherwise.
absl::StatusOr<int64_t> FileSize(const std::string& path);

// Removes the tree at `path` (best effort) when it goes out of scope: the
// staging directories under tmp/, whatever state a failed write left them in.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit();
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  std::string path_;
};
bool IsRegularFile(const std::string& path);

}  // namespace fixpoint::store::internal

#endif  // FIXPOINT_CORE_STORE_STORE_FILES_H_
