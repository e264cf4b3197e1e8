#include "verify/registry/token_cache.h"

#include <iterator>
#include <utility>

#include "verify/crypto/digest.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"

namespace pullsentry::registry {

std::string TokenCacheKey(std::string_view registry, std::string_view scope, const Credentials* credentials) {
  std::string identity = "anonymous";
  if (credentials != nullptr && !credentials->empty()) {
    // NUL separators: no two different credential sets hash alike by shifting bytes.
    identity = crypto::Sha256Digest(internal::Cat(credentials->username, std::string_view("\0", 1),
                                                 credentials->password, std::string_view("\0", 1),
                                                 credentials->identity_token, std::string_view("\0", 1),
                                                 credentials->registry_token));
  }
  return internal::Cat(registry, "\n", scope, "\n", identity);
}

std::optional<std::string> TokenCache::Get(const std::string& key, TimePoint now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expiry <= now) return std::nullopt;
  return it->second.token;
}

void TokenCache::Put(const std::string& key, std::string token, TimePoint expiry, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= kMaxCachedTokens && !entries_.contains(key)) {
    std::erase_if(entries_, [now](const auto& item) { return item.second.expiry <= now; });
    if (entries_.size() >= kMaxCachedTokens) entries_.clear();
  }
  entries_.insert_or_assign(key, Entry{std::move(token), expiry});
}

void TokenCache::Erase(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

}  // namespace pullsentry::registry
