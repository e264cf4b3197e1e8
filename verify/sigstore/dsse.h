// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): the
// signature covers the pre-authentication encoding of type and payload, so a
// payload cannot be reinterpreted under another type.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_DSSE_H_
#define PULLSENTRY_VERIFY_SIGSTORE_DSSE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "verify/crypto/public_key.h"
#include "verify/sigstore/bundle.h"

namespace pullsentry::sigstore {

// "DSSEv1 <len(type)> <type> <len(body)> <body>", lengths in decimal bytes.
std::string DssePreAuthEncoding(std::string_view payload_type, std::string_view payload);

// Verifies the envelope's signature over the PAE with `key`. OK when valid;
// PermissionDenied ("DSSE signature does not verify") otherwise.
absl::Status VerifyDsseEnvelope(const DsseEnvelope& envelope, const crypto::PublicKey& key);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_DSSE_H_
