#include "verify/notation/x509_chain.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "verify/notation/str.h"
#include "verify/notation/identity.h"
#include "verify/notation/notation_limits.h"

namespace pullsentry::notation {
namespace {

// sk_X509_free is a macro; the stack borrows its certificates.
struct StackX509Deleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using StackX509Ptr = std::unique_ptr<STACK_OF(X509), StackX509Deleter>;
using ExtKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, crypto::OsslDeleter<EXTENDED_KEY_USAGE_free>>;

std::string Name(size_t index, X509* cert) {
  std::string role = index == 0 ? "leaf certificate" : internal::Cat("certificate ", index);
  return internal::Cat(role, " \"", SubjectString(cert), "\"");
}

absl::Status Denied(size_t index, X509* cert, std::string_view what) {
  return absl::PermissionDeniedError(internal::Cat(Name(index, cert), " ", what));
}

bool ExtensionCritical(X509* cert, int nid) {
  int pos = X509_get_ext_by_NID(cert, nid, -1);
  return pos >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, pos)) == 1;
}

absl::Status CheckKeyAndAlgorithm(size_t index, X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return Denied(index, cert, "has an unreadable public key");
  int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (bits < 2048) return Denied(index, cert, internal::Cat("has an RSA-", bits, " key (at least 2048 bits)"));
      break;
    case EVP_PKEY_EC:
      if (bits < 256) return Denied(index, cert, internal::Cat("has an EC key of ", bits, " bits (at least 256)"));
      break;
    default:
      return Denied(index, cert, "has a key that is neither RSA nor EC");
  }
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  if (OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pk_nid) != 1) {
    // RSASSA-PSS carries its hash in parameters; OpenSSL checks them when
    // verifying. Unknown combinations fall through to that check.
    md_nid = NID_undef;
  }
  if (md_nid == NID_sha1 || md_nid == NID_md5 || md_nid == NID_md5_sha1) {
    return Denied(index, cert, "is signed with SHA-1 or MD5");
  }
  return absl::OkStatus();
}

absl::Status CheckCaRequirements(size_t index, X509* cert) {
  if (!ExtensionCritical(cert, NID_basic_constraints) || X509_check_ca(cert) < 1 ||
      (X509_get_extension_flags(cert) & EXFLAG_CA) == 0) {
    return Denied(index, cert, "is not a CA with critical basicConstraints cA=TRUE");
  }
  if (!ExtensionCritical(cert, NID_key_usage) || (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
    return Denied(index, cert, "lacks a critical keyUsage with keyCertSign");
  }
  return absl::OkStatus();
}

absl::Status CheckLeafRequirements(X509* cert) {
  if ((X509_get_extension_flags(cert) & EXFLAG_CA) != 0) return Denied(0, cert, "is a CA");
  if (!ExtensionCritical(cert, NID_key_usage) || (X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) == 0) {
    return Denied(0, cert, "lacks a critical keyUsage with digitalSignature");
  }
  int crit = 0;
  ExtKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, nullptr)));
  if (!eku && crit != -1) return Denied(0, cert, "has an unreadable extendedKeyUsage");
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_server_auth || nid == NID_client_auth || nid == NID_email_protect || nid == NID_time_stamp ||
        nid == NID_anyExtendedKeyUsage) {
      return Denied(0, cert, internal::Cat("has extended key usage ", OBJ_nid2sn(nid), ", not allowed for code signing"));
    }
  }
  return absl::OkStatus();
}

// Issuer name and signature only: X509_check_issued would also judge the
// issuer's keyUsage, which CheckCaRequirements reports more precisely.
bool IssuedBy(X509* cert, X509* issuer) {
  return X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) == 0 &&
         X509_verify(cert, X509_get0_pubkey(issuer)) == 1;
}

}  // namespace

crypto::X509Ptr CopyCertificate(X509* cert) {
  X509_up_ref(cert);
  return crypto::X509Ptr(cert);
}

