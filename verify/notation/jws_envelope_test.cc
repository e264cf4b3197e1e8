#include "verify/notation/jws_envelope.h"

#include <nlohmann/json.hpp>

#include <string>

#include "gtest/gtest.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::ReadFixture;

std::string B64Url(const std::string& s) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : s) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

// The good fixture with its protected header replaced (signature unchanged:
// these tests are about parsing).
std::string WithProtected(const nlohmann::json& header) {
  auto doc = nlohmann::json::parse(ReadFixture("jws/good_es256.jws"));
  doc["protected"] = B64Url(header.dump());
  return doc.dump();
}

nlohmann::json GoodHeader() {
  auto doc = nlohmann::json::parse(ReadFixture("jws/good_es256.jws"));
  auto decoded = Base64UrlDecodeStrict(doc["protected"].get<std::string>());
  return nlohmann::json::parse(*decoded);
}

TEST(JwsEnvelopeTest, ParsesTheGoodFixture) {
  auto env = ParseJwsEnvelope(ReadFixture("jws/good_es256.jws"));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->algorithm, SignatureAlgorithm::kEs256);
  EXPECT_EQ(env->signing_scheme, SigningScheme::kX509);
  EXPECT_EQ(env->signing_time, 1748779200);
  EXPECT_EQ(env->certificate_chain.size(), 3u);
  EXPECT_EQ(env->signature.size(), 64u);  // raw r||s
  EXPECT_EQ(env->signing_agent, "make_notation_fixtures/1.0");
  EXPECT_NE(env->payload.find("targetArtifact"), std::string::npos);
  EXPECT_EQ(env->signed_bytes.find('.'), env->signed_bytes.find_last_of('.'));
}

TEST(JwsEnvelopeTest, Base64UrlIsStrict) {
  EXPECT_EQ(*Base64UrlDecodeStrict("YWJj"), "abc");
  EXPECT_EQ(*Base64UrlDecodeStrict("YWI"), "ab");
  EXPECT_EQ(*Base64UrlDecodeStrict(""), "");
  EXPECT_FALSE(Base64UrlDecodeStrict("YWI=").has_value());   // padding
  EXPECT_FALSE(Base64UrlDecodeStrict("YWJ").has_value());    // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecodeStrict("Y").has_value());      // 4n+1
  EXPECT_FALSE(Base64UrlDecodeStrict("YW+j").has_value());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecodeStrict("YW J").has_value());
  EXPECT_EQ(*Base64UrlDecodeStrict("-_8"), "\xfb\xff");
}

TEST(JwsEnvelopeTest, ProtectedHeaderRules) {
  auto h = GoodHeader();
  EXPECT_TRUE(ParseJwsEnvelope(WithProtected(h)).ok());
  struct {
    const char* what;
    nlohmann::json header;
  } cases[] = {
      {"no alg", [&] { auto x = h; x.erase("alg"); return x; }()},
      {"alg none", [&] { auto x = h; x["alg"] = "none"; return x; }()},
      {"alg number", [&] { auto x = h; x["alg"] = 7; return x; }()},
      {"no cty", [&] { auto x = h; x.erase("cty"); return x; }()},
      {"crit not array", [&] { auto x = h; x["crit"] = "io.cncf.notary.signingScheme"; return x; }()},
      {"crit empty", [&] { auto x = h; x["crit"] = nlohmann::json::array(); return x; }()},
      {"crit repeated", [&] { auto x = h; x["crit"].push_back("io.cncf.notary.signingScheme"); return x; }()},
      {"crit names alg", [&] { auto x = h; x["crit"].push_back("alg"); return x; }()},
      {"bad time", [&] { auto x = h; x["io.cncf.notary.signingTime"] = "2025-06-01 12:00:00"; return x; }()},
      {"bad date", [&] { auto x = h; x["io.cncf.notary.signingTime"] = "2025-02-30T00:00:00Z"; return x; }()},
      {"no scheme", [&] { auto x = h; x.erase("io.cncf.notary.signingScheme"); return x; }()},
      {"authority without time",
       [&] { auto x = h; x["io.cncf.notary.signingScheme"] = "notary.x509.signingAuthority"; return x; }()},
      {"plugin not critical", [&] { auto x = h; x["io.cncf.notary.verificationPlugin"] = "p"; return x; }()},
      {"not an object", nlohmann::json::array()},
  };
  for (const auto& c : cases) EXPECT_FALSE(ParseJwsEnvelope(WithProtected(c.header)).ok()) << c.what;
}

TEST(JwsEnvelopeTest, TimesAreRfc3339) {
  auto h = GoodHeader();
  h["io.cncf.notary.signingTime"] = "2025-06-01T14:00:00.123+02:00";
  auto env = ParseJwsEnvelope(WithProtected(h));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->signing_time, 1748779200);
}

TEST(JwsEnvelopeTest, EnvelopeStructure) {
  auto good = nlohmann::json::parse(ReadFixture("jws/good_es256.jws"));
  auto without = [&](const char* key) { auto x = good; x.erase(key); return x.dump(); };
  for (const char* key : {"payload", "protected", "header", "signature"}) {
    EXPECT_FALSE(ParseJwsEnvelope(without(key)).ok()) << key;
  }
  auto x = good;
  x["header"]["x5c"] = nlohmann::json::array();
  EXPECT_FALSE(ParseJwsEnvelope(x.dump()).ok());
  x = good;
  x["header"]["x5c"][0] = "not base64!";
  EXPECT_FALSE(ParseJwsEnvelope(x.dump()).ok());
  x = good;
  for (int i = 0; i < 10; ++i) x["header"]["x5c"].push_back(x["header"]["x5c"][0]);
  EXPECT_FALSE(ParseJwsEnvelope(x.dump()).ok());  // longer than kMaxChainLength
  x = good;
  x["signature"] = "";
  EXPECT_FALSE(ParseJwsEnvelope(x.dump()).ok());
  x = good;
  x["payload"] = x["payload"].get<std::string>() + "=";
  EXPECT_FALSE(ParseJwsEnvelope(x.dump()).ok());
  EXPECT_FALSE(ParseJwsEnvelope("[]").ok());
  EXPECT_FALSE(ParseJwsEnvelope(std::string(kMaxEnvelopeBytes + 1, ' ')).ok());
  EXPECT_FALSE(ParseJwsEnvelope(std::string(1000, '[')).ok());
}

}  // namespace
}  // namespace pullsentry::notation
