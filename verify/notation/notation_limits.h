// Bounds on every untrusted input read by verify/notation, in one place so a
// reviewer sees the whole attack surface at once.
#ifndef PULLSENTRY_VERIFY_NOTATION_NOTATION_LIMITS_H_
#define PULLSENTRY_VERIFY_NOTATION_NOTATION_LIMITS_H_

#include <cstddef>

namespace pullsentry::notation {

// A whole envelope (JWS or COSE). notation signs a descriptor, so real
// envelopes are a few KiB plus the certificate chain.
inline constexpr size_t kMaxEnvelopeBytes = 1u << 20;
// The signed payload ({"targetArtifact": <descriptor>}).
inline constexpr size_t kMaxPayloadBytes = 64u << 10;
inline constexpr size_t kMaxPayloadDepth = 8;
inline constexpr size_t kMaxPayloadAnnotations = 256;
// JWS JSON: a valid envelope nests 3 deep (envelope → header → x5c).
inline constexpr size_t kMaxJwsDepth = 8;
// Protected header, decoded (both envelope kinds).
inline constexpr size_t kMaxProtectedHeaderBytes = 16u << 10;
// Header parameters in one header bucket, and names in crit.
inline constexpr size_t kMaxHeaderEntries = 64;
inline constexpr size_t kMaxCriticalEntries = 32;
// Certificates in x5c/x5chain and the size of one certificate.
inline constexpr size_t kMaxChainLength = 10;
inline constexpr size_t kMaxCertificateBytes = 64u << 10;
// CBOR: nesting of arrays/maps/tags, and items in one array or map.
inline constexpr size_t kMaxCborDepth = 8;
inline constexpr size_t kMaxCborContainerItems = 256;
// Short text values (alg names, scheme, agent, plugin names, times).
inline constexpr size_t kMaxHeaderStringBytes = 1024;
// An RFC 3161 timestamp token carried (not yet verified) in the envelope.
inline constexpr size_t kMaxTimestampBytes = 64u << 10;
// Distinguished names: length and RDN count.
inline constexpr size_t kMaxDnBytes = 4096;
inline constexpr size_t kMaxDnAttributes = 64;

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_NOTATION_LIMITS_H_
