// One pipeline step: a sigstoreSigned requirement with public keys, checked
// against cosign key signatures in the registry tag scheme
// (sigstore/cosign specs/SIGNATURE_SPEC.md "Tag-based Discovery"; the
// acceptance rules of containers/image signature/policy_eval_sigstore.go).
#ifndef PULLSENTRY_VERIFY_PIPELINE_COSIGN_KEY_STEP_H_
#define PULLSENTRY_VERIFY_PIPELINE_COSIGN_KEY_STEP_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::verify {

// A verdict on one requirement. Not satisfied is a decision, not an error.
struct StepResult {
  bool satisfied = false;
  // When not satisfied: one line an operator can act on, e.g.
  // "no signature found (no tag sha256-….sig)" or
  // "signed digest sha256:… does not match sha256:…".
  std::string reason;
  // When satisfied: the key that verified, as
  // "<key source> (<key type> <fingerprint>)".
  std::string signer;
};

// Satisfied when one layer of the manifest tagged SignatureTag(manifest_digest)
// in `image`'s repository carries a simple-signing payload that
//   1. one of `requirement.keys` signed (over the exact payload bytes),
//   2. names `manifest_digest` as critical.image.docker-manifest-digest, and
//   3. names an identity `requirement.signed_identity` accepts for `image`.
// The signature is checked before the payload is parsed. When no layer
// passes, the reason is the most informative failure seen: a signed digest
// mismatch, then an identity mismatch, then a malformed signed payload, then
// "signed by an untrusted key", then a missing or unusable layer.
//
// `image` is the reference as requested (normalised, tag and/or digest);
// `manifest_digest` is what it resolved to. At most
// cosign::kMaxSignatureLayers layers are read, each at most
// cosign::kMaxPayloadBytes.
//
// Errors (a failure to decide; callers refuse the image): InvalidArgument
// when `requirement` is not kSigstoreSigned with keys or the digest is not a
// sha256 digest; any registry error on the .sig manifest other than NotFound;
// registry errors on a payload blob other than NotFound, DataLoss,
// ResourceExhausted and InvalidArgument (which only disqualify that layer).
absl::StatusOr<StepResult> CheckCosignKeySignatures(registry::RegistryClient& registry,
                                                    const registry::PullContext& context,
                                                    const reference::ImageReference& image,
                                                    std::string_view manifest_digest,
                                                    const trust::Requirement& requirement);

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_COSIGN_KEY_STEP_H_
