// One Notation signature, verified: envelope → critical headers → chain →
// signature → payload against the artifact → time → identity. Spec:
// notaryproject/specifications specs/trust-store-trust-policy.md, "Signature
// Verification" and its table of validations (integrity, authenticity,
// authentic timestamp, expiry, revocation).
//
// This file decides what each validation found; which failures refuse the
// artifact (the trust policy's level and override) is the caller's, so every
// check that can run does run and is reported. Integrity is the exception:
// when it fails nothing else about the signature can be believed, and the
// other checks are reported as not checked.
#ifndef PULLSENTRY_VERIFY_NOTATION_VERIFY_SIGNATURE_H_
#define PULLSENTRY_VERIFY_NOTATION_VERIFY_SIGNATURE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verify/crypto/ossl_ptr.h"
#include "verify/notation/envelope.h"
#include "verify/notation/identity.h"
#include "verify/notation/payload.h"

namespace pullsentry::notation {

// The spec's validations, in its order.
enum class Validation { kIntegrity, kAuthenticity, kAuthenticTimestamp, kExpiry, kRevocation };
inline constexpr size_t kValidationCount = 5;
std::string_view ValidationName(Validation v);  // "integrity", "authenticity", "authenticTimestamp", …

enum class Outcome {
  kPassed,
  kFailed,
  // Not run: integrity failed first, or pullsentry cannot check it yet
  // (revocation). A caller enforcing this validation must refuse.
  kNotChecked,
};
std::string_view OutcomeName(Outcome o);  // "passed", "failed", "not checked"

struct ValidationResult {
  Validation validation = Validation::kIntegrity;
  Outcome outcome = Outcome::kNotChecked;
  std::string reason;  // one line; empty when passed
};

struct VerifyRequest {
  std::string_view envelope;    // the signature layer's bytes
  std::string_view media_type;  // the layer's media type: application/jose+json or application/cose
  Descriptor artifact;          // the manifest the signature must be for
  // The certificates of the trust stores the policy names (any of them may
  // end the path, as in notation). Borrowed for the call.
  const std::vector<crypto::X509Ptr>* trusted = nullptr;
  std::vector<TrustedIdentity> identities;  // the policy's trustedIdentities
  int64_t now = 0;                          // verification time, seconds since the epoch (injected)
};

struct SignatureVerification {
  std::array<ValidationResult, kValidationCount> results;
  // The first failed or unchecked validation's reason, prefixed by its name
  // ("authenticity: …"); empty when all passed.
  std::string reason;

  // What the signature says, filled as far as it could be read.
  std::string envelope_media_type;
  std::optional<SigningScheme> signing_scheme;
  std::optional<int64_t> signing_time;  // the signer's claim, or the authority's
  std::optional<int64_t> expiry;
  std::string signer;         // the leaf's subject (RFC 4514), once integrity passed
  std::string signing_agent;  // unsigned, informational
  std::map<std::string, std::string> annotations;  // targetArtifact annotations (signed)

  const ValidationResult& Result(Validation v) const { return results[static_cast<size_t>(v)]; }
  bool Passed(Validation v) const { return Result(v).outcome == Outcome::kPassed; }
};

// Runs every validation it can. Never throws; a malformed input is an
// integrity failure with the reason, never a crash.
//  - integrity: the envelope parses (bounded; known alg, Notation cty, known
//    signing scheme with its time, every critical header understood), no
//    verification plugin is required, the leaf's key fits alg and verifies
//    the signature, the payload parses and its targetArtifact has the
//    artifact's mediaType, digest and size;
//  - authenticity: the chain leads to `trusted` under the certificate
//    requirements (x509_chain.h) and the leaf matches a trusted identity;
//  - authentic timestamp: for notary.x509.signingAuthority every
//    certificate is valid at the authentic signing time; for notary.x509
//    without a timestamp countersignature, at `now`; a countersignature is
//    not verified yet and fails this check;
//  - expiry: `now` is before io.cncf.notary.expiry, when present;
//  - revocation: not checked yet (kNotChecked).
SignatureVerification VerifySignature(const VerifyRequest& request);

// "2024-05-01T12:00:00Z".
std::string FormatTime(int64_t seconds);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_VERIFY_SIGNATURE_H_
