#include "verify/sigstore/bundle.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/crypto/ossl_ptr.h"
#include "verify/json/strict_json.h"
#include "verify/sigstore/sigstore_limits.h"
#include "verify/sigstore/proto_json.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::sigstore {
namespace {

using internal::Join;

// OPENSSL_free is a macro, so it cannot be an OsslDeleter argument.
struct OpensslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

absl::Status Invalid(std::string_view path, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": ", std::string(why)));
}

std::optional<BundleVersion> VersionOf(std::string_view media_type) {
  if (media_type == "application/vnd.dev.sigstore.bundle+json;version=0.1") return BundleVersion::kV0_1;
  if (media_type == "application/vnd.dev.sigstore.bundle+json;version=0.2") return BundleVersion::kV0_2;
  if (media_type == "application/vnd.dev.sigstore.bundle+json;version=0.3" ||
      media_type == "application/vnd.dev.sigstore.bundle.v0.3+json") {
    return BundleVersion::kV0_3;
  }
  return std::nullopt;
}

// DER that OpenSSL reads completely, so later checks see the same bytes.
absl::Status CheckCertificateDer(std::string_view der, std::string_view path) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Invalid(path, "not a DER X.509 certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Certificate(const nlohmann::json& obj, const std::string& path) {
  absl::StatusOr<std::string> der = internal::RequiredBytes(obj, path, "rawBytes", kMaxCertificateBytes);
  if (!der.ok()) return der.status();
  if (absl::Status s = CheckCertificateDer(*der, Join(path, "rawBytes")); !s.ok()) return s;
  return der;
}

absl::Status ParseMaterial(const nlohmann::json& vm, const std::string& path, Bundle& out) {
  absl::StatusOr<const nlohmann::json*> key = internal::OptionalObject(vm, path, "publicKey");
  if (!key.ok()) return key.status();
  absl::StatusOr<const nlohmann::json*> chain = internal::OptionalObject(vm, path, "x509CertificateChain");
  if (!chain.ok()) return chain.status();
  absl::StatusOr<const nlohmann::json*> cert = internal::OptionalObject(vm, path, "certificate");
  if (!cert.ok()) return cert.status();
  int count = (*key != nullptr) + (*chain != nullptr) + (*cert != nullptr);
  if (count != 1) {
    return Invalid(path, "want exactly one of publicKey, x509CertificateChain and certificate");
  }
  if (*key != nullptr) {
    out.material = Bundle::Material::kPublicKey;
    auto hint = internal::OptionalString(**key, Join(path, "publicKey"), "hint", kMaxShortStringBytes);
    if (!hint.ok()) return hint.status();
    out.public_key_hint = hint->value_or("");
    return absl::OkStatus();
  }
  // protobuf-specs: v0.3 replaced the chain by the leaf alone (the chain
  // belongs in the trusted root).
  if (*chain != nullptr) {
    if (out.version == BundleVersion::kV0_3) {
      return Invalid(Join(path, "x509CertificateChain"), "a v0.3 bundle carries `certificate`, not a chain");
    }
    out.material = Bundle::Material::kCertificateChain;
    std::string chain_path = Join(path, "x509CertificateChain");
    absl::StatusOr<const nlohmann::json*> certs =
        internal::OptionalArray(**chain, chain_path, "certificates", kMaxChainCertificates);
    if (!certs.ok()) return certs.status();
    if ((*certs)->empty()) return Invalid(Join(chain_path, "certificates"), "empty");
    for (size_t i = 0; i < (*certs)->size(); ++i) {
      absl::StatusOr<std::string> der = Certificate((**certs)[i], Join(Join(chain_path, "certificates"), i));
      if (!der.ok()) return der.status();
      out.certificates_der.push_back(*std::move(der));
    }
    return absl::OkStatus();
  }
  if (out.version != BundleVersion::kV0_3) {
    return Invalid(Join(path, "certificate"), "only v0.3 bundles carry `certificate`; earlier ones a chain");
  }
  out.material = Bundle::Material::kCertificate;
  absl::StatusOr<std::string> der = Certificate(**cert, Join(path, "certificate"));
  if (!der.ok()) return der.status();
  out.certificates_der.push_back(*std::move(der));
  return absl::OkStatus();
}

