// Sigstore bundles (protobuf message dev.sigstore.bundle.v1.Bundle) in their
// protobuf-JSON form, versions 0.1, 0.2 and 0.3. Parsing checks structure,
// sizes and the per-version rules; it verifies nothing: the signatures,
// proofs and timestamps it returns are untrusted until the checks in this
// folder (set.h, merkle.h, checkpoint.h, dsse.h) have passed.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_BUNDLE_H_
#define PULLSENTRY_VERIFY_SIGSTORE_BUNDLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/crypto/public_key.h"

namespace pullsentry::sigstore {

enum class BundleVersion { kV0_1, kV0_2, kV0_3 };

struct InclusionProof {
  int64_t log_index = 0;  // within the log shard the proof is for
  std::string root_hash;
  int64_t tree_size = 0;
  std::vector<std::string> hashes;  // from the leaf up
  std::optional<std::string> checkpoint;  // signed-note envelope; required from v0.2
};

struct TlogEntry {
  int64_t log_index = 0;  // global index (what the SET signs)
  std::string log_id;     // raw bytes of logId.keyId
  std::string kind;       // kindVersion, e.g. "hashedrekord" / "0.0.1"
  std::string version;
  int64_t integrated_time = 0;  // Unix seconds; 0 when absent (Rekor v2)
  std::optional<std::string> signed_entry_timestamp;  // inclusionPromise
  std::optional<InclusionProof> inclusion_proof;
  std::string canonicalized_body;
};

struct MessageSignature {
  std::string digest_algorithm;  // e.g. "SHA2_256"; empty when no digest given
  std::string digest;
  std::string signature;
};

// A DSSE envelope with its one signature.
struct DsseEnvelope {
  std::string payload;
  std::string payload_type;
  std::string signature;
  std::string keyid;
};

struct Bundle {
  enum class Material { kPublicKey, kCertificateChain, kCertificate };

  BundleVersion version = BundleVersion::kV0_1;
  std::string media_type;
  Material material = Material::kPublicKey;
  std::string public_key_hint;              // kPublicKey; may be empty
  std::vector<std::string> certificates_der;  // leaf first; one for kCertificate
  std::vector<TlogEntry> tlog_entries;
  std::vector<std::string> rfc3161_timestamps;  // DER TimeStampResponse/Token bytes
  std::variant<MessageSignature, DsseEnvelope> content;
};

// Parses a bundle. InvalidArgument naming the JSON path and the rule for
// anything malformed or over the limits in sigstore_limits.h, and for the version
// rules: v0.1 entries need a signed entry timestamp; from v0.2 every entry
// needs an inclusion proof with a checkpoint; v0.3 carries `certificate`
// (one leaf), earlier versions `x509CertificateChain`; exactly one of
// `messageSignature` and `dsseEnvelope`; a DSSE envelope with exactly one
// signature; at least one tlog entry or RFC 3161 timestamp.
absl::StatusOr<Bundle> ParseBundle(std::string_view text);

// The public key of the bundle's leaf certificate. FailedPrecondition when
// the bundle carries a key hint instead; InvalidArgument when the key is not
// one crypto::PublicKey accepts.
absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> LeafCertificateKey(const Bundle& bundle);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_BUNDLE_H_
