// The verdict cache's daemon flags.
#include <gtest/gtest.h>

#include "plugin/daemon_options.h"

namespace pullsentry::plugin {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(CacheOptions, DefaultsBoundTheCache) {
  auto options = ParseDaemonOptions({});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->cache_max_entries, 10'000u);
  EXPECT_EQ(options->cache_ttl, hours(24));
  EXPECT_EQ(options->cache_refused_ttl, minutes(5));
}

TEST(CacheOptions, DurationsTakeSecondsMinutesOrHours) {
  auto options = ParseDaemonOptions({"--cache-ttl", "90m", "--cache-refused-ttl=30s", "--cache-max-entries", "0"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->cache_ttl, minutes(90));
  EXPECT_EQ(options->cache_refused_ttl, seconds(30));
  EXPECT_EQ(options->cache_max_entries, 0u);
  options = ParseDaemonOptions({"--cache-ttl", "3600", "--cache-refused-ttl", "0"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->cache_ttl, hours(1));
  EXPECT_EQ(options->cache_refused_ttl, seconds(0));
}

TEST(CacheOptions, NonsenseIsRefusedNamingTheFlag) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--cache-ttl", "0"},            // an admission cached for no time: use --cache-max-entries 0
           {"--cache-ttl", "31d"},          // unknown unit
           {"--cache-ttl", "721h"},         // over 30 days
           {"--cache-refused-ttl", "-1s"},  // negative
           {"--cache-refused-ttl", "m"},    // no number
           {"--cache-max-entries", "1000001"},
           {"--cache-max-entries", "ten"},
           {"--cache-max-entries", ""}}) {
    auto options = ParseDaemonOptions(args);
    ASSERT_FALSE(options.ok()) << args[0] << " " << args[1];
    EXPECT_NE(options.status().message().find(args[0]), std::string::npos) << options.status();
  }
}

}  // namespace
}  // namespace pullsentry::plugin