absl::StatusOr<std::vector<crypto::X509Ptr>> ParseCertificateChain(const std::vector<std::string>& der) {
  if (der.empty()) return absl::InvalidArgumentError("the certificate chain is empty");
  if (der.size() > kMaxChainLength) {
    return absl::InvalidArgumentError(internal::Cat("the certificate chain has more than ", kMaxChainLength, " certificates"));
  }
  std::vector<crypto::X509Ptr> out;
  for (size_t i = 0; i < der.size(); ++i) {
    if (der[i].size() > kMaxCertificateBytes) {
      return absl::InvalidArgumentError(internal::Cat("certificate ", i, " of the chain is too large"));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(der[i].data());
    crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der[i].size())));
    if (!cert || p != reinterpret_cast<const unsigned char*>(der[i].data()) + der[i].size()) {
      return absl::InvalidArgumentError(internal::Cat("certificate ", i, " of the chain is not one DER certificate"));
    }
    out.push_back(std::move(cert));
  }
  return out;
}

absl::Status CheckValidityAt(const std::vector<crypto::X509Ptr>& chain, int64_t at) {
  time_t t = static_cast<time_t>(at);
  for (size_t i = 0; i < chain.size(); ++i) {
    X509* cert = chain[i].get();
    if (X509_cmp_time(X509_get0_notBefore(cert), &t) >= 0) return Denied(i, cert, "is not yet valid");
    if (X509_cmp_time(X509_get0_notAfter(cert), &t) <= 0) return Denied(i, cert, "has expired");
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifiedChain> VerifyCertificateChain(const std::vector<std::string>& chain_der,
                                                     const std::vector<crypto::X509Ptr>& trusted,
                                                     std::optional<int64_t> at) {
  auto parsed = ParseCertificateChain(chain_der);
  if (!parsed.ok()) return absl::PermissionDeniedError(parsed.status().message());
  std::vector<crypto::X509Ptr>& chain = *parsed;
  if (trusted.empty()) return absl::PermissionDeniedError("no trusted certificates to verify the chain against");

  // The presented order, as notation-core-go's ValidateCodeSigningCertChain.
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (!IssuedBy(chain[i].get(), chain[i + 1].get())) {
      return Denied(i, chain[i].get(), internal::Cat("is not issued by the next certificate of the chain"));
    }
  }
  if (!IssuedBy(chain.back().get(), chain.back().get())) {
    return Denied(chain.size() - 1, chain.back().get(), "ends the chain but is not a self-signed root");
  }
  for (size_t i = 0; i < chain.size(); ++i) {
    if (auto st = CheckKeyAndAlgorithm(i, chain[i].get()); !st.ok()) return st;
    if (i > 0) {
      if (auto st = CheckCaRequirements(i, chain[i].get()); !st.ok()) return st;
    }
  }
  // A single self-signed certificate signs for itself (notation allows it);
  // it is then the leaf and meets the leaf's requirements.
  if (auto st = CheckLeafRequirements(chain[0].get()); !st.ok()) return st;

  crypto::X509StorePtr store(X509_STORE_new());
  StackX509Ptr untrusted(sk_X509_new_null());
  crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return absl::InternalError("out of memory verifying a certificate chain");
  for (const auto& cert : trusted) {
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) return absl::InternalError("cannot add a trusted certificate");
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) <= 0) return absl::InternalError("out of memory");
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1) {
    return absl::InternalError("cannot set up certificate verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // PARTIAL_CHAIN: a trusted intermediate ends the path, as in notation.
  unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
  if (at) {
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*at));
  } else {
    flags |= X509_V_FLAG_NO_CHECK_TIME;
  }
  X509_VERIFY_PARAM_set_flags(param, flags);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    std::string who = bad ? Name(static_cast<size_t>(depth), bad) : internal::Cat("certificate ", depth);
    if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
        err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
      return absl::PermissionDeniedError("the certificate chain does not lead to a trusted certificate");
    }
    return absl::PermissionDeniedError(internal::Cat(who, ": ", X509_verify_cert_error_string(err)));
  }
  VerifiedChain out;
  STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
  out.trust_anchor = CopyCertificate(sk_X509_value(path, sk_X509_num(path) - 1));
  out.leaf_subject = SubjectString(chain[0].get());
  out.certificates = std::move(chain);
  return out;
}

}  // namespace pullsentry::notation
