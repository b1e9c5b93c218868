#include "core/store/store_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::store::internal {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(int err, absl::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " '", path, "'"));
}

absl::Status FromErrorCode(const std::error_code& ec, absl::string_view what,
                           const std::string& path) {
  return absl::ErrnoToStatus(ec.value(), absl::StrCat(what, " '", path, "'"));
}

}  // namespace

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FromErrorCode(ec, "cannot create directory", dir);
  if (!IsDirectory(dir)) {
    return absl::FailedPreconditionError(absl::StrCat("'", dir, "' exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status WriteFileSynced(const std::string& path, absl::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(errno, "cannot create", path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return Errno(err, "cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return Errno(err, "cannot sync", path);
  }
  if (::close(fd) != 0) return Errno(errno, "cannot close", path);
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "cannot open directory", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : Errno(err, "cannot sync directory", dir);
}

absl::StatusOr<std::string> MakeTempDir(const std::string& parent, absl::string_view prefix) {
  std::string path = absl::StrCat(parent, "/", prefix, "XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) return Errno(errno, "cannot create", path);
  ::chmod(path.c_str(), 0755);  // mkdtemp makes it 0700
  return path;
}

absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  int err = errno;
  if (err == EINVAL || err == ENOSYS) {
    // The file system lacks RENAME_NOREPLACE: check, then rename. The store
    // never renames two things onto one path at once, so this is not racy
    // in practice; the check still keeps rename(2) from replacing an empty
    // directory.
    struct stat st;
    if (::lstat(to.c_str(), &st) == 0) {
      err = EEXIST;
    } else if (::rename(from.c_str(), to.c_str()) == 0) {
      return absl::OkStatus();
    } else {
      err = errno;
    }
  }
  if (err == EEXIST || err == ENOTEMPTY) {
    return absl::AlreadyExistsError(absl::StrCat("'", to, "' already exists"));
  }
  return absl::ErrnoToStatus(err, absl::StrCat("cannot rename '", from, "' to '", to, "'"));
}

absl::Status RemoveOutOfSight(const std::string& path, const std::string& trash_parent) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno(errno, "cannot stat", path);
  }
  FP_ASSIGN_OR_RETURN(const std::string trash, MakeTempDir(trash_parent, "trash-"));
  const std::string moved = trash + "/x";
  if (::rename(path.c_str(), moved.c_str()) != 0) {
    const int err = errno;
    ::rmdir(trash.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("cannot move '", path, "' to '", moved, "'"));
  }
  std::error_code ec;
  fs::remove_all(trash, ec);
  if (ec) return FromErrorCode(ec, "cannot remove", trash);
  return absl::OkStatus();
}

absl::Status EmptyDir(const std::string& dir) {
  FP_ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return FromErrorCode(ec, "cannot remove", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno(errno, "cannot list directory", dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return Errno(err, "cannot list directory", dir);
  return names;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::StatusOr<int64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Errno(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' is not a regular file"));
  }
  return static_cast<int64_t>(st.st_size);
}

RemoveOnExit::~RemoveOnExit() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace fixpoint::store::internal
