#include "verify/crypto/public_key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/crypto/digest.h"
#include "verify/crypto/ossl_ptr.h"

namespace pullsentry::crypto {
namespace {

// Bounds on what a key file may hold; a PEM SPKI of RSA-16384 is ~2.8 KiB.
constexpr size_t kMaxPemBytes = 64u << 10;
constexpr int kMinRsaBits = 2048;
// Go's crypto/rsa (cosign, containers/image) refuses larger moduli too.
constexpr int kMaxRsaBits = 16384;

struct OpenSslPtrFree {
  void operator()(char* p) const { OPENSSL_free(p); }
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

absl::Status BadSignature() { return absl::PermissionDeniedError("signature does not verify"); }

// OpenSSL leaves failures on a per-thread queue; drop them so they cannot be
// mistaken for a later call's error.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

enum class Algorithm { kEcdsa, kRsaPkcs1, kEd25519 };

class OsslPublicKey final : public PublicKey {
 public:
  OsslPublicKey(EvpPkeyPtr pkey, Algorithm algorithm, std::vector<const EVP_MD*> hashes, std::string description,
                std::string fingerprint)
      : pkey_(std::move(pkey)),
        algorithm_(algorithm),
        hashes_(std::move(hashes)),
        description_(std::move(description)),
        fingerprint_(std::move(fingerprint)) {}

  absl::Status Verify(std::string_view message, std::string_view signature) const override {
    ErrorQueueGuard guard;
    if (signature.empty()) return absl::InvalidArgumentError("signature is empty");
    switch (algorithm_) {
      case Algorithm::kEd25519:
        if (signature.size() != 64) {
          return absl::InvalidArgumentError(
              absl::StrCat("an Ed25519 signature is 64 bytes, got ", signature.size()));
        }
        return VerifyWith(nullptr, message, signature);
      case Algorithm::kRsaPkcs1:
        if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()))) {
          return absl::InvalidArgumentError(absl::StrCat("an RSA signature for this key is ",
                                                         EVP_PKEY_get_size(pkey_.get()), " bytes, got ",
                                                         signature.size()));
        }
        break;
      case Algorithm::kEcdsa:
        if (absl::Status s = CheckStrictDer(signature); !s.ok()) return s;
        break;
    }
    // Any accepted hash suffices (see FromPem for which ones apply).
    for (const EVP_MD* md : hashes_) {
      absl::Status s = VerifyWith(md, message, signature);
      if (s.code() != absl::StatusCode::kPermissionDenied) return s;
    }
    return BadSignature();
  }

  std::string Description() const override { return description_; }
  std::string Fingerprint() const override { return fingerprint_; }

 private:
  // Go's ecdsa.VerifyASN1 accepts only DER; so must we, or one signature
  // could be spelled several ways.
  static absl::Status CheckStrictDer(std::string_view signature) {
    const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
    if (sig == nullptr || p != reinterpret_cast<const unsigned char*>(signature.data()) + signature.size()) {
      return absl::InvalidArgumentError("signature is not a DER-encoded ECDSA signature");
    }
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &der);
    std::unique_ptr<unsigned char, OpenSslPtrFree> owned(der);
    if (len <= 0 || std::string_view(reinterpret_cast<char*>(der), len) != signature) {
      return absl::InvalidArgumentError("signature is not a DER-encoded ECDSA signature");
    }
    return absl::OkStatus();
  }

  absl::Status VerifyWith(const EVP_MD* md, std::string_view message, std::string_view signature) const {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (ctx == nullptr) return absl::ResourceExhaustedError("out of memory");
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey_.get()) != 1) {
      return absl::InternalError("cannot initialise signature verification");
    }
    if (algorithm_ == Algorithm::kRsaPkcs1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return absl::InternalError("cannot select RSA PKCS#1 v1.5 padding");
    }
    int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                              reinterpret_cast<const unsigned char*>(message.data()), message.size());
    if (rc == 1) return absl::OkStatus();
    return BadSignature();
  }

  const EvpPkeyPtr pkey_;
  const Algorithm algorithm_;
  const std::vector<const EVP_MD*> hashes_;  // empty for Ed25519
  const std::string description_;
  const std::string fingerprint_;
};

