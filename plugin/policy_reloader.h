// Safe policy reload: on SIGHUP, or when the policy file or a key file it
// names changes (inotify; a policy file that does not exist yet is noticed
// when it appears), the whole policy is loaded and validated again.
// Only a policy that loads completely replaces the one in force; a bad
// change keeps the previous policy serving, is logged with the file and the
// error, and is counted. There is never a moment with no policy.
#ifndef PULLSENTRY_PLUGIN_POLICY_RELOADER_H_
#define PULLSENTRY_PLUGIN_POLICY_RELOADER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/policy_holder.h"

namespace pullsentry::plugin {

class PolicyReloader {
 public:
  using Loader = std::function<absl::StatusOr<std::shared_ptr<const trust::LoadedPolicy>>(const std::string& path)>;

  // `holder` must outlive the reloader and already hold the policy loaded
  // from `policy_path` at start-up.
  PolicyReloader(std::string policy_path, PolicyHolder* holder, Loader loader);
  ~PolicyReloader();

  // Loads the policy again; replaces the one in force only on success.
  // Returns the load error, if any (already logged and counted).
  absl::Status Reload(const std::string& why);

  // Starts watching the policy file and its key files for changes (their
  // directories, so editors' rename-into-place is seen). A change reloads
  // after `settle` without further events.
  absl::Status StartWatching(std::chrono::milliseconds settle = std::chrono::milliseconds(200));

  uint64_t reloads() const { return reloads_; }
  uint64_t failures() const { return failures_; }

 private:
  void WatchLoop(std::chrono::milliseconds settle);
  // (Re)installs inotify watches for the current policy's files.
  void UpdateWatchesLocked();

  const std::string policy_path_;
  PolicyHolder* const holder_;
  const Loader loader_;
  std::mutex reload_mu_;  // one reload at a time
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failures_{0};

  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that ends the watch loop
  std::vector<int> watches_;
  std::vector<std::string> watched_files_;  // absolute paths whose change matters
  std::set<int> whole_directory_watches_;   // any change under these matters
  std::thread watcher_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_POLICY_RELOADER_H_
