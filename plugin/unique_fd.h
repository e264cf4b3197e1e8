// A file descriptor that closes itself: RAII for the raw fds of sockets and
// files that the daemon's small servers and writers hold.
#ifndef PULLSENTRY_PLUGIN_UNIQUE_FD_H_
#define PULLSENTRY_PLUGIN_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace pullsentry::plugin {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_UNIQUE_FD_H_
