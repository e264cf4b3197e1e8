// Bearer tokens the client already holds, so every pull does not cost a
// round trip to the token endpoint.
#ifndef PULLSENTRY_VERIFY_REGISTRY_TOKEN_CACHE_H_
#define PULLSENTRY_VERIFY_REGISTRY_TOKEN_CACHE_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "verify/registry/registry_client.h"

namespace pullsentry::registry {

// The cache key: registry, scope, and a hash of the credentials that obtained
// the token. The hash keeps one pull's private-repo token from serving a pull
// with other (or no) credentials.
std::string TokenCacheKey(std::string_view registry, std::string_view scope, const Credentials* credentials);

// Thread-safe. Time is passed in, so the cache never reads a clock.
class TokenCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // The token under `key` if it is still valid at `now`.
  std::optional<std::string> Get(const std::string& key, TimePoint now) const;
  // Stores `token` until `expiry`. Beyond kMaxCachedTokens entries, expired
  // ones are dropped first, then everything.
  void Put(const std::string& key, std::string token, TimePoint expiry, TimePoint now);
  // Forgets `key` (the registry refused the token).
  void Erase(const std::string& key);

 private:
  struct Entry {
    std::string token;
    TimePoint expiry;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_TOKEN_CACHE_H_
