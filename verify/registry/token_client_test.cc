#include "verify/registry/token_client.h"

#include <gtest/gtest.h>

#include <string>

#include "verify/crypto/digest.h"
#include "verify/registry/registry_limits.h"

namespace pullsentry::registry {
namespace {

Challenge Bearer(const std::string& realm, const std::string& service = "svc") {
  Challenge c;
  c.scheme = "bearer";
  c.params["realm"] = realm;
  if (!service.empty()) c.params["service"] = service;
  return c;
}

std::string HeaderValue(const HttpRequest& request, const std::string& name) {
  for (const auto& [n, v] : request.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(TokenResponse, ReadsTokenAndLifetime) {
  auto token = ParseTokenResponse(R"({"token":"abc","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token, "abc");
  EXPECT_EQ(token->lifetime, std::chrono::seconds(300));
}

TEST(TokenResponse, FallsBackToAccessTokenAndDefaultLifetime) {
  auto token = ParseTokenResponse(R"({"access_token":"xyz"})");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token, "xyz");
  EXPECT_EQ(token->lifetime, kDefaultTokenLifetime);
}

TEST(TokenResponse, CapsLifetime) {
  auto token = ParseTokenResponse(R"({"token":"a","expires_in":1e300})");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->lifetime, kMaxTokenLifetime);
}

TEST(TokenResponse, RejectsMalformedAnswers) {
  for (const char* body : {"", "not json", "[]", "{}", R"({"token":""})", R"({"token":5})",
                           "{\"token\":\"a\\r\\nX-Injected: 1\"}"}) {
    EXPECT_FALSE(ParseTokenResponse(body).ok()) << body;
  }
  EXPECT_FALSE(ParseTokenResponse(R"({"token":")" + std::string(kMaxTokenResponseBytes, 'a') + "\"}").ok());
}

TEST(TokenRequest, AnonymousGetCarriesScopeAndService) {
  auto request = BuildTokenRequest(Bearer("https://auth.example/token"), "repository:a/b:pull", nullptr, false, {});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "https://auth.example/token?scope=repository%3Aa%2Fb%3Apull&service=svc");
  EXPECT_EQ(HeaderValue(*request, "Authorization"), "");
}

TEST(TokenRequest, AppendsToExistingQuery) {
  auto request = BuildTokenRequest(Bearer("https://auth.example/token?x=1", ""), "s", nullptr, false, {});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->url, "https://auth.example/token?x=1&scope=s");
}

TEST(TokenRequest, UsesBasicAuthWithPassword) {
  Credentials creds{"alice", "pw", "", ""};
  auto request = BuildTokenRequest(Bearer("https://auth.example/token"), "s", &creds, false, {});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(HeaderValue(*request, "Authorization"), "Basic " + crypto::Base64Encode("alice:pw"));
}

TEST(TokenRequest, PostsRefreshTokenGrantWithIdentityToken) {
  Credentials creds{"", "", "refresh&me", ""};
  auto request = BuildTokenRequest(Bearer("https://auth.example/token"), "repository:a:pull", &creds, false, {});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "https://auth.example/token");
  EXPECT_EQ(request->body,
            "grant_type=refresh_token&service=svc&scope=repository%3Aa%3Apull&client_id=pullsentry"
            "&refresh_token=refresh%26me");
}

TEST(TokenRequest, RefusesPlainHttpRealmUnlessAllowed) {
  EXPECT_FALSE(BuildTokenRequest(Bearer("http://auth.example/token"), "s", nullptr, false, {}).ok());
  EXPECT_TRUE(BuildTokenRequest(Bearer("http://auth.example/token"), "s", nullptr, true, {}).ok());
  EXPECT_FALSE(BuildTokenRequest(Bearer("file:///etc/passwd"), "s", nullptr, true, {}).ok());
  EXPECT_FALSE(BuildTokenRequest(Bearer(""), "s", nullptr, true, {}).ok());
}

}  // namespace
}  // namespace pullsentry::registry
