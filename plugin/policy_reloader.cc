#include "plugin/policy_reloader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/status/status.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {
namespace {

std::string Directory(const std::string& path) { return std::filesystem::path(path).parent_path().string(); }

}  // namespace

PolicyReloader::PolicyReloader(std::string policy_path, PolicyHolder* holder, Loader loader)
    : policy_path_(std::move(policy_path)), holder_(holder), loader_(std::move(loader)) {}

PolicyReloader::~PolicyReloader() {
  if (watcher_.joinable()) {
    uint64_t one = 1;
    (void)::write(stop_fd_, &one, sizeof one);
    watcher_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

absl::Status PolicyReloader::Reload(const std::string& why) {
  std::lock_guard lock(reload_mu_);
  absl::StatusOr<std::shared_ptr<const trust::LoadedPolicy>> loaded = loader_(policy_path_);
  if (!loaded.ok()) {
    ++failures_;
    LogError("policy reload (" + why + ") failed, keeping the previous policy: " + policy_path_ + ": " +
             std::string(loaded.status().message()));
    return loaded.status();
  }
  for (const std::string& warning : (*loaded)->warnings) LogWarning("policy " + policy_path_ + ": " + warning);
  holder_->Replace(*loaded);
  ++reloads_;
  LogInfo("policy reloaded (" + why + ") from " + policy_path_ + ", " +
          std::string(trust::PolicyFormatName((*loaded)->format)) + " format, hash " + (*loaded)->hash);
  if (inotify_fd_ >= 0) UpdateWatchesLocked();
  return absl::OkStatus();
}

absl::Status PolicyReloader::StartWatching(std::chrono::milliseconds settle) {
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return absl::InternalError(std::string("inotify_init1: ") + std::strerror(errno));
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return absl::InternalError(std::string("eventfd: ") + std::strerror(errno));
  {
    std::lock_guard lock(reload_mu_);
    UpdateWatchesLocked();
  }
  watcher_ = std::thread([this, settle] { WatchLoop(settle); });
  return absl::OkStatus();
}

void PolicyReloader::UpdateWatchesLocked() {
  for (int wd : watches_) ::inotify_rm_watch(inotify_fd_, wd);
  watches_.clear();
  watched_files_ = {policy_path_};
  for (const std::string& file : holder_->Get()->files) watched_files_.push_back(file);
  whole_directory_watches_.clear();
  std::set<std::string> directories;
  for (const std::string& file : watched_files_) directories.insert(Directory(file));
  std::set<std::string> whole(holder_->Get()->directories.begin(), holder_->Get()->directories.end());
  directories.insert(whole.begin(), whole.end());
  for (const std::string& dir : directories) {
    int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(),
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB);
    if (wd < 0) {
      LogWarning("cannot watch " + dir + " for policy changes (" + std::strerror(errno) + "); SIGHUP still reloads");
      continue;
    }
    watches_.push_back(wd);
    if (whole.count(dir)) whole_directory_watches_.insert(wd);
  }
}

void PolicyReloader::WatchLoop(std::chrono::milliseconds settle) {
  bool pending = false;
  alignas(struct inotify_event) char buffer[16 * 1024];
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    // While a change is pending, wait for the files to settle; then reload.
    int ready = ::poll(fds, 2, pending ? static_cast<int>(settle.count()) : -1);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (ready == 0 && pending) {
      pending = false;
      (void)Reload("a policy or key file changed");
      continue;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t n;
    while ((n = ::read(inotify_fd_, buffer, sizeof buffer)) > 0) {
      std::vector<std::string> files;
      std::set<int> whole;
      {
        std::lock_guard lock(reload_mu_);
        files = watched_files_;
        whole = whole_directory_watches_;
      }
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<struct inotify_event*>(p);
        // Editors' hidden swap files are not trust material.
        bool hidden = event->len > 0 && event->name[0] == '.';
        if (whole.count(event->wd) && !hidden) pending = true;
        if (event->len > 0) {
          for (const std::string& file : files) {
            if (std::filesystem::path(file).filename() == event->name) pending = true;
          }
        }
        p += sizeof(struct inotify_event) + event->len;
      }
    }
  }
}

}  // namespace pullsentry::plugin
