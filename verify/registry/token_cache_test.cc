#include "verify/registry/token_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "verify/registry/registry_limits.h"

namespace pullsentry::registry {
namespace {

using std::chrono::seconds;
const TokenCache::TimePoint kT0{seconds(1000)};

TEST(TokenCache, ReturnsTokenUntilExpiry) {
  TokenCache cache;
  cache.Put("k", "tok", kT0 + seconds(60), kT0);
  EXPECT_EQ(cache.Get("k", kT0 + seconds(59)), "tok");
  EXPECT_EQ(cache.Get("k", kT0 + seconds(60)), std::nullopt);
  EXPECT_EQ(cache.Get("other", kT0), std::nullopt);
}

TEST(TokenCache, EraseForgets) {
  TokenCache cache;
  cache.Put("k", "tok", kT0 + seconds(60), kT0);
  cache.Erase("k");
  EXPECT_EQ(cache.Get("k", kT0), std::nullopt);
}

TEST(TokenCache, KeySeparatesCredentials) {
  Credentials alice{"alice", "pw", "", ""};
  Credentials bob{"bob", "pw", "", ""};
  const std::string anonymous = TokenCacheKey("r", "repository:a:pull", nullptr);
  EXPECT_NE(TokenCacheKey("r", "repository:a:pull", &alice), anonymous);
  EXPECT_NE(TokenCacheKey("r", "repository:a:pull", &alice), TokenCacheKey("r", "repository:a:pull", &bob));
  EXPECT_NE(TokenCacheKey("r", "repository:a:pull", &alice), TokenCacheKey("r", "repository:b:pull", &alice));
  // The key never holds the password itself.
  EXPECT_EQ(TokenCacheKey("r", "s", &alice).find("pw"), std::string::npos);
}

TEST(TokenCache, StaysBoundedAndThreadSafe) {
  TokenCache cache;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (size_t i = 0; i < kMaxCachedTokens; ++i) {
        const std::string key = std::to_string(t) + "/" + std::to_string(i);
        cache.Put(key, "tok", kT0 + seconds(60), kT0);
        (void)cache.Get(key, kT0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  cache.Put("last", "tok", kT0 + seconds(60), kT0);
  EXPECT_EQ(cache.Get("last", kT0), "tok");
}

}  // namespace
}  // namespace pullsentry::registry
