// Public keys from PEM and signature checks over whole messages, with the
// hash each key type uses for cosign/sigstore key signatures.
#ifndef PULLSENTRY_VERIFY_CRYPTO_PUBLIC_KEY_H_
#define PULLSENTRY_VERIFY_CRYPTO_PUBLIC_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::crypto {

// An immutable verification key: ECDSA P-256/P-384/P-521, RSA (>= 2048 bits)
// or Ed25519. Safe to share between threads.
class PublicKey {
 public:
  // Parses a PEM SubjectPublicKeyInfo ("PUBLIC KEY"). InvalidArgument when
  // the PEM is malformed or the key type/size is not accepted.
  static absl::StatusOr<std::shared_ptr<const PublicKey>> FromPem(std::string_view pem);

  virtual ~PublicKey() = default;

  // Verifies `signature` over `message`. OK when valid; PermissionDenied
  // ("signature does not verify") when not; InvalidArgument when the
  // signature is malformed.
  virtual absl::Status Verify(std::string_view message, std::string_view signature) const = 0;

  // "ecdsa-p256", "rsa-3072", "ed25519", …
  virtual std::string Description() const = 0;
  // "sha256:<hex>" of the DER SubjectPublicKeyInfo; names the key in verdicts.
  virtual std::string Fingerprint() const = 0;
};

}  // namespace pullsentry::crypto

#endif  // PULLSENTRY_VERIFY_CRYPTO_PUBLIC_KEY_H_
