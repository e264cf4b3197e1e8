#include "verify/notation/cose_envelope.h"

#include <string>

#include "gtest/gtest.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::ReadFixture;

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(CoseEnvelopeTest, ParsesTheGoodFixtures) {
  auto env = ParseCoseEnvelope(ReadFixture("cose/good_es256.cose"));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->algorithm, SignatureAlgorithm::kEs256);
  EXPECT_EQ(env->signing_time, 1748779200);
  EXPECT_EQ(env->certificate_chain.size(), 3u);
  EXPECT_EQ(env->signature.size(), 64u);
  EXPECT_EQ(env->signing_agent, "make_notation_fixtures/1.0");
  auto protected_chain = ParseCoseEnvelope(ReadFixture("cose/good_x5chain_protected.cose"));
  ASSERT_TRUE(protected_chain.ok()) << protected_chain.status();
  EXPECT_EQ(protected_chain->certificate_chain, env->certificate_chain);
  auto rsa = ParseCoseEnvelope(ReadFixture("cose/good_ps256.cose"));
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  EXPECT_EQ(rsa->algorithm, SignatureAlgorithm::kPs256);
}

TEST(CoseEnvelopeTest, SigStructureIsCanonical) {
  // ["Signature1", h'A10126', h'', h'7B7D'] by hand (RFC 9052 §4.4).
  auto encoded = EncodeSigStructure(Hex("a10126"), "{}");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, Hex("846a5369676e617475726531" "43a10126" "40" "427b7d"));
  // A 300-byte payload takes a two-byte length, never a longer form.
  auto longer = EncodeSigStructure("", std::string(300, 'x'));
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->substr(0, 15), Hex("846a5369676e617475726531" "40" "40" "59"));
  EXPECT_EQ(longer->substr(15, 2), Hex("012c"));
}

TEST(CoseEnvelopeTest, RefusesMalformedCbor) {
  struct {
    const char* what;
    std::string bytes;
  } cases[] = {
      {"empty", ""},
      {"tag only", Hex("d2")},
      {"untagged array", Hex("8440a04040")},
      {"three items", Hex("d28340a040")},
      {"indefinite array", Hex("d29f40a04040ff")},
      {"indefinite bytes", Hex("d2845f40ff" "a04040")},
      {"trailing bytes", Hex("d28440a0404000")},
      {"truncated", Hex("d28440a040")},
      {"array claims 2^32 items", Hex("d29affffffff")},
      {"map claims 2^32 entries", Hex("d28440bbffffffffffffffff")},
      {"bytes claim 2^63", Hex("d284" "5b7fffffffffffffff")},
      {"detached payload", Hex("d28440a0f640")},
      {"protected not a map", Hex("d2844101a04040")},
      {"unprotected not a map", Hex("d2844080" "4040")},
      {"empty protected", Hex("d28440a041004101")},
  };
  for (const auto& c : cases) {
    auto env = ParseCoseEnvelope(c.bytes);
    EXPECT_FALSE(env.ok()) << c.what;
  }
  // Arrays nested past kMaxCborDepth inside the unprotected map.
  std::string deep = Hex("d28440a1") + Hex("01") + std::string(kMaxCborDepth + 2, '\x81') + Hex("00") + Hex("4040");
  auto env = ParseCoseEnvelope(deep);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("deep"), std::string::npos) << env.status();
  EXPECT_FALSE(ParseCoseEnvelope(std::string(kMaxEnvelopeBytes + 1, '\0')).ok());
}

TEST(CoseEnvelopeTest, RefusesRepeatedLabels) {
  // Protected header {1: -7, 1: -7}.
  std::string bytes = Hex("d284" "45a201260126" "a0" "40" "40");
  auto env = ParseCoseEnvelope(bytes);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("repeats"), std::string::npos) << env.status();
}

}  // namespace
}  // namespace pullsentry::notation
