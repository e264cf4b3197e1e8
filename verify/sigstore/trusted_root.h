// The Sigstore trusted root (`trusted_root.json`, protobuf message
// dev.sigstore.trustroot.v1.TrustedRoot): the transparency logs, certificate
// authorities, certificate-transparency logs and timestamp authorities a
// verifier trusts, each with the window in which it may be used. Parsed
// whole and checked at load: every key is a usable verification key, every
// certificate is DER that OpenSSL accepts, every time is RFC 3339. Nothing
// here reaches the network.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_TRUSTED_ROOT_H_
#define PULLSENTRY_VERIFY_SIGSTORE_TRUSTED_ROOT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/crypto/ossl_ptr.h"
#include "verify/crypto/public_key.h"
#include "verify/sigstore/proto_json.h"

namespace pullsentry::sigstore {

// protobuf-specs TimeRange. Both ends inclusive; no end means still valid.
struct ValidityPeriod {
  std::optional<Time> start;  // absent: valid since forever
  std::optional<Time> end;
  bool Contains(Time t) const;
};

// A transparency log (Rekor) or certificate-transparency log instance.
struct TransparencyLog {
  std::string base_url;
  std::string key_details;  // e.g. "PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519"
  std::string log_id;       // raw bytes of logId.keyId
  std::string public_key_der;  // DER SubjectPublicKeyInfo
  std::shared_ptr<const crypto::PublicKey> key;
  bool ed25519 = false;
  ValidityPeriod valid_for;

  // The host name of base_url ("https://log.example/x" -> "log.example"):
  // the signed-note name of a Rekor v2 log.
  std::string HostName() const;
};

// A certificate authority (Fulcio) or timestamp authority.
struct CertificateAuthority {
  std::string organization;
  std::string common_name;
  std::string uri;
  // As listed: the issuing certificate first, the self-signed root last.
  std::vector<std::string> certificates_der;
  std::vector<crypto::X509Ptr> certificates;
  ValidityPeriod valid_for;
};

class TrustedRoot {
 public:
  // Parses trusted_root.json. InvalidArgument naming the JSON path and the
  // problem for anything malformed, oversized, or of an unsupported media
  // type, hash algorithm or key type; fields this version does not know are
  // ignored (newer roots add some), fields it reads are checked strictly.
  static absl::StatusOr<std::shared_ptr<const TrustedRoot>> Parse(std::string_view text);

  const std::string& media_type() const { return media_type_; }
  const std::vector<TransparencyLog>& tlogs() const { return tlogs_; }
  const std::vector<TransparencyLog>& ctlogs() const { return ctlogs_; }
  const std::vector<CertificateAuthority>& certificate_authorities() const { return cas_; }
  const std::vector<CertificateAuthority>& timestamp_authorities() const { return tsas_; }

  // The transparency log whose logId is `log_id` (raw bytes) and whose key
  // is valid at `at` (any time when nullopt). NotFound, naming the id in hex,
  // when no log has that id or none of them is valid then.
  absl::StatusOr<const TransparencyLog*> FindTlog(std::string_view log_id, std::optional<Time> at) const;
  absl::StatusOr<const TransparencyLog*> FindCtlog(std::string_view log_id, std::optional<Time> at) const;

 private:
  TrustedRoot() = default;

  std::string media_type_;
  std::vector<TransparencyLog> tlogs_;
  std::vector<TransparencyLog> ctlogs_;
  std::vector<CertificateAuthority> cas_;
  std::vector<CertificateAuthority> tsas_;
};

// A verification key from a DER SubjectPublicKeyInfo, with the checks of
// crypto::PublicKey::FromPem.
absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> PublicKeyFromDer(std::string_view spki_der);

// Lowercase hex of raw bytes; for log ids in messages and the SET.
std::string HexEncode(std::string_view bytes);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_TRUSTED_ROOT_H_
