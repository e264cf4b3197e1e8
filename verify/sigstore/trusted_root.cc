#include "verify/sigstore/trusted_root.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/crypto/digest.h"
#include "verify/json/strict_json.h"
#include "verify/sigstore/sigstore_limits.h"

namespace pullsentry::sigstore {
namespace {

using internal::Join;

// The media types protobuf-specs has given the trusted root; v0.2 added
// fields (checkpointKeyId, operator) that this parser does not need.
constexpr std::array<std::string_view, 3> kMediaTypes = {
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
};

// keyDetails (protobuf-specs PublicKeyDetails) -> PublicKey::Description()
// prefix the parsed key must have. Listed values only: a root naming an
// algorithm we cannot check is refused rather than half-used.
std::optional<std::string_view> ExpectedKeyType(std::string_view details) {
  static constexpr std::pair<std::string_view, std::string_view> kTable[] = {
      {"PKIX_ECDSA_P256_SHA_256", "ecdsa-p256"},
      {"PKIX_ECDSA_P384_SHA_384", "ecdsa-p384"},
      {"PKIX_ECDSA_P521_SHA_512", "ecdsa-p521"},
      {"PKIX_ED25519", "ed25519"},
      {"PKIX_RSA_PKCS1V15_2048_SHA256", "rsa-2048"},
      {"PKIX_RSA_PKCS1V15_3072_SHA256", "rsa-3072"},
      {"PKIX_RSA_PKCS1V15_4096_SHA256", "rsa-4096"},
      // Deprecated spellings still found in older roots.
      {"ECDSA_P256_SHA_256", "ecdsa-p256"},
      {"PKIX_RSA_PKCS1V5", "rsa-"},
      {"PKCS1_RSA_PKCS1V5", "rsa-"},
  };
  for (const auto& [name, type] : kTable) {
    if (name == details) return type;
  }
  return std::nullopt;
}

std::string DerToPem(std::string_view der) {
  std::string b64 = crypto::Base64Encode(der);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  absl::StrAppend(&pem, "-----END PUBLIC KEY-----\n");
  return pem;
}

absl::StatusOr<ValidityPeriod> ParseValidity(const nlohmann::json& parent, const std::string& path) {
  ValidityPeriod out;
  absl::StatusOr<const nlohmann::json*> vf = internal::OptionalObject(parent, path, "validFor");
  if (!vf.ok()) return vf.status();
  if (*vf == nullptr) return out;
  std::string where = Join(path, "validFor");
  for (const char* key : {"start", "end"}) {
    absl::StatusOr<std::optional<std::string>> text =
        internal::OptionalString(**vf, where, key, kMaxShortStringBytes);
    if (!text.ok()) return text.status();
    if (!text->has_value()) continue;
    bool is_start = std::string_view(key) == "start";
    // Fractions shrink the window: a start rounds up, an end rounds down.
    std::optional<Time> t = internal::ParseRfc3339(**text, /*round_up=*/is_start);
    if (!t.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(Join(where, key), ": \"", **text, "\" is not an RFC 3339 time"));
    }
    (is_start ? out.start : out.end) = *t;
  }
  if (out.start && out.end && *out.end < *out.start) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": end is before start"));
  }
  return out;
}

