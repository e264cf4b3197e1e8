// Every bound the Sigstore parsers put on untrusted bytes, in one place so a
// reviewer can see them together. Generous for real bundles and roots (a
// public-good bundle is ~5 KiB, the public-good trusted root ~10 KiB), small
// enough that a hostile input cannot make a node allocate or hash much.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_SIGSTORE_LIMITS_H_
#define PULLSENTRY_VERIFY_SIGSTORE_SIGSTORE_LIMITS_H_

#include <cstddef>

namespace pullsentry::sigstore {

// Documents as a whole.
inline constexpr size_t kMaxTrustedRootBytes = 8u << 20;  // as trust/ bounds the file
inline constexpr size_t kMaxBundleBytes = 4u << 20;
inline constexpr size_t kMaxJsonDepth = 16;  // both formats nest 6 deep at most

// Trusted root.
inline constexpr size_t kMaxTrustedRootEntries = 64;  // per list: tlogs, CAs, ctlogs, TSAs
inline constexpr size_t kMaxCertificateBytes = 64u << 10;
inline constexpr size_t kMaxChainCertificates = 10;
inline constexpr size_t kMaxPublicKeyBytes = 16u << 10;

// Bundle.
inline constexpr size_t kMaxTlogEntries = 8;
inline constexpr size_t kMaxTimestamps = 8;
inline constexpr size_t kMaxTimestampBytes = 64u << 10;
inline constexpr size_t kMaxCanonicalizedBodyBytes = 1u << 20;
inline constexpr size_t kMaxSignatureBytes = 16u << 10;
inline constexpr size_t kMaxDssePayloadBytes = 2u << 20;
inline constexpr size_t kMaxShortStringBytes = 1024;  // names, types, hints, URLs

// Inclusion proofs: a tree of 2^63 leaves needs 63 hashes.
inline constexpr size_t kMaxProofHashes = 64;
inline constexpr size_t kMaxCheckpointBytes = 64u << 10;
inline constexpr size_t kMaxCheckpointLines = 64;
inline constexpr size_t kMaxCheckpointSignatures = 16;

// RFC 8785 canonicalisation input.
inline constexpr size_t kMaxCanonicalJsonDepth = 16;

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_SIGSTORE_LIMITS_H_
