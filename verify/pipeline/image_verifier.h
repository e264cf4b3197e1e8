// The verification pipeline for one pull: match the policy scope, resolve
// the reference to a manifest digest, check every requirement of the scope
// against that digest. Only the digest checked here may ever be pulled.
//
// The steps are public on their own so the daemon can resolve first, look
// the digest up in its verdict cache, and verify only on a miss:
//   DecideWithoutRegistry → ResolveDigest → VerifyDigest
// Verify() runs all three in that order.
#ifndef PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
#define PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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

  // Step 1: the refusal the policy gives `image` whatever digest it names
  // (a plain reject), decided without a registry request; nullopt when the
  // digest must be resolved and checked.
  std::optional<Verdict> DecideWithoutRegistry(const trust::LoadedPolicy& policy,
                                               const reference::ImageReference& image,
                                               std::optional<std::string_view> ns) const;

  // Step 2: the manifest digest `image` names now — its digest when it
  // carries one, else what the registry serves for its tag (the digest of
  // the bytes served). Errors are failures to decide.
  absl::StatusOr<std::string> ResolveDigest(const reference::ImageReference& image,
                                            const registry::PullContext& context) const;

  // Step 3: verifies `image` (as requested: the tag stays, signed
  // identities are matched against it) at `digest`, the digest it resolved
  // to. The verdict is about `digest` only and only `digest` may be pulled
  // on it. InvalidArgument when `digest` is not a sha256 digest or `image`
  // carries a different one.
  absl::StatusOr<Verdict> VerifyDigest(const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                                       std::string_view digest, std::optional<std::string_view> ns,
                                       const registry::PullContext& context) const;

 private:
  // Per-format halves of the steps above.
  std::optional<Verdict> DecideWithoutRegistry(const trust::ContainersPolicy& policy,
                                               const reference::ImageReference& image) const;
  std::optional<Verdict> DecideWithoutRegistry(const trust::NativePolicy& policy,
                                               const reference::ImageReference& image,
                                               std::optional<std::string_view> ns) const;
  absl::StatusOr<Verdict> VerifyDigest(const trust::ContainersPolicy& policy, const reference::ImageReference& image,
                                       std::string_view digest, const registry::PullContext& context) const;
  absl::StatusOr<Verdict> VerifyDigest(const trust::NativePolicy& policy, const reference::ImageReference& image,
                                       std::string_view digest, std::optional<std::string_view> ns,
                                       const registry::PullContext& context) const;

  std::shared_ptr<registry::RegistryClient> registry_;
  Clock clock_;
};

// The check line recording which digest a verdict is about and how it was
// named ("digest given in reference: …" or "resolved tag v1 to …").
std::string DigestCheck(const reference::ImageReference& image, std::string_view digest);

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
