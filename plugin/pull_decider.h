// The one place a pull is decided, for every way a pull reaches the daemon
// (the CRI proxy, containerd's verifier hook through the control socket).
//
// A decision takes one policy snapshot, resolves the reference to a digest
// at the registry (the cache never answers for a tag: tags move), looks the
// digest up in the verdict cache, and only on a miss verifies. Concurrent
// decisions with the same cache key share one verification: the first
// caller verifies, the others wait for and get its result. Every decision,
// from the cache or not, error or not, is reported to the observers.
//
// Thread-safe.
#ifndef PULLSENTRY_PLUGIN_PULL_DECIDER_H_
#define PULLSENTRY_PLUGIN_PULL_DECIDER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/decision_observer.h"
#include "plugin/policy_holder.h"
#include "plugin/verdict_cache.h"
#include "trust/policy_file.h"
#include "verify/pipeline/image_verifier.h"
#include "verify/pipeline/verdict.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::plugin {

class PullDecider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // The verification steps the decider runs (ImageVerifier's, see there).
  // A seam so tests can count and hold verifications.
  struct Pipeline {
    std::function<std::optional<verify::Verdict>(const trust::LoadedPolicy&, const reference::ImageReference&,
                                                 std::optional<std::string_view>)>
        decide_without_registry;
    std::function<absl::StatusOr<std::string>(const reference::ImageReference&, const registry::PullContext&)>
        resolve_digest;
    std::function<absl::StatusOr<verify::Verdict>(const trust::LoadedPolicy&, const reference::ImageReference&,
                                                  std::string_view digest, std::optional<std::string_view>,
                                                  const registry::PullContext&)>
        verify_digest;
  };
  static Pipeline PipelineOf(std::shared_ptr<const verify::ImageVerifier> verifier);

  // `cache` may be null (no caching); `policy` and `cache` must outlive
  // the decider.
  PullDecider(const PolicyHolder* policy, Pipeline pipeline, VerdictCache* cache,
              Clock clock = &std::chrono::system_clock::now);

  // Observers are told of every decision, in the order they were added.
  // Not owned: each must outlive the decider.
  void AddObserver(DecisionObserver* observer);

  // Decides a pull of `image` (normalised, tag and/or digest) for a pod in
  // `ns`. `requested` is the image as the caller spelled it (for records;
  // the normalised form when empty). A verdict is a decision; an error is a
  // failure to decide, which callers refuse too.
  absl::StatusOr<verify::Verdict> Decide(const reference::ImageReference& image, std::optional<std::string_view> ns,
                                         const registry::PullContext& context, std::string_view requested = {},
                                         std::string_view origin = "cri");

  // Decides a pull whose digest the caller already resolved, as
  // containerd's image verifier hook gives it: `name` as containerd names
  // the image, `digest` the manifest digest about to be pulled. The verdict
  // is about `digest`; a `name` carrying another digest is refused.
  absl::StatusOr<verify::Verdict> DecideDigest(std::string_view name, std::string_view digest,
                                               std::optional<std::string_view> ns, std::string_view origin,
                                               const registry::PullContext& context = {});

  VerdictCache* cache() const { return cache_; }

  // Decisions now waiting for a verification another decision runs.
  size_t waiting() const { return waiting_.load(); }

 private:
  struct Flight;  // one verification in progress, and who waits for it

  // Cache, else a shared verification, of `image` at `digest`.
  absl::StatusOr<verify::Verdict> DecideAt(const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                                           const std::string& digest, std::optional<std::string_view> ns,
                                           const registry::PullContext& context, bool* cache_hit);
  // After a reload, entries under other policies can never match again.
  void ForgetReplacedPolicies();
  void Notify(const DecisionRecord& record);

  const PolicyHolder* policy_;
  const Pipeline pipeline_;
  VerdictCache* const cache_;
  const Clock clock_;

  std::mutex observers_mu_;
  std::vector<DecisionObserver*> observers_;

  std::mutex flights_mu_;
  std::map<VerdictCacheKey, std::shared_ptr<Flight>> flights_;
  std::atomic<size_t> waiting_{0};

  std::mutex policy_seen_mu_;
  std::string policy_seen_;  // the hash in force at the last decision
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_PULL_DECIDER_H_
