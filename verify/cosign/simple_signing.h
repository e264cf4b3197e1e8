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
// A decoded signature: RSA-16384 is 2 KiB.
inline constexpr size_t kMaxSignatureBytes = 4u << 10;
// critical.type of a cosign signature (SIGNATURE_SPEC.md "Simple Signing").
inline constexpr std::string_view kCosignSignatureType = "cosign container image signature";

// "sha256:<hex>" -> "sha256-<hex>.sig". InvalidArgument for a bad digest, or
// a sha512 one (its tag would exceed the 128-character tag limit).
absl::StatusOr<std::string> SignatureTag(std::string_view manifest_digest);

// One signature layer of the .sig manifest.
struct SignatureLayer {
  std::string payload_digest;  // digest of the payload blob
  size_t payload_size = 0;
  std::string signature;       // decoded bytes of the base64 annotation
};

// Parses the .sig manifest: layers of the simple-signing media type with a
// signature annotation (others are skipped). InvalidArgument when malformed
// (not a schemaVersion 2 manifest with a layers array, a layer without a
// valid digest or size, a signature that is not standard base64),
// ResourceExhausted beyond the limits (manifest size, more than
// kMaxSignatureLayers layers, a layer larger than kMaxPayloadBytes, a
// signature larger than kMaxSignatureBytes).
absl::StatusOr<std::vector<SignatureLayer>> ParseSignatureManifest(std::string_view manifest_json);

// The simple-signing payload's critical section.
struct SimpleSigningPayload {
  std::string docker_manifest_digest;  // critical.image.docker-manifest-digest
  std::string docker_reference;        // critical.identity.docker-reference
};

// Parses and validates a payload: critical.type must be
// "cosign container image signature" (case-insensitive per spec).
// Fields are checked as strictly as containers/image does
// (signature/internal/sigstore_payload.go): the top level holds exactly
// "critical" and "optional"; critical exactly "type", "image", "identity";
// image exactly "docker-manifest-digest" (a valid digest); identity exactly
// "docker-reference" (a string, checked later by the policy); optional is
// null or an object whose "creator" is a string and "timestamp" an integer.
// Duplicate keys and nesting deeper than 32 levels are rejected.
// InvalidArgument when malformed, ResourceExhausted above kMaxPayloadBytes.
absl::StatusOr<SimpleSigningPayload> ParseSimpleSigningPayload(std::string_view payload);

}  // namespace pullsentry::cosign

#endif  // PULLSENTRY_VERIFY_COSIGN_SIMPLE_SIGNING_H_