absl::StatusOr<TransparencyLog> ParseLog(const nlohmann::json& entry, const std::string& path) {
  TransparencyLog log;
  absl::StatusOr<std::string> url = internal::RequiredString(entry, path, "baseUrl", kMaxShortStringBytes);
  if (!url.ok()) return url.status();
  log.base_url = *url;
  // Merkle trees and log ids are SHA-256 in every Sigstore log; another
  // algorithm would need another proof check, so say so now.
  absl::StatusOr<std::string> hash = internal::RequiredString(entry, path, "hashAlgorithm", kMaxShortStringBytes);
  if (!hash.ok()) return hash.status();
  if (*hash != "SHA2_256") {
    return absl::InvalidArgumentError(
        absl::StrCat(Join(path, "hashAlgorithm"), ": \"", *hash, "\" is not supported; only SHA2_256"));
  }
  absl::StatusOr<const nlohmann::json*> pk = internal::RequiredObject(entry, path, "publicKey");
  if (!pk.ok()) return pk.status();
  std::string pk_path = Join(path, "publicKey");
  absl::StatusOr<std::string> der = internal::RequiredBytes(**pk, pk_path, "rawBytes", kMaxPublicKeyBytes);
  if (!der.ok()) return der.status();
  absl::StatusOr<std::string> details = internal::RequiredString(**pk, pk_path, "keyDetails", kMaxShortStringBytes);
  if (!details.ok()) return details.status();
  std::optional<std::string_view> want = ExpectedKeyType(*details);
  if (!want.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Join(pk_path, "keyDetails"), ": \"", *details, "\" is not a supported key type"));
  }
  absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> key = PublicKeyFromDer(*der);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(Join(pk_path, "rawBytes"), ": ", key.status().message()));
  std::string type = (*key)->Description();
  if (!type.starts_with(*want) || (want->back() != '-' && type != *want)) {
    return absl::InvalidArgumentError(
        absl::StrCat(pk_path, ": key is ", type, " but keyDetails says ", *details));
  }
  absl::StatusOr<ValidityPeriod> valid = ParseValidity(**pk, pk_path);
  if (!valid.ok()) return valid.status();
  absl::StatusOr<const nlohmann::json*> id = internal::RequiredObject(entry, path, "logId");
  if (!id.ok()) return id.status();
  // logId is taken as given: SHA-256 of the DER key for Rekor v1 and CT
  // logs, but the signed-note key id for Rekor v2's Ed25519 logs.
  absl::StatusOr<std::string> key_id = internal::RequiredBytes(**id, Join(path, "logId"), "keyId", 64);
  if (!key_id.ok()) return key_id.status();
  log.key_details = *details;
  log.log_id = *key_id;
  log.public_key_der = *std::move(der);
  log.key = *std::move(key);
  log.ed25519 = type == "ed25519";
  log.valid_for = *valid;
  return log;
}

absl::StatusOr<CertificateAuthority> ParseAuthority(const nlohmann::json& entry, const std::string& path) {
  CertificateAuthority ca;
  absl::StatusOr<const nlohmann::json*> subject = internal::OptionalObject(entry, path, "subject");
  if (!subject.ok()) return subject.status();
  if (*subject != nullptr) {
    std::string where = Join(path, "subject");
    auto org = internal::OptionalString(**subject, where, "organization", kMaxShortStringBytes);
    if (!org.ok()) return org.status();
    auto cn = internal::OptionalString(**subject, where, "commonName", kMaxShortStringBytes);
    if (!cn.ok()) return cn.status();
    ca.organization = org->value_or("");
    ca.common_name = cn->value_or("");
  }
  auto uri = internal::OptionalString(entry, path, "uri", kMaxShortStringBytes);
  if (!uri.ok()) return uri.status();
  ca.uri = uri->value_or("");
  absl::StatusOr<const nlohmann::json*> chain = internal::RequiredObject(entry, path, "certChain");
  if (!chain.ok()) return chain.status();
  std::string chain_path = Join(path, "certChain");
  absl::StatusOr<const nlohmann::json*> certs =
      internal::OptionalArray(**chain, chain_path, "certificates", kMaxChainCertificates);
  if (!certs.ok()) return certs.status();
  if ((*certs)->empty()) return absl::InvalidArgumentError(absl::StrCat(chain_path, "/certificates: empty"));
  std::string certs_path = Join(chain_path, "certificates");
  for (size_t i = 0; i < (*certs)->size(); ++i) {
    std::string where = Join(certs_path, i);
    absl::StatusOr<std::string> der =
        internal::RequiredBytes((**certs)[i], where, "rawBytes", kMaxCertificateBytes);
    if (!der.ok()) return der.status();
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
    ERR_clear_error();
    if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "/rawBytes: not a DER X.509 certificate"));
    }
    ca.certificates_der.push_back(*std::move(der));
    ca.certificates.push_back(std::move(cert));
  }
  absl::StatusOr<ValidityPeriod> valid = ParseValidity(entry, path);
  if (!valid.ok()) return valid.status();
  ca.valid_for = *valid;
  return ca;
}