absl::StatusOr<InclusionProof> ParseProof(const nlohmann::json& obj, const std::string& path, BundleVersion version) {
  InclusionProof proof;
  absl::StatusOr<int64_t> index = internal::RequiredNonNegativeInt64(obj, path, "logIndex");
  if (!index.ok()) return index.status();
  absl::StatusOr<int64_t> size = internal::RequiredNonNegativeInt64(obj, path, "treeSize");
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> root = internal::RequiredBytes(obj, path, "rootHash", 64);
  if (!root.ok()) return root.status();
  absl::StatusOr<const nlohmann::json*> hashes = internal::OptionalArray(obj, path, "hashes", kMaxProofHashes);
  if (!hashes.ok()) return hashes.status();
  std::string hashes_path = Join(path, "hashes");
  for (size_t i = 0; i < (*hashes)->size(); ++i) {
    const nlohmann::json& h = (**hashes)[i];
    std::string where = Join(hashes_path, i);
    if (!h.is_string() || h.get_ref<const std::string&>().size() > 128) return Invalid(where, "want a base64 hash");
    std::optional<std::string> bytes = internal::DecodeProtoBase64(h.get_ref<const std::string&>());
    if (!bytes.has_value() || bytes->size() > 64) return Invalid(where, "want a base64 hash");
    proof.hashes.push_back(*std::move(bytes));
  }
  absl::StatusOr<const nlohmann::json*> checkpoint = internal::OptionalObject(obj, path, "checkpoint");
  if (!checkpoint.ok()) return checkpoint.status();
  if (*checkpoint != nullptr) {
    auto envelope =
        internal::OptionalString(**checkpoint, Join(path, "checkpoint"), "envelope", kMaxCheckpointBytes);
    if (!envelope.ok()) return envelope.status();
    proof.checkpoint = *envelope;
  }
  // From v0.2 the checkpoint is what ties the proof's root to the log.
  if (version != BundleVersion::kV0_1 && !proof.checkpoint.has_value()) {
    return Invalid(Join(path, "checkpoint"), "required from bundle v0.2, missing");
  }
  proof.log_index = *index;
  proof.tree_size = *size;
  proof.root_hash = *std::move(root);
  return proof;
}

absl::StatusOr<TlogEntry> ParseEntry(const nlohmann::json& obj, const std::string& path, BundleVersion version) {
  TlogEntry e;
  if (!obj.is_object()) return Invalid(path, "want object");
  absl::StatusOr<int64_t> index = internal::RequiredNonNegativeInt64(obj, path, "logIndex");
  if (!index.ok()) return index.status();
  e.log_index = *index;
  absl::StatusOr<const nlohmann::json*> log_id = internal::RequiredObject(obj, path, "logId");
  if (!log_id.ok()) return log_id.status();
  absl::StatusOr<std::string> key_id = internal::RequiredBytes(**log_id, Join(path, "logId"), "keyId", 64);
  if (!key_id.ok()) return key_id.status();
  e.log_id = *std::move(key_id);
  absl::StatusOr<const nlohmann::json*> kv = internal::RequiredObject(obj, path, "kindVersion");
  if (!kv.ok()) return kv.status();
  auto kind = internal::RequiredString(**kv, Join(path, "kindVersion"), "kind", kMaxShortStringBytes);
  if (!kind.ok()) return kind.status();
  auto kind_version = internal::RequiredString(**kv, Join(path, "kindVersion"), "version", kMaxShortStringBytes);
  if (!kind_version.ok()) return kind_version.status();
  e.kind = *kind;
  e.version = *kind_version;
  absl::StatusOr<const nlohmann::json*> time = internal::Member(obj, path, "integratedTime");
  if (!time.ok()) return time.status();
  if (*time != nullptr) {
    absl::StatusOr<int64_t> t = internal::RequiredNonNegativeInt64(obj, path, "integratedTime");
    if (!t.ok()) return t.status();
    e.integrated_time = *t;
  }
  absl::StatusOr<const nlohmann::json*> promise = internal::OptionalObject(obj, path, "inclusionPromise");
  if (!promise.ok()) return promise.status();
  if (*promise != nullptr) {
    auto set = internal::RequiredBytes(**promise, Join(path, "inclusionPromise"), "signedEntryTimestamp",
                                       kMaxSignatureBytes);
    if (!set.ok()) return set.status();
    e.signed_entry_timestamp = *std::move(set);
  }
  absl::StatusOr<const nlohmann::json*> proof = internal::OptionalObject(obj, path, "inclusionProof");
  if (!proof.ok()) return proof.status();
  if (*proof != nullptr) {
    absl::StatusOr<InclusionProof> p = ParseProof(**proof, Join(path, "inclusionProof"), version);
    if (!p.ok()) return p.status();
    e.inclusion_proof = *std::move(p);
  }
  // protobuf-specs: v0.1 bundles rest on the SET; from v0.2 the inclusion
  // proof is required (the SET stays optional).
  if (version == BundleVersion::kV0_1 && !e.signed_entry_timestamp.has_value()) {
    return Invalid(Join(path, "inclusionPromise"), "a v0.1 bundle needs a signed entry timestamp, missing");
  }
  if (version != BundleVersion::kV0_1 && !e.inclusion_proof.has_value()) {
    return Invalid(Join(path, "inclusionProof"), "required from bundle v0.2, missing");
  }
  absl::StatusOr<std::string> body =
      internal::RequiredBytes(obj, path, "canonicalizedBody", kMaxCanonicalizedBodyBytes);
  if (!body.ok()) return body.status();
  e.canonicalized_body = *std::move(body);
  return e;
}

