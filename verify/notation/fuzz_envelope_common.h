// Shared by the JWS and COSE fuzz entry points: what a parsed envelope is
// fed to next (certificates, subject, signature check, payload), so the
// fuzzer reaches every parser behind the envelope too.
#ifndef PULLSENTRY_VERIFY_NOTATION_FUZZ_ENVELOPE_COMMON_H_
#define PULLSENTRY_VERIFY_NOTATION_FUZZ_ENVELOPE_COMMON_H_

#include "verify/notation/envelope.h"
#include "verify/notation/identity.h"
#include "verify/notation/payload.h"
#include "verify/notation/signature_algorithm.h"
#include "verify/notation/x509_chain.h"

namespace pullsentry::notation::internal {

inline void ExerciseEnvelope(const Envelope& env) {
  // The parsers promise these.
  if (env.certificate_chain.empty() || env.signature.empty() || env.critical.empty()) __builtin_trap();
  (void)ParsePayload(env.payload);
  auto chain = ParseCertificateChain(env.certificate_chain);
  if (!chain.ok()) return;
  X509* leaf = (*chain)[0].get();
  (void)CertificateSubject(leaf);
  (void)SubjectString(leaf);
  (void)VerifyRawSignature(env.algorithm, X509_get0_pubkey(leaf), env.signed_bytes, env.signature);
}

}  // namespace pullsentry::notation::internal

#endif  // PULLSENTRY_VERIFY_NOTATION_FUZZ_ENVELOPE_COMMON_H_
