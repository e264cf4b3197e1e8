#include "verify/registry/www_authenticate.h"

#include <gtest/gtest.h>

#include <string>

#include "verify/registry/registry_limits.h"

namespace pullsentry::registry {
namespace {

TEST(WwwAuthenticate, ParsesDockerHubBearerChallenge) {
  auto challenges = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  ASSERT_EQ(challenges->size(), 1u);
  const Challenge& c = (*challenges)[0];
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c.Param("service"), "registry.docker.io");
  EXPECT_EQ(c.Param("scope"), "repository:library/nginx:pull");
  EXPECT_EQ(c.Param("error"), "");
}

TEST(WwwAuthenticate, ParsesBasicChallenge) {
  auto challenges = ParseWwwAuthenticate(R"(Basic realm="Registry Realm")");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].scheme, "basic");
  EXPECT_EQ((*challenges)[0].Param("realm"), "Registry Realm");
}

TEST(WwwAuthenticate, SchemeAndParamNamesAreCaseInsensitive) {
  auto challenges = ParseWwwAuthenticate(R"(BEARER Realm="r", SERVICE=svc)");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  EXPECT_EQ((*challenges)[0].scheme, "bearer");
  EXPECT_EQ((*challenges)[0].Param("realm"), "r");
  EXPECT_EQ((*challenges)[0].Param("service"), "svc");
}

TEST(WwwAuthenticate, UnescapesQuotedPairs) {
  auto challenges = ParseWwwAuthenticate(R"(Bearer realm="a\"b\\c\,d")");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  EXPECT_EQ((*challenges)[0].Param("realm"), R"(a"b\c,d)");
}

TEST(WwwAuthenticate, CommasInsideQuotesDoNotSplit) {
  auto challenges = ParseWwwAuthenticate(R"(Bearer scope="repository:a:pull,push", realm="x")");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  EXPECT_EQ((*challenges)[0].Param("scope"), "repository:a:pull,push");
  EXPECT_EQ((*challenges)[0].Param("realm"), "x");
}

TEST(WwwAuthenticate, ParsesSeveralChallengesInOneHeader) {
  auto challenges = ParseWwwAuthenticate(R"(Negotiate abc==, Basic realm="b" , Bearer realm="t",service="s")");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  ASSERT_EQ(challenges->size(), 3u);
  EXPECT_EQ((*challenges)[0].scheme, "negotiate");
  EXPECT_EQ((*challenges)[0].token68, "abc==");
  EXPECT_EQ((*challenges)[1].scheme, "basic");
  EXPECT_EQ((*challenges)[1].Param("realm"), "b");
  EXPECT_EQ((*challenges)[2].scheme, "bearer");
  EXPECT_EQ((*challenges)[2].Param("service"), "s");
}

TEST(WwwAuthenticate, AcceptsSchemeWithoutParams) {
  auto challenges = ParseWwwAuthenticate("Bearer");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  EXPECT_EQ((*challenges)[0].scheme, "bearer");
  EXPECT_TRUE((*challenges)[0].params.empty());
}

TEST(WwwAuthenticate, ToleratesEmptyListElementsAndSpaceAroundEquals) {
  auto challenges = ParseWwwAuthenticate(R"( , Bearer realm = "r" ,, service="s",)");
  ASSERT_TRUE(challenges.ok()) << challenges.status();
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].Param("realm"), "r");
  EXPECT_EQ((*challenges)[0].Param("service"), "s");
}

TEST(WwwAuthenticate, RejectsUnterminatedQuote) {
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm="https://x)").ok());
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm="x\)").ok());
}

TEST(WwwAuthenticate, RejectsControlCharactersInQuotes) {
  EXPECT_FALSE(ParseWwwAuthenticate(std::string("Bearer realm=\"a\nb\"")).ok());
  EXPECT_FALSE(ParseWwwAuthenticate(std::string("Bearer realm=\"a\0b\"", 18)).ok());
}

TEST(WwwAuthenticate, RejectsRepeatedParameter) {
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm="a",realm="b")").ok());
}

TEST(WwwAuthenticate, RejectsGarbage) {
  EXPECT_FALSE(ParseWwwAuthenticate("").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("   ").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("=").ok());
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm=,service=x)").ok());
  EXPECT_FALSE(ParseWwwAuthenticate(R"(Bearer realm="a" service="b")").ok());
  EXPECT_FALSE(ParseWwwAuthenticate(R"("Bearer" realm="a")").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("Bearer, realm=\"a\"").ok());
}

TEST(WwwAuthenticate, RejectsOversizeHeaderWithoutQuotingIt) {
  std::string header = "Bearer realm=\"" + std::string(kMaxChallengeBytes, 'a') + "\"";
  auto challenges = ParseWwwAuthenticate(header);
  ASSERT_FALSE(challenges.ok());
  EXPECT_EQ(challenges.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(challenges.status().message().size(), 200u);
}

TEST(WwwAuthenticate, BoundsParamsAndChallenges) {
  std::string many_params = "Bearer ";
  for (size_t i = 0; i <= kMaxChallengeParams; ++i) many_params += "p" + std::to_string(i) + "=v,";
  EXPECT_FALSE(ParseWwwAuthenticate(many_params).ok());

  std::string many_challenges;
  for (size_t i = 0; i <= kMaxChallenges; ++i) many_challenges += "Basic realm=\"r\", ";
  EXPECT_FALSE(ParseWwwAuthenticate(many_challenges).ok());
}

}  // namespace
}  // namespace pullsentry::registry
