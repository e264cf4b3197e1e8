#ifndef PULLSENTRY_VERIFY_CRYPTO_DIGEST_H_
#define PULLSENTRY_VERIFY_CRYPTO_DIGEST_H_

#include <optional>
#include <string>
#include <string_view>

namespace pullsentry::crypto {

// "sha256:<lowercase hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// True when `data` hashes to `digest` ("sha256:…" or "sha512:…").
// False for any other algorithm.
bool MatchesDigest(std::string_view data, std::string_view digest);

// Standard base64 (RFC 4648 §4), padding required; nullopt on any bad input.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64Encode(std::string_view data);

}  // namespace pullsentry::crypto

#endif  // PULLSENTRY_VERIFY_CRYPTO_DIGEST_H_
