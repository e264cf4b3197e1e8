// Unix stream sockets for the control channel: an owning fd, connect, and
// line reads and writes that give up at a deadline, so neither side can be
// held forever by a peer that stops talking.
#ifndef PULLSENTRY_PLUGIN_CONTROL_UNIX_SOCKET_H_
#define PULLSENTRY_PLUGIN_CONTROL_UNIX_SOCKET_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::control {

// Owns one file descriptor; closes it when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();

 private:
  int fd_ = -1;
};

using Deadline = std::chrono::steady_clock::time_point;

// Connects to the unix socket at `path` (non-blocking fd). Unavailable when
// nothing listens there, PermissionDenied when the socket's mode refuses us.
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path);

// Reads up to and excluding the next '\n'. `buffer` keeps bytes read past
// it for the next call. ResourceExhausted when the line exceeds `max_bytes`,
// DeadlineExceeded at the deadline, OutOfRange when the peer closed first
// (with nothing buffered: a clean end of the conversation).
// `stop_fd`, when >= 0, is polled too: readable means give up (Cancelled).
absl::StatusOr<std::string> ReadLine(int fd, std::string* buffer, size_t max_bytes, Deadline deadline,
                                     int stop_fd = -1);

// Writes all of `data`. DeadlineExceeded at the deadline.
absl::Status WriteAll(int fd, std::string_view data, Deadline deadline);

// The peer's uid (SO_PEERCRED), as the kernel recorded it at connect.
absl::StatusOr<uid_t> PeerUid(int fd);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_UNIX_SOCKET_H_
