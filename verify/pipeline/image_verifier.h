// The verification pipeline for one pull: match the policy scope, resolve
// the reference to a manifest digest, check every requirement of the scope
// against that digest. Only the digest checked here may ever be pulled.
#ifndef PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
#define PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "trust/native_policy.h"
#include "trust/policy_file.h"
#include "verify/pipeline/verdict.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::verify {

class ImageVerifier {
 public:
  // The wall clock, only for break-glass expiry; tests pass their own.
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit ImageVerifier(std::shared_ptr<registry::RegistryClient> registry,
                         Clock clock = &std::chrono::system_clock::now)
      : registry_(std::move(registry)), clock_(std::move(clock)) {}

  // Verifies `image` under the loaded policy, whatever its format. `ns` is
  // the pod's Kubernetes namespace, when the pull came with one. Same
  // contract as below; the verdict also records mode, action and the policy
  // hash.
  absl::StatusOr<Verdict> Verify(const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                                 std::optional<std::string_view> ns, const registry::PullContext& context) const;

  // Verifies `image` under pullsentry's native policy format.
  absl::StatusOr<Verdict> Verify(const trust::NativePolicy& policy, const reference::ImageReference& image,
                                 std::optional<std::string_view> ns, const registry::PullContext& context) const;

  // Verifies `image` (normalised; tag and/or digest) under `policy`.
  // Returns a Verdict when a decision was reached, or an error status when
  // none could be (the registry failed, an answer was malformed): callers
  // must refuse in both the refused and the error case.
  // Thread-safe: pulls verify concurrently.
  absl::StatusOr<Verdict> Verify(const trust::ContainersPolicy& policy, const reference::ImageReference& image,
                                 const registry::PullContext& context) const;

 private:
  // Resolves the reference to the manifest digest to verify (and pull).
  absl::StatusOr<std::string> ResolveDigest(const reference::ImageReference& image,
                                            const registry::PullContext& context, Verdict* verdict) const;

  std::shared_ptr<registry::RegistryClient> registry_;
  Clock clock_;
};

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