absl::StatusOr<MessageSignature> ParseMessageSignature(const nlohmann::json& obj, const std::string& path) {
  MessageSignature m;
  absl::StatusOr<const nlohmann::json*> digest = internal::OptionalObject(obj, path, "messageDigest");
  if (!digest.ok()) return digest.status();
  if (*digest != nullptr) {
    std::string where = Join(path, "messageDigest");
    auto algorithm = internal::RequiredString(**digest, where, "algorithm", kMaxShortStringBytes);
    if (!algorithm.ok()) return algorithm.status();
    auto value = internal::RequiredBytes(**digest, where, "digest", 64);
    if (!value.ok()) return value.status();
    m.digest_algorithm = *algorithm;
    m.digest = *std::move(value);
  }
  absl::StatusOr<std::string> signature = internal::RequiredBytes(obj, path, "signature", kMaxSignatureBytes);
  if (!signature.ok()) return signature.status();
  m.signature = *std::move(signature);
  return m;
}

absl::StatusOr<DsseEnvelope> ParseDsse(const nlohmann::json& obj, const std::string& path) {
  DsseEnvelope d;
  auto payload = internal::OptionalBytes(obj, path, "payload", kMaxDssePayloadBytes);
  if (!payload.ok()) return payload.status();
  auto type = internal::RequiredString(obj, path, "payloadType", kMaxShortStringBytes);
  if (!type.ok()) return type.status();
  absl::StatusOr<const nlohmann::json*> sigs = internal::OptionalArray(obj, path, "signatures", 1000);
  if (!sigs.ok()) return sigs.status();
  // A Sigstore bundle's envelope has exactly one signature, the one its
  // verification material and log entry are for (protobuf-specs).
  if ((*sigs)->size() != 1) {
    return Invalid(Join(path, "signatures"),
                   absl::StrCat("want exactly one signature, got ", (*sigs)->size()));
  }
  std::string where = Join(Join(path, "signatures"), 0);
  if (!(**sigs)[0].is_object()) return Invalid(where, "want object");
  auto sig = internal::RequiredBytes((**sigs)[0], where, "sig", kMaxSignatureBytes);
  if (!sig.ok()) return sig.status();
  auto keyid = internal::OptionalString((**sigs)[0], where, "keyid", kMaxShortStringBytes);
  if (!keyid.ok()) return keyid.status();
  d.payload = payload->value_or("");
  d.payload_type = *type;
  d.signature = *std::move(sig);
  d.keyid = keyid->value_or("");
  return d;
}

}  // namespace