std::string GroupName(const EVP_PKEY* pkey) {
  std::array<char, 80> name{};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(), &len) != 1) {
    return "";
  }
  return std::string(name.data(), len);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PublicKey>> PublicKey::FromPem(std::string_view pem) {
  ErrorQueueGuard guard;
  if (pem.size() > kMaxPemBytes) return absl::InvalidArgumentError("public key PEM is larger than 64 KiB");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");

  char* raw_name = nullptr;
  char* raw_header = nullptr;
  unsigned char* raw_der = nullptr;
  long der_len = 0;
  int ok = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_der, &der_len);
  std::unique_ptr<char, OpenSslPtrFree> name(raw_name), header(raw_header);
  std::unique_ptr<unsigned char, OpenSslPtrFree> der(raw_der);
  if (ok != 1) return absl::InvalidArgumentError("no PEM block found in public key");
  if (std::string_view(name.get()) != "PUBLIC KEY") {
    return absl::InvalidArgumentError(
        absl::StrCat("PEM block is \"", std::string(std::string_view(name.get()).substr(0, 64)), "\", want \"PUBLIC KEY\""));
  }
  if (header != nullptr && header.get()[0] != '\0') {
    return absl::InvalidArgumentError("PEM public key must not carry headers");
  }
  // A second key in the same PEM would otherwise be ignored without a word.
  if (std::string_view rest(pem); rest.find("-----BEGIN", rest.find("-----END") + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError("PEM holds more than one block; give one public key per entry");
  }

  const unsigned char* p = der.get();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, der_len));
  if (pkey == nullptr || p != der.get() + der_len) {
    return absl::InvalidArgumentError("PEM does not hold a valid SubjectPublicKeyInfo");
  }

  Algorithm algorithm;
  std::vector<const EVP_MD*> hashes;
  std::string description;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_EC: {
      algorithm = Algorithm::kEcdsa;
      std::string group = GroupName(pkey.get());
      // Cosign key signatures and containers/image hash with SHA-256 on
      // every curve (sigstore LoadVerifier(key, crypto.SHA256)); sigstore's
      // algorithm registry (LoadDefaultVerifier) pairs P-384 with SHA-384
      // and P-521 with SHA-512. Both are accepted.
      if (group == "prime256v1" || group == "P-256") {
        description = "ecdsa-p256";
        hashes = {EVP_sha256()};
      } else if (group == "secp384r1" || group == "P-384") {
        description = "ecdsa-p384";
        hashes = {EVP_sha256(), EVP_sha384()};
      } else if (group == "secp521r1" || group == "P-521") {
        description = "ecdsa-p521";
        hashes = {EVP_sha256(), EVP_sha512()};
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "ECDSA key on curve \"", group.empty() ? "(explicit parameters)" : group,
            "\" is not accepted; use P-256, P-384 or P-521"));
      }
      break;
    }
    case EVP_PKEY_RSA: {
      algorithm = Algorithm::kRsaPkcs1;
      int bits = EVP_PKEY_get_bits(pkey.get());
      if (bits < kMinRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA key of ", bits, " bits is too weak; at least ", kMinRsaBits, " bits are required"));
      }
      if (bits > kMaxRsaBits) {
        return absl::InvalidArgumentError(absl::StrCat("RSA key of ", bits, " bits is larger than ", kMaxRsaBits));
      }
      description = absl::StrCat("rsa-", bits);
      // PKCS#1 v1.5 only: sigstore's LoadVerifier, which cosign and
      // containers/image use for key signatures, never selects PSS.
      hashes = {EVP_sha256()};
      break;
    }
    case EVP_PKEY_ED25519:
      algorithm = Algorithm::kEd25519;
      description = "ed25519";
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("public key type \"", OBJ_nid2sn(EVP_PKEY_get_base_id(pkey.get())),
                       "\" is not accepted; use ECDSA P-256/P-384/P-521, RSA >= 2048 bits or Ed25519"));
  }

  unsigned char* canonical = nullptr;
  int canonical_len = i2d_PUBKEY(pkey.get(), &canonical);
  std::unique_ptr<unsigned char, OpenSslPtrFree> owned(canonical);
  if (canonical_len <= 0) return absl::InternalError("cannot encode public key");
  std::string fingerprint = Sha256Digest(std::string_view(reinterpret_cast<char*>(canonical), canonical_len));

  return std::make_shared<const OsslPublicKey>(std::move(pkey), algorithm, std::move(hashes), std::move(description),
                                               std::move(fingerprint));
}

}  // namespace pullsentry::crypto
