// Helpers of the trust module (internal.h): bounded file reads, quoting,
// name rules.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "trust/internal.h"
#include "trust/native_policy.h"

namespace pullsentry::trust::internal {
std::string Quote(std::string_view s) {
  return nlohmann::json(std::string(s.substr(0, 256))).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > kMaxNativeNameLength) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsVerifierName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNativeNameLength) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front())) return false;
  for (char c : s) {
    if (!(alnum(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}


absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t limit, std::string_view what) {
  auto fail = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", std::string(what), " ", Quote(path), ": ",
                                                   std::string(why)));
  };
  // O_NONBLOCK: a FIFO named by mistake must not hang the daemon.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    absl::Status failed = fail(std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(failed.message()) : failed;
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) return fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > limit) return fail(absl::StrCat("larger than ", limit, " bytes"));
  std::string out(limit + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > limit) return fail(absl::StrCat("larger than ", limit, " bytes"));
  out.resize(got);
  return out;
}

}  // namespace pullsentry::trust::internal
