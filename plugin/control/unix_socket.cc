#include "plugin/control/unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"

namespace pullsentry::control {
namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Milliseconds left until `deadline`, for poll(2); 0 once it has passed.
int MillisLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60'000 ? 60'000 : static_cast<int>(left.count());
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path))
    return absl::InvalidArgumentError("socket path \"" + path + "\" is empty or too long");
  std::memcpy(address.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::InternalError(Errno("socket"));
  // A unix connect does not block on a live listener, and fails at once on a dead one.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    int saved = errno;
    std::string message = "connect " + path + ": " + std::strerror(saved);
    if (saved == EACCES || saved == EPERM) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) return absl::InternalError(Errno("fcntl"));
  return fd;
}

absl::StatusOr<std::string> ReadLine(int fd, std::string* buffer, size_t max_bytes, Deadline deadline, int stop_fd) {
  for (;;) {
    if (size_t newline = buffer->find('\n'); newline != std::string::npos) {
      if (newline > max_bytes) return absl::ResourceExhaustedError("line longer than " + std::to_string(max_bytes) + " bytes");
      std::string line = buffer->substr(0, newline);
      buffer->erase(0, newline + 1);
      return line;
    }
    if (buffer->size() > max_bytes)
      return absl::ResourceExhaustedError("line longer than " + std::to_string(max_bytes) + " bytes");
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int ready = ::poll(fds, stop_fd >= 0 ? 2 : 1, MillisLeft(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(Errno("poll"));
    }
    if (stop_fd >= 0 && (fds[1].revents & POLLIN)) return absl::CancelledError("shutting down");
    if (ready == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return absl::DeadlineExceededError("no complete line in time");
      continue;
    }
    char chunk[16384];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(Errno("read"));
    }
    if (n == 0) {
      return absl::OutOfRangeError(buffer->empty() ? "peer closed the connection"
                                                   : "peer closed the connection in the middle of a line");
    }
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

absl::Status WriteAll(int fd, std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return absl::UnavailableError(Errno("send"));
    pollfd pfd = {fd, POLLOUT, 0};
    int ready = ::poll(&pfd, 1, MillisLeft(deadline));
    if (ready < 0 && errno != EINTR) return absl::InternalError(Errno("poll"));
    if (ready == 0 && std::chrono::steady_clock::now() >= deadline)
      return absl::DeadlineExceededError("peer did not take the answer in time");
  }
  return absl::OkStatus();
}

absl::StatusOr<uid_t> PeerUid(int fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
    return absl::InternalError(Errno("SO_PEERCRED"));
  return credentials.uid;
}

}  // namespace pullsentry::control
