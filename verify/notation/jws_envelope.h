// Notation's JWS envelope (`application/jose+json`): the JWS JSON flattened
// serialization (RFC 7515 §7.2.2) with Notation's header rules. Spec:
// notaryproject/specifications specs/signature-envelope-jws.md.
//
//   {"payload": b64url, "protected": b64url(JSON),
//    "header": {"x5c": [b64 DER, …], "io.cncf.notary.signingAgent": "…",
//               "io.cncf.notary.timestampSignature": b64},
//    "signature": b64url}
//
// Structure only: nothing is verified here except that the signature can be
// checked later (VerifyEnvelopeSignature in verify_signature.h).
#ifndef PULLSENTRY_VERIFY_NOTATION_JWS_ENVELOPE_H_
#define PULLSENTRY_VERIFY_NOTATION_JWS_ENVELOPE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "verify/notation/envelope.h"

namespace pullsentry::notation {

// Parses a JWS envelope. InvalidArgument with a one-line reason when the
// bytes are not a flattened JWS with exactly the members payload,
// protected, header and signature; when a base64url value is padded or not
// canonical (strict RFC 7515 §2); when the protected header breaks a rule of
// header_rules.h (alg, cty, signing scheme and its time, crit); when x5c is
// missing, empty, longer than kMaxChainLength or not standard base64. Times
// are RFC 3339 strings. Every input is bounded (notation_limits.h).
absl::StatusOr<Envelope> ParseJwsEnvelope(std::string_view bytes);

// Base64url without padding, strictly: the alphabet of RFC 4648 §5, no '=',
// no length of the form 4n+1, unused trailing bits zero. nullopt otherwise.
std::optional<std::string> Base64UrlDecodeStrict(std::string_view text);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_JWS_ENVELOPE_H_
