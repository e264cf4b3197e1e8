#include "verify/notation/jws_envelope.h"

#include "verify/notation/str.h"
#include "verify/crypto/digest.h"
#include "verify/json/strict_json.h"
#include "verify/notation/header_rules.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/signature_algorithm.h"

namespace pullsentry::notation {
namespace {

using nlohmann::json;

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

absl::StatusOr<std::string> MemberString(const json& obj, std::string_view key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end()) return absl::InvalidArgumentError(internal::Cat(where, " has no ", key));
  if (!it->is_string()) return absl::InvalidArgumentError(internal::Cat(where, " ", key, " is not a string"));
  return it->get<std::string>();
}

absl::StatusOr<std::string> ShortString(const json& value, std::string_view name) {
  if (!value.is_string()) return absl::InvalidArgumentError(internal::Cat("header ", name, " is not a string"));
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > kMaxHeaderStringBytes) return absl::InvalidArgumentError(internal::Cat("header ", name, " is too long"));
  return s;
}

absl::StatusOr<int64_t> Time(const json& value, std::string_view name) {
  auto text = ShortString(value, name);
  if (!text.ok()) return text.status();
  auto t = internal::ParseRfc3339(*text);
  if (!t) return absl::InvalidArgumentError(internal::Cat("header ", name, " is not an RFC 3339 time"));
  return *t;
}

absl::Status ParseProtected(std::string_view encoded, internal::ProtectedHeader* h) {
  auto decoded = Base64UrlDecodeStrict(encoded);
  if (!decoded) return absl::InvalidArgumentError("protected is not unpadded base64url");
  if (decoded->size() > kMaxProtectedHeaderBytes) return absl::InvalidArgumentError("the protected header is too large");
  auto doc = pullsentry::json::ParseStrictJson(*decoded, kMaxJwsDepth);
  if (!doc.ok()) return absl::InvalidArgumentError(internal::Cat("protected header: ", doc.status().message()));
  if (!doc->is_object()) return absl::InvalidArgumentError("the protected header is not a JSON object");
  if (doc->size() > kMaxHeaderEntries) return absl::InvalidArgumentError("the protected header has too many entries");
  for (const auto& [key, value] : doc->items()) {
    if (key == "alg") {
      auto name = ShortString(value, key);
      if (!name.ok()) return name.status();
      h->algorithm = SignatureAlgorithmFromJws(*name);
      if (!h->algorithm) return absl::InvalidArgumentError(internal::Cat("alg \"", *name, "\" is not allowed"));
    } else if (key == "cty") {
      auto cty = ShortString(value, key);
      if (!cty.ok()) return cty.status();
      h->content_type = *cty;
    } else if (key == "crit") {
      if (!value.is_array()) return absl::InvalidArgumentError("crit is not an array");
      if (value.size() > kMaxCriticalEntries) return absl::InvalidArgumentError("crit has too many entries");
      std::vector<std::string> names;
      for (const auto& name : value) {
        auto s = ShortString(name, "crit entry");
        if (!s.ok()) return s.status();
        names.push_back(*s);
      }
      h->critical = std::move(names);
    } else if (key == kHeaderSigningScheme) {
      auto s = ShortString(value, key);
      if (!s.ok()) return s.status();
      h->signing_scheme = *s;
    } else if (key == kHeaderSigningTime || key == kHeaderAuthenticSigningTime || key == kHeaderExpiry) {
      auto t = Time(value, key);
      if (!t.ok()) return t.status();
      (key == kHeaderSigningTime ? h->signing_time : key == kHeaderExpiry ? h->expiry : h->authentic_signing_time) = *t;
    } else if (key == kHeaderVerificationPlugin || key == kHeaderVerificationPluginMinVersion) {
      auto s = ShortString(value, key);
      if (!s.ok()) return s.status();
      (key == kHeaderVerificationPlugin ? h->verification_plugin : h->verification_plugin_min_version) = *s;
    }
    // Everything but alg, cty and crit (JWS's own names) is an extended
    // header that crit may name; unknown ones are ignored unless critical.
    if (key != "alg" && key != "cty" && key != "crit") h->extended_present.insert(key);
  }
  return absl::OkStatus();
}