absl::StatusOr<Bundle> ParseBundle(std::string_view text) {
  if (text.size() > kMaxBundleBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle is ", text.size(), " bytes, over the limit of ", kMaxBundleBytes));
  }
  absl::StatusOr<nlohmann::json> doc = json::ParseStrictJson(text, kMaxJsonDepth);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return absl::InvalidArgumentError("bundle: want a JSON object");
  Bundle b;
  absl::StatusOr<std::string> media = internal::RequiredString(*doc, "", "mediaType", kMaxShortStringBytes);
  if (!media.ok()) return media.status();
  std::optional<BundleVersion> version = VersionOf(*media);
  if (!version.has_value()) return Invalid("/mediaType", absl::StrCat("\"", *media, "\" is not a supported bundle"));
  b.version = *version;
  b.media_type = *media;

  absl::StatusOr<const nlohmann::json*> vm = internal::RequiredObject(*doc, "", "verificationMaterial");
  if (!vm.ok()) return vm.status();
  const std::string vm_path = "/verificationMaterial";
  if (absl::Status s = ParseMaterial(**vm, vm_path, b); !s.ok()) return s;

  absl::StatusOr<const nlohmann::json*> entries = internal::OptionalArray(**vm, vm_path, "tlogEntries", kMaxTlogEntries);
  if (!entries.ok()) return entries.status();
  for (size_t i = 0; i < (*entries)->size(); ++i) {
    absl::StatusOr<TlogEntry> e = ParseEntry((**entries)[i], Join(Join(vm_path, "tlogEntries"), i), b.version);
    if (!e.ok()) return e.status();
    b.tlog_entries.push_back(*std::move(e));
  }

  absl::StatusOr<const nlohmann::json*> tvd = internal::OptionalObject(**vm, vm_path, "timestampVerificationData");
  if (!tvd.ok()) return tvd.status();
  if (*tvd != nullptr) {
    std::string tvd_path = Join(vm_path, "timestampVerificationData");
    absl::StatusOr<const nlohmann::json*> stamps =
        internal::OptionalArray(**tvd, tvd_path, "rfc3161Timestamps", kMaxTimestamps);
    if (!stamps.ok()) return stamps.status();
    for (size_t i = 0; i < (*stamps)->size(); ++i) {
      std::string where = Join(Join(tvd_path, "rfc3161Timestamps"), i);
      if (!(**stamps)[i].is_object()) return Invalid(where, "want object");
      auto stamp = internal::RequiredBytes((**stamps)[i], where, "signedTimestamp", kMaxTimestampBytes);
      if (!stamp.ok()) return stamp.status();
      b.rfc3161_timestamps.push_back(*std::move(stamp));
    }
  }
  // Without either there is no trusted time to check the certificate at.
  if (b.tlog_entries.empty() && b.rfc3161_timestamps.empty()) {
    return Invalid(vm_path, "no transparency log entry and no RFC 3161 timestamp");
  }

  absl::StatusOr<const nlohmann::json*> msg = internal::OptionalObject(*doc, "", "messageSignature");
  if (!msg.ok()) return msg.status();
  absl::StatusOr<const nlohmann::json*> dsse = internal::OptionalObject(*doc, "", "dsseEnvelope");
  if (!dsse.ok()) return dsse.status();
  if ((*msg != nullptr) == (*dsse != nullptr)) {
    return absl::InvalidArgumentError("bundle: want exactly one of messageSignature and dsseEnvelope");
  }
  if (*msg != nullptr) {
    absl::StatusOr<MessageSignature> m = ParseMessageSignature(**msg, "/messageSignature");
    if (!m.ok()) return m.status();
    b.content = *std::move(m);
  } else {
    absl::StatusOr<DsseEnvelope> d = ParseDsse(**dsse, "/dsseEnvelope");
    if (!d.ok()) return d.status();
    b.content = *std::move(d);
  }
  return b;
}

absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> LeafCertificateKey(const Bundle& bundle) {
  if (bundle.certificates_der.empty()) {
    return absl::FailedPreconditionError("the bundle names a key, not a certificate");
  }
  const std::string& der = bundle.certificates_der.front();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("leaf certificate is not DER");
  }
  unsigned char* spki = nullptr;
  int len = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &spki);
  std::unique_ptr<unsigned char, OpensslFree> owned(spki);
  ERR_clear_error();
  if (len <= 0) return absl::InvalidArgumentError("leaf certificate has no usable public key");
  absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> key =
      PublicKeyFromDer(std::string_view(reinterpret_cast<char*>(spki), static_cast<size_t>(len)));
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat("leaf certificate key: ", key.status().message()));
  return key;
}

}  // namespace pullsentry::sigstore
