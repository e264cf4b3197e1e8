#include "verify/notation/signature_algorithm.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <string>

#include "verify/notation/str.h"
#include "verify/crypto/ossl_ptr.h"

namespace pullsentry::notation {
namespace {

using BignumPtr = std::unique_ptr<BIGNUM, crypto::OsslDeleter<BN_free>>;

const EVP_MD* HashFor(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kPs256:
    case SignatureAlgorithm::kEs256:
      return EVP_sha256();
    case SignatureAlgorithm::kPs384:
    case SignatureAlgorithm::kEs384:
      return EVP_sha384();
    case SignatureAlgorithm::kPs512:
    case SignatureAlgorithm::kEs512:
      return EVP_sha512();
  }
  return nullptr;
}

bool IsEcdsa(SignatureAlgorithm alg) {
  return alg == SignatureAlgorithm::kEs256 || alg == SignatureAlgorithm::kEs384 || alg == SignatureAlgorithm::kEs512;
}

// Bytes of r and of s in the raw form (RFC 7518 §3.4): the curve order size.
size_t EcdsaHalfLength(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kEs256:
      return 32;
    case SignatureAlgorithm::kEs384:
      return 48;
    default:
      return 66;
  }
}

absl::StatusOr<std::string> RawEcdsaToDer(SignatureAlgorithm alg, std::string_view raw) {
  size_t half = EcdsaHalfLength(alg);
  if (raw.size() != 2 * half) {
    return absl::InvalidArgumentError(internal::Cat("the ECDSA signature is ", raw.size(), " bytes, ",
                                                   SignatureAlgorithmName(alg), " needs ", 2 * half));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BignumPtr r(BN_bin2bn(p, static_cast<int>(half), nullptr));
  BignumPtr s(BN_bin2bn(p + half, static_cast<int>(half), nullptr));
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return absl::InternalError("out of memory converting the ECDSA signature");
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return absl::InternalError("cannot encode the ECDSA signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string_view SignatureAlgorithmName(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kPs256: return "PS256";
    case SignatureAlgorithm::kPs384: return "PS384";
    case SignatureAlgorithm::kPs512: return "PS512";
    case SignatureAlgorithm::kEs256: return "ES256";
    case SignatureAlgorithm::kEs384: return "ES384";
    case SignatureAlgorithm::kEs512: return "ES512";
  }
  return "?";
}

std::string_view SigningSchemeName(SigningScheme scheme) {
  return scheme == SigningScheme::kX509 ? "notary.x509" : "notary.x509.signingAuthority";
}

std::optional<SignatureAlgorithm> SignatureAlgorithmFromJws(std::string_view name) {
  if (name == "PS256") return SignatureAlgorithm::kPs256;
  if (name == "PS384") return SignatureAlgorithm::kPs384;
  if (name == "PS512") return SignatureAlgorithm::kPs512;
  if (name == "ES256") return SignatureAlgorithm::kEs256;
  if (name == "ES384") return SignatureAlgorithm::kEs384;
  if (name == "ES512") return SignatureAlgorithm::kEs512;
  return std::nullopt;
}

std::optional<SignatureAlgorithm> SignatureAlgorithmFromCose(int64_t label) {
  switch (label) {
    case -37: return SignatureAlgorithm::kPs256;
    case -38: return SignatureAlgorithm::kPs384;
    case -39: return SignatureAlgorithm::kPs512;
    case -7: return SignatureAlgorithm::kEs256;
    case -35: return SignatureAlgorithm::kEs384;
    case -36: return SignatureAlgorithm::kEs512;
    default: return std::nullopt;
  }
}

absl::StatusOr<SignatureAlgorithm> AlgorithmForKey(EVP_PKEY* key) {
  if (key == nullptr) return absl::InvalidArgumentError("no key");
  int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (bits == 2048) return SignatureAlgorithm::kPs256;
      if (bits == 3072) return SignatureAlgorithm::kPs384;
      if (bits == 4096) return SignatureAlgorithm::kPs512;
      return absl::InvalidArgumentError(internal::Cat("RSA-", bits, " keys are not allowed (2048, 3072 or 4096)"));
    case EVP_PKEY_EC: {
      char curve[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len) != 1) {
        return absl::InvalidArgumentError("EC key without a named curve");
      }
      std::string_view name(curve, len);
      if (name == "prime256v1" || name == "P-256") return SignatureAlgorithm::kEs256;
      if (name == "secp384r1" || name == "P-384") return SignatureAlgorithm::kEs384;
      if (name == "secp521r1" || name == "P-521") return SignatureAlgorithm::kEs512;
      return absl::InvalidArgumentError(internal::Cat("EC curve ", name, " is not allowed (P-256, P-384 or P-521)"));
    }
    default:
      return absl::InvalidArgumentError("the signing key is neither RSA nor EC");
  }
}

absl::Status VerifyRawSignature(SignatureAlgorithm alg, EVP_PKEY* key, std::string_view message,
                                std::string_view signature) {
  auto want = AlgorithmForKey(key);
  if (!want.ok()) return want.status();
  if (*want != alg) {
    return absl::InvalidArgumentError(internal::Cat("alg ", SignatureAlgorithmName(alg), " does not fit the signing key (",
                                                   SignatureAlgorithmName(*want), " required)"));
  }
  std::string der;
  if (IsEcdsa(alg)) {
    auto converted = RawEcdsaToDer(alg, signature);
    if (!converted.ok()) return converted.status();
    der = *std::move(converted);
    signature = der;
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, HashFor(alg), nullptr, key) != 1) {
    return absl::InternalError("cannot set up signature verification");
  }
  if (!IsEcdsa(alg)) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, HashFor(alg)) != 1) {
      return absl::InternalError("cannot set up RSASSA-PSS");
    }
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) return absl::PermissionDeniedError("the signature does not verify with the signing certificate's key");
  return absl::OkStatus();
}

}  // namespace pullsentry::notation
