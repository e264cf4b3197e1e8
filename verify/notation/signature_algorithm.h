// Notation's algorithm table (spec signature-specification.md, "Algorithm
// Selection") and the raw signature check both envelope formats share.
#ifndef PULLSENTRY_VERIFY_NOTATION_SIGNATURE_ALGORITHM_H_
#define PULLSENTRY_VERIFY_NOTATION_SIGNATURE_ALGORITHM_H_

#include <openssl/evp.h>

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verify/notation/envelope.h"

namespace pullsentry::notation {

// "PS256" … "ES512"; nullopt for anything else (RS256, none, …).
std::optional<SignatureAlgorithm> SignatureAlgorithmFromJws(std::string_view name);
// COSE alg labels (RFC 9053 / IANA): -37 -38 -39 -7 -35 -36.
std::optional<SignatureAlgorithm> SignatureAlgorithmFromCose(int64_t label);

// The one algorithm the spec allows for `key`: RSA 2048/3072/4096 →
// PS256/PS384/PS512, P-256/P-384/P-521 → ES256/ES384/ES512. InvalidArgument
// for any other key type or size.
absl::StatusOr<SignatureAlgorithm> AlgorithmForKey(EVP_PKEY* key);

// Verifies `signature` over `message` with `key` under `alg`: RSASSA-PSS
// with MGF1 over the same hash and salt length = hash length, or ECDSA whose
// signature is the raw fixed-size r||s (JWS and COSE both use it; converted
// to DER for OpenSSL). Refuses when `alg` is not the key's algorithm.
// PermissionDenied when the signature does not verify, InvalidArgument when
// it is malformed or the algorithm does not fit the key.
absl::Status VerifyRawSignature(SignatureAlgorithm alg, EVP_PKEY* key, std::string_view message,
                                std::string_view signature);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_SIGNATURE_ALGORITHM_H_