absl::Status ParseUnprotected(const json& header, Envelope* out) {
  if (!header.is_object()) return absl::InvalidArgumentError("header is not a JSON object");
  if (header.size() > kMaxHeaderEntries) return absl::InvalidArgumentError("header has too many entries");
  auto x5c = header.find("x5c");
  if (x5c == header.end()) return absl::InvalidArgumentError("header has no x5c certificate chain");
  if (!x5c->is_array() || x5c->empty()) return absl::InvalidArgumentError("x5c is not a non-empty array");
  if (x5c->size() > kMaxChainLength) {
    return absl::InvalidArgumentError(internal::Cat("x5c has more than ", kMaxChainLength, " certificates"));
  }
  for (const auto& cert : *x5c) {
    // RFC 7515 §4.1.6: x5c entries are standard base64 DER, not base64url.
    if (!cert.is_string() || cert.get_ref<const std::string&>().size() > kMaxCertificateBytes * 4 / 3 + 4) {
      return absl::InvalidArgumentError("an x5c entry is not a string of bounded size");
    }
    auto der = crypto::Base64Decode(cert.get<std::string>());
    if (!der || der->empty()) return absl::InvalidArgumentError("an x5c entry is not base64");
    out->certificate_chain.push_back(*std::move(der));
  }
  if (auto agent = header.find(kHeaderSigningAgent); agent != header.end()) {
    auto s = ShortString(*agent, kHeaderSigningAgent);
    if (!s.ok()) return s.status();
    out->signing_agent = *s;
  }
  if (auto ts = header.find(kHeaderTimestampSignature); ts != header.end()) {
    if (!ts->is_string() || ts->get_ref<const std::string&>().size() > kMaxTimestampBytes * 4 / 3 + 4) {
      return absl::InvalidArgumentError("timestampSignature is not a string of bounded size");
    }
    auto der = crypto::Base64Decode(ts->get<std::string>());
    if (!der || der->empty()) return absl::InvalidArgumentError("timestampSignature is not base64");
    out->timestamp_signature = *std::move(der);
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string> Base64UrlDecodeStrict(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two encodings would decode alike.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

absl::StatusOr<Envelope> ParseJwsEnvelope(std::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(internal::Cat("the JWS envelope is larger than ", kMaxEnvelopeBytes, " bytes"));
  }
  auto doc = pullsentry::json::ParseStrictJson(bytes, kMaxJwsDepth);
  if (!doc.ok()) return absl::InvalidArgumentError(internal::Cat("JWS envelope: ", doc.status().message()));
  if (!doc->is_object()) return absl::InvalidArgumentError("the JWS envelope is not a JSON object");
  for (const auto& [key, value] : doc->items()) {
    if (key != "payload" && key != "protected" && key != "header" && key != "signature") {
      return absl::InvalidArgumentError(internal::Cat("the JWS envelope has an unexpected member \"", key, "\""));
    }
  }
  auto payload = MemberString(*doc, "payload", "the JWS envelope");
  if (!payload.ok()) return payload.status();
  auto protected_b64 = MemberString(*doc, "protected", "the JWS envelope");
  if (!protected_b64.ok()) return protected_b64.status();
  auto signature = MemberString(*doc, "signature", "the JWS envelope");
  if (!signature.ok()) return signature.status();
  auto header = doc->find("header");
  if (header == doc->end()) return absl::InvalidArgumentError("the JWS envelope has no header");

  Envelope env;
  env.media_type = std::string(kJwsMediaType);
  internal::ProtectedHeader h;
  if (auto st = ParseProtected(*protected_b64, &h); !st.ok()) return st;
  if (auto st = internal::FinishProtectedHeader(h, &env); !st.ok()) return st;
  if (auto st = ParseUnprotected(*header, &env); !st.ok()) return st;

  auto payload_bytes = Base64UrlDecodeStrict(*payload);
  if (!payload_bytes) return absl::InvalidArgumentError("payload is not unpadded base64url");
  auto signature_bytes = Base64UrlDecodeStrict(*signature);
  if (!signature_bytes || signature_bytes->empty()) {
    return absl::InvalidArgumentError("signature is not non-empty unpadded base64url");
  }
  env.payload = *std::move(payload_bytes);
  env.signature = *std::move(signature_bytes);
  // RFC 7515 §5.2: the signing input is the encoded strings as received.
  env.signed_bytes = internal::Cat(*protected_b64, ".", *payload);
  return env;
}

}  // namespace pullsentry::notation
