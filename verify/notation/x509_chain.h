// The signing certificate chain of a Notation signature: leaf first, to a
// certificate the verifier trusts, under the Notary Project's certificate
// requirements (spec signature-specification.md, "Certificate
// Requirements"). Uses OpenSSL's X509_STORE_CTX for path validation; the
// verification time is always given by the caller.
#ifndef PULLSENTRY_VERIFY_NOTATION_X509_CHAIN_H_
#define PULLSENTRY_VERIFY_NOTATION_X509_CHAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verify/crypto/ossl_ptr.h"

namespace pullsentry::notation {

struct VerifiedChain {
  std::vector<crypto::X509Ptr> certificates;  // as presented, leaf first
  crypto::X509Ptr trust_anchor;               // the trusted certificate the path ended at
  std::string leaf_subject;                   // RFC 4514 form, for messages
};

// Parses the DER certificates (each bounded, exactly one certificate).
// InvalidArgument naming the index of a bad one.
absl::StatusOr<std::vector<crypto::X509Ptr>> ParseCertificateChain(const std::vector<std::string>& der);

// Verifies `chain` (leaf first) against `trusted`:
//  - the presented order: each certificate is issued by the next (name and
//    signature), the last is self-signed (as notation-core-go requires);
//  - a path from the leaf to one of `trusted` (OpenSSL; a trusted
//    intermediate also ends the path, as notation trusts any certificate of
//    its store that the chain contains);
//  - the certificate requirements: CAs with critical basicConstraints
//    cA=TRUE and keyUsage keyCertSign; the leaf not a CA, with critical
//    keyUsage digitalSignature and no serverAuth, clientAuth,
//    emailProtection, timeStamping or anyExtendedKeyUsage EKU; RSA keys of
//    at least 2048 bits, EC keys of at least 256; no SHA-1 (or MD5)
//    signatures.
// With `at`, every certificate must be valid at that time (seconds since
// the epoch); without it validity periods are not checked here (the caller
// checks them as "authentic timestamp", see CheckValidityAt).
// PermissionDenied with a one-line reason naming the certificate.
absl::StatusOr<VerifiedChain> VerifyCertificateChain(const std::vector<std::string>& chain_der,
                                                     const std::vector<crypto::X509Ptr>& trusted,
                                                     std::optional<int64_t> at);

// OK when every certificate of `chain` is valid at `at`; PermissionDenied
// naming the first one that is not yet or no longer valid.
absl::Status CheckValidityAt(const std::vector<crypto::X509Ptr>& chain, int64_t at);

// New owning reference to `cert`.
crypto::X509Ptr CopyCertificate(X509* cert);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_X509_CHAIN_H_
