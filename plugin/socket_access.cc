#include "plugin/socket_access.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pullsentry::plugin {
namespace {

absl::Status ErrnoStatus(int error, const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(error), what + ": " + std::strerror(error));
}

absl::Status Errno(const std::string& what, const std::string& path) { return ErrnoStatus(errno, what + " " + path); }

}  // namespace

absl::Status RestrictSocketAccess(const std::string& path, const std::string& group) {
  if (::chmod(path.c_str(), 0660) != 0) return Errno("chmod 0660", path);
  if (group.empty()) return absl::OkStatus();

  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  int rc = ::getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return ErrnoStatus(rc, "look up group " + group);
  if (found == nullptr)
    return absl::NotFoundError("group \"" + group + "\" does not exist: " + path +
                               " stays owner-only (create it with groupadd --system " + group + ")");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Errno("stat", path);
  if (st.st_gid == found->gr_gid) return absl::OkStatus();
  if (::chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0)
    return Errno("chgrp " + group, path);
  return absl::OkStatus();
}

}  // namespace pullsentry::plugin
