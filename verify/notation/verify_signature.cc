#include "verify/notation/verify_signature.h"

#include <ctime>

#include "verify/notation/str.h"
#include "verify/notation/cose_envelope.h"
#include "verify/notation/jws_envelope.h"
#include "verify/notation/signature_algorithm.h"
#include "verify/notation/x509_chain.h"

namespace pullsentry::notation {
namespace {

void Set(SignatureVerification* v, Validation which, Outcome outcome, std::string reason = "") {
  ValidationResult& r = v->results[static_cast<size_t>(which)];
  r.outcome = outcome;
  r.reason = std::move(reason);
}

// Integrity failed: nothing else can be judged.
SignatureVerification& FailIntegrity(SignatureVerification* v, std::string reason) {
  Set(v, Validation::kIntegrity, Outcome::kFailed, std::move(reason));
  for (Validation other : {Validation::kAuthenticity, Validation::kAuthenticTimestamp, Validation::kExpiry,
                           Validation::kRevocation}) {
    Set(v, other, Outcome::kNotChecked, "not checked: integrity failed");
  }
  return *v;
}

void Summarise(SignatureVerification* v) {
  for (const ValidationResult& r : v->results) {
    if (r.outcome != Outcome::kPassed) {
      v->reason = internal::Cat(ValidationName(r.validation), ": ", r.reason);
      return;
    }
  }
}

}  // namespace

std::string_view ValidationName(Validation v) {
  switch (v) {
    case Validation::kIntegrity: return "integrity";
    case Validation::kAuthenticity: return "authenticity";
    case Validation::kAuthenticTimestamp: return "authenticTimestamp";
    case Validation::kExpiry: return "expiry";
    case Validation::kRevocation: return "revocation";
  }
  return "?";
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPassed: return "passed";
    case Outcome::kFailed: return "failed";
    case Outcome::kNotChecked: return "not checked";
  }
  return "?";
}

std::string FormatTime(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return internal::Cat(seconds);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

SignatureVerification VerifySignature(const VerifyRequest& request) {
  SignatureVerification v;
  for (size_t i = 0; i < kValidationCount; ++i) v.results[i].validation = static_cast<Validation>(i);
  auto finish = [&v]() -> SignatureVerification {
    Summarise(&v);
    return std::move(v);
  };

  // --- integrity
  absl::StatusOr<Envelope> parsed = absl::InvalidArgumentError(
      internal::Cat("signature media type \"", request.media_type, "\" is neither ", kJwsMediaType, " nor ",
                   kCoseMediaType));
  if (request.media_type == kJwsMediaType) parsed = ParseJwsEnvelope(request.envelope);
  if (request.media_type == kCoseMediaType) parsed = ParseCoseEnvelope(request.envelope);
  if (!parsed.ok()) return (FailIntegrity(&v, std::string(parsed.status().message())), finish());
  const Envelope& env = *parsed;
  v.envelope_media_type = env.media_type;
  v.signing_scheme = env.signing_scheme;
  v.signing_time = env.signing_scheme == SigningScheme::kX509 ? env.signing_time : env.authentic_signing_time;
  v.expiry = env.expiry;
  v.signing_agent = env.signing_agent;
  if (env.verification_plugin) {
    return (FailIntegrity(&v, internal::Cat("the signature requires verification plugin \"", *env.verification_plugin,
                                           "\"; pullsentry runs no plugins")),
            finish());
  }
  auto chain = ParseCertificateChain(env.certificate_chain);
  if (!chain.ok()) return (FailIntegrity(&v, std::string(chain.status().message())), finish());
  if (auto st = VerifyRawSignature(env.algorithm, X509_get0_pubkey((*chain)[0].get()), env.signed_bytes, env.signature);
      !st.ok()) {
    return (FailIntegrity(&v, std::string(st.message())), finish());
  }
  auto payload = ParsePayload(env.payload);
  if (!payload.ok()) return (FailIntegrity(&v, std::string(payload.status().message())), finish());
  if (auto st = CheckTargetArtifact(payload->target_artifact, request.artifact); !st.ok()) {
    return (FailIntegrity(&v, std::string(st.message())), finish());
  }
  v.annotations = payload->target_artifact.annotations;
  v.signer = SubjectString((*chain)[0].get());
  Set(&v, Validation::kIntegrity, Outcome::kPassed);

  // --- authenticity: the chain to the trust store, then the identity.
  static const std::vector<crypto::X509Ptr> kNone;
  auto verified = VerifyCertificateChain(env.certificate_chain, request.trusted ? *request.trusted : kNone,
                                         std::nullopt);
  if (!verified.ok()) {
    Set(&v, Validation::kAuthenticity, Outcome::kFailed, std::string(verified.status().message()));
  } else if (!MatchesAnyIdentity((*chain)[0].get(), request.identities)) {
    Set(&v, Validation::kAuthenticity, Outcome::kFailed,
        internal::Cat("signing certificate \"", v.signer, "\" matches no trusted identity"));
  } else {
    Set(&v, Validation::kAuthenticity, Outcome::kPassed);
  }

  // --- authentic timestamp
  if (env.signing_scheme == SigningScheme::kX509SigningAuthority) {
    // The signing authority vouches for this time; the chain must cover it.
    auto st = CheckValidityAt(*chain, *env.authentic_signing_time);
    Set(&v, Validation::kAuthenticTimestamp, st.ok() ? Outcome::kPassed : Outcome::kFailed,
        st.ok() ? "" : internal::Cat(st.message(), " at the authentic signing time ",
                                    FormatTime(*env.authentic_signing_time)));
  } else if (!env.timestamp_signature.empty()) {
    Set(&v, Validation::kAuthenticTimestamp, Outcome::kFailed,
        "the signature carries an RFC 3161 timestamp countersignature, which pullsentry does not verify yet");
  } else {
    // No trusted time: the signer's claim proves nothing, so the chain
    // must be valid now (spec: "Authentic timestamp").
    auto st = CheckValidityAt(*chain, request.now);
    Set(&v, Validation::kAuthenticTimestamp, st.ok() ? Outcome::kPassed : Outcome::kFailed,
        st.ok() ? "" : internal::Cat(st.message(), " at ", FormatTime(request.now), " (no trusted timestamp)"));
  }

  // --- expiry
  if (env.expiry && request.now >= *env.expiry) {
    Set(&v, Validation::kExpiry, Outcome::kFailed, internal::Cat("the signature expired at ", FormatTime(*env.expiry)));
  } else {
    Set(&v, Validation::kExpiry, Outcome::kPassed);
  }

  // --- revocation
  Set(&v, Validation::kRevocation, Outcome::kNotChecked, "revocation is not checked yet (no CRL or OCSP support)");
  return finish();
}

}  // namespace pullsentry::notation
