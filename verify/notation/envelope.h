// What both Notation envelope formats (JWS and COSE_Sign1) carry, once
// parsed: the spec's "signer info". Spec: notaryproject/specifications
// specs/signature-specification.md, "Signature Envelope" and "Signed
// Attributes" / "Unsigned Attributes".
//
// A parsed Envelope is well-formed, not trusted: nothing in it has been
// verified. The parsers guarantee: the algorithm is one Notation allows, the
// content type is the Notation payload, the signing scheme is known with the
// time it requires, every critical header is understood and present, and
// every header the spec requires to be critical is listed as such.
#ifndef PULLSENTRY_VERIFY_NOTATION_ENVELOPE_H_
#define PULLSENTRY_VERIFY_NOTATION_ENVELOPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pullsentry::notation {

inline constexpr std::string_view kJwsMediaType = "application/jose+json";
inline constexpr std::string_view kCoseMediaType = "application/cose";

// Spec "Algorithm Selection": RSASSA-PSS and ECDSA with the hash tied to the
// key size.
enum class SignatureAlgorithm { kPs256, kPs384, kPs512, kEs256, kEs384, kEs512 };
std::string_view SignatureAlgorithmName(SignatureAlgorithm alg);  // "PS256", …

enum class SigningScheme { kX509, kX509SigningAuthority };
std::string_view SigningSchemeName(SigningScheme scheme);  // "notary.x509", …

// Extended header names (JWS names; COSE uses the same strings as labels).
inline constexpr std::string_view kHeaderSigningScheme = "io.cncf.notary.signingScheme";
inline constexpr std::string_view kHeaderSigningTime = "io.cncf.notary.signingTime";
inline constexpr std::string_view kHeaderAuthenticSigningTime = "io.cncf.notary.authenticSigningTime";
inline constexpr std::string_view kHeaderExpiry = "io.cncf.notary.expiry";
inline constexpr std::string_view kHeaderVerificationPlugin = "io.cncf.notary.verificationPlugin";
inline constexpr std::string_view kHeaderVerificationPluginMinVersion = "io.cncf.notary.verificationPluginMinVersion";
inline constexpr std::string_view kHeaderSigningAgent = "io.cncf.notary.signingAgent";
inline constexpr std::string_view kHeaderTimestampSignature = "io.cncf.notary.timestampSignature";

struct Envelope {
  std::string media_type;  // kJwsMediaType or kCoseMediaType
  SignatureAlgorithm algorithm = SignatureAlgorithm::kPs256;
  SigningScheme signing_scheme = SigningScheme::kX509;
  // Seconds since the epoch. signing_time is the signer's claim (notary.x509
  // requires it); authentic_signing_time is the signing authority's
  // (notary.x509.signingAuthority requires it).
  std::optional<int64_t> signing_time;
  std::optional<int64_t> authentic_signing_time;
  std::optional<int64_t> expiry;
  // A verification plugin the signer requires. pullsentry runs no plugins, so
  // verification refuses such a signature (VerifySignature says why).
  std::optional<std::string> verification_plugin;
  std::optional<std::string> verification_plugin_min_version;
  std::vector<std::string> critical;  // as listed (JWS names; COSE labels as text)

  std::vector<std::string> certificate_chain;  // DER, leaf first
  std::string signing_agent;                   // unsigned, informational
  std::string timestamp_signature;             // DER RFC 3161 token, unsigned; empty if absent

  std::string payload;       // the signed payload bytes
  std::string signed_bytes;  // exactly the bytes the signature covers
  std::string signature;     // raw: RSASSA-PSS bytes, or ECDSA r||s
};

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_ENVELOPE_H_
