// The verification pipeline for one pull: match the policy scope, resolve
// the reference to a manifest digest, check every requirement of the scope
// against that digest. Only the digest checked here may ever be pulled.
#ifndef PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
#define PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "verify/pipeline/verdict.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::verify {

class ImageVerifier {
 public:
  explicit ImageVerifier(std::shared_ptr<registry::RegistryClient> registry) : registry_(std::move(registry)) {}

  // Verifies `image` (normalised; tag and/or digest) under `policy`.
  // Returns a Verdict when a decision was reached, or an error status when
  // none could be (the registry failed, an answer was malformed): callers
  // must refuse in both the refused and the error case.
  // Thread-safe: pulls verify concurrently.
  absl::StatusOr<Verdict> Verify(const trust::ContainersPolicy& policy, const reference::ImageReference& image,
                                 const registry::PullContext& context) const;

 private:
  std::shared_ptr<registry::RegistryClient> registry_;
};

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_IMAGE_VERIFIER_H_