template <typename T, typename F>
absl::Status ParseList(const nlohmann::json& root, std::string_view key, F parse_one, std::vector<T>& out) {
  absl::StatusOr<const nlohmann::json*> list = internal::OptionalArray(root, "", key, kMaxTrustedRootEntries);
  if (!list.ok()) return list.status();
  std::string path = Join("", key);
  for (size_t i = 0; i < (*list)->size(); ++i) {
    absl::StatusOr<T> item = parse_one((**list)[i], Join(path, i));
    if (!item.ok()) return item.status();
    out.push_back(*std::move(item));
  }
  return absl::OkStatus();
}

absl::StatusOr<const TransparencyLog*> FindLog(const std::vector<TransparencyLog>& logs, std::string_view kind,
                                               std::string_view log_id, std::optional<Time> at) {
  bool known = false;
  for (const TransparencyLog& log : logs) {
    if (log.log_id != log_id) continue;
    known = true;
    if (!at.has_value() || log.valid_for.Contains(*at)) return &log;
  }
  if (!known) {
    return absl::NotFoundError(absl::StrCat("no ", std::string(kind), " with log id ", HexEncode(log_id), " in the trusted root"));
  }
  return absl::NotFoundError(absl::StrCat("the key of ", std::string(kind), " ", HexEncode(log_id), " was not valid at ",
                                          internal::FormatRfc3339(*at), " per the trusted root"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> PublicKeyFromDer(std::string_view spki_der) {
  return crypto::PublicKey::FromPem(DerToPem(spki_der));
}

bool ValidityPeriod::Contains(Time t) const {
  if (start.has_value() && t < *start) return false;
  if (end.has_value() && t > *end) return false;
  return true;
}

std::string TransparencyLog::HostName() const {
  std::string_view url = base_url;
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  // Drop userinfo and port; the note name is the bare host.
  if (size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (size_t colon = url.rfind(':'); colon != std::string_view::npos && url.find(']') == std::string_view::npos) {
    url = url.substr(0, colon);
  }
  return std::string(url);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const TrustedRoot>> TrustedRoot::Parse(std::string_view text) {
  if (text.size() > kMaxTrustedRootBytes) {
    return absl::InvalidArgumentError(absl::StrCat("trusted root is ", text.size(), " bytes, over the limit of ",
                                                   kMaxTrustedRootBytes));
  }
  absl::StatusOr<nlohmann::json> doc = json::ParseStrictJson(text, kMaxJsonDepth);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return absl::InvalidArgumentError("trusted root: want a JSON object");
  std::shared_ptr<TrustedRoot> root(new TrustedRoot());
  absl::StatusOr<std::string> media = internal::RequiredString(*doc, "", "mediaType", kMaxShortStringBytes);
  if (!media.ok()) return media.status();
  bool known = false;
  for (std::string_view m : kMediaTypes) known = known || m == *media;
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat("/mediaType: \"", *media, "\" is not a supported trusted root"));
  }
  root->media_type_ = *media;
  if (absl::Status s = ParseList(*doc, "tlogs", ParseLog, root->tlogs_); !s.ok()) return s;
  if (absl::Status s = ParseList(*doc, "ctlogs", ParseLog, root->ctlogs_); !s.ok()) return s;
  if (absl::Status s = ParseList(*doc, "certificateAuthorities", ParseAuthority, root->cas_); !s.ok()) return s;
  if (absl::Status s = ParseList(*doc, "timestampAuthorities", ParseAuthority, root->tsas_); !s.ok()) return s;
  return std::shared_ptr<const TrustedRoot>(std::move(root));
}

absl::StatusOr<const TransparencyLog*> TrustedRoot::FindTlog(std::string_view log_id, std::optional<Time> at) const {
  return FindLog(tlogs_, "transparency log", log_id, at);
}

absl::StatusOr<const TransparencyLog*> TrustedRoot::FindCtlog(std::string_view log_id,
                                                              std::optional<Time> at) const {
  return FindLog(ctlogs_, "CT log", log_id, at);
}

}  // namespace pullsentry::sigstore
