// cosign's registry tag scheme for key signatures (sigstore/cosign
// specs/SIGNATURE_SPEC.md): the signatures of manifest sha256:<hex> live in
// the manifest tagged sha256-<hex>.sig, one layer per signature, each layer a
// simple-signing payload with the signature in an annotation.
#ifndef PULLSENTRY_VERIFY_COSIGN_SIMPLE_SIGNING_H_
#define PULLSENTRY_VERIFY_COSIGN_SIMPLE_SIGNING_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::cosign {

inline constexpr std::string_view kSimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
// Bounds on untrusted input.
inline constexpr size_t kMaxSignatureManifestBytes = 4u << 20;
inline constexpr size_t kMaxPayloadBytes = 256u << 10;
inline constexpr size_t kMaxSignatureLayers = 100;

// "sha256:<hex>" -> "sha256-<hex>.sig". InvalidArgument for a bad digest.
absl::StatusOr<std::string> SignatureTag(std::string_view manifest_digest);

// One signature layer of the .sig manifest.
struct SignatureLayer {
  std::string payload_digest;  // digest of the payload blob
  size_t payload_size = 0;
  std::string signature;       // decoded bytes of the base64 annotation
};

// Parses the .sig manifest: layers of the simple-signing media type with a
// signature annotation (others are skipped). InvalidArgument when malformed,
// ResourceExhausted beyond the limits.
absl::StatusOr<std::vector<SignatureLayer>> ParseSignatureManifest(std::string_view manifest_json);

// The simple-signing payload's critical section.
struct SimpleSigningPayload {
  std::string docker_manifest_digest;  // critical.image.docker-manifest-digest
  std::string docker_reference;        // critical.identity.docker-reference
};

// Parses and validates a payload: critical.type must be
// "cosign container image signature" (case-insensitive per spec).
absl::StatusOr<SimpleSigningPayload> ParseSimpleSigningPayload(std::string_view payload);

}  // namespace pullsentry::cosign

#endif  // PULLSENTRY_VERIFY_COSIGN_SIMPLE_SIGNING_H_
