// Every bound the registry client puts on what a registry (or anything
// pretending to be one) can make it read, parse or retry. One place, so a
// review of the DoS surface starts here.
#ifndef PULLSENTRY_VERIFY_REGISTRY_REGISTRY_LIMITS_H_
#define PULLSENTRY_VERIFY_REGISTRY_REGISTRY_LIMITS_H_

#include <chrono>
#include <cstddef>

namespace pullsentry::registry {

// A WWW-Authenticate header value longer than this is refused unparsed.
inline constexpr size_t kMaxChallengeBytes = 4 << 10;
// Challenges per header and parameters per challenge.
inline constexpr size_t kMaxChallenges = 8;
inline constexpr size_t kMaxChallengeParams = 16;
// The node credentials file is read up to this size; a larger one is an error.
inline constexpr size_t kMaxAuthFileBytes = 1 << 20;
// A token endpoint answer (JSON with the token) is at most this big.
inline constexpr size_t kMaxTokenResponseBytes = 64 << 10;
// Bodies of responses we only inspect for status (401, 403, redirects, …).
inline constexpr size_t kMaxErrorBodyBytes = 64 << 10;
// All response headers of one response together.
inline constexpr size_t kMaxResponseHeaderBytes = 64 << 10;
// Requests per operation: first try, retry with a fresh token after a stale
// cached one was refused, retry after a new challenge. No 401 loops beyond.
inline constexpr int kMaxAuthAttempts = 3;
// Cached bearer tokens; beyond this the cache is emptied of expired entries
// and, if still full, cleared (tokens are cheap to fetch again).
inline constexpr size_t kMaxCachedTokens = 1024;
// Lifetime of a token whose endpoint names none (distribution token spec: 60 s),
// and the longest lifetime we believe.
inline constexpr std::chrono::seconds kDefaultTokenLifetime{60};
inline constexpr std::chrono::seconds kMaxTokenLifetime{24 * 3600};

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_REGISTRY_LIMITS_H_
