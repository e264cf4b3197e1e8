// The policy in force. Readers take a snapshot and keep it for a whole pull,
// so a replacement never changes the rules under a verification in progress.
#ifndef PULLSENTRY_PLUGIN_POLICY_HOLDER_H_
#define PULLSENTRY_PLUGIN_POLICY_HOLDER_H_

#include <memory>
#include <mutex>

#include "trust/policy_file.h"

namespace pullsentry::plugin {

class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const trust::LoadedPolicy> policy) : policy_(std::move(policy)) {}

  std::shared_ptr<const trust::LoadedPolicy> Get() const {
    std::lock_guard lock(mu_);
    return policy_;
  }
  // Only a fully loaded and validated policy may be passed in.
  void Replace(std::shared_ptr<const trust::LoadedPolicy> policy) {
    std::lock_guard lock(mu_);
    policy_ = std::move(policy);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const trust::LoadedPolicy> policy_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_POLICY_HOLDER_H_
