#include "verify/crypto/public_key.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"

namespace pullsentry::crypto {
namespace {

// Fixtures come from tests/fixtures/make_crypto_fixtures.py (python3-cryptography).
std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(PULLSENTRY_FIXTURES_DIR) + "/crypto/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const PublicKey> Key(const std::string& name) {
  auto key = PublicKey::FromPem(Fixture(name + ".pub.pem"));
  EXPECT_TRUE(key.ok()) << name << ": " << key.status();
  return key.ok() ? *key : nullptr;
}

class EveryAcceptedKey : public testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(EveryAcceptedKey, VerifiesItsSignatureOverThePayload) {
  auto [name, description] = GetParam();
  auto key = Key(name);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->Description(), description);
  EXPECT_TRUE(key->Verify(Fixture("payload.json"), Fixture(std::string(name) + ".sig")).ok());
}

TEST_P(EveryAcceptedKey, RejectsItsSignatureOverAnotherPayload) {
  auto [name, description] = GetParam();
  auto key = Key(name);
  ASSERT_NE(key, nullptr);
  std::string payload = Fixture("payload.json");
  payload.back() = ' ';
  absl::Status s = key->Verify(payload, Fixture(std::string(name) + ".sig"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(s.message(), "signature does not verify");
}

TEST_P(EveryAcceptedKey, RejectsASignatureFromTheOtherKey) {
  auto [name, description] = GetParam();
  auto key = Key(name);
  ASSERT_NE(key, nullptr);
  absl::Status s = key->Verify(Fixture("payload.json"), Fixture("p256-other.sig"));
  EXPECT_FALSE(s.ok());
}

INSTANTIATE_TEST_SUITE_P(Keys, EveryAcceptedKey,
                         testing::Values(std::pair{"p256", "ecdsa-p256"}, std::pair{"p384", "ecdsa-p384"},
                                         std::pair{"p521", "ecdsa-p521"}, std::pair{"rsa2048", "rsa-2048"},
                                         std::pair{"rsa4096", "rsa-4096"}, std::pair{"ed25519", "ed25519"}));

TEST(PublicKey, AcceptsTheCurveDefaultHashForP384AndP521) {
  EXPECT_TRUE(Key("p384")->Verify(Fixture("payload.json"), Fixture("p384-sha384.sig")).ok());
  EXPECT_TRUE(Key("p521")->Verify(Fixture("payload.json"), Fixture("p521-sha512.sig")).ok());
}

TEST(PublicKey, RejectsAP256SignatureMadeWithSha1) {
  EXPECT_EQ(Key("p256")->Verify(Fixture("payload.json"), Fixture("p256-sha1.sig")).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PublicKey, RejectsRsaPssBecauseCosignKeyVerificationUsesPkcs1) {
  EXPECT_EQ(Key("rsa2048")->Verify(Fixture("payload.json"), Fixture("rsa2048-pss.sig")).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PublicKey, RejectsASignatureByAnUntrustedKey) {
  absl::Status s = Key("p256")->Verify(Fixture("payload.json"), Fixture("p256-other.sig"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "signature does not verify");
}

TEST(PublicKey, TruncatedEcdsaSignatureIsMalformed) {
  absl::Status s = Key("p256")->Verify(Fixture("payload.json"), Fixture("p256-truncated.sig"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(PublicKey, EcdsaSignatureWithTrailingBytesIsMalformed) {
  absl::Status s = Key("p256")->Verify(Fixture("payload.json"), Fixture("p256.sig") + std::string(1, '\0'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(PublicKey, WrongLengthRsaAndEd25519SignaturesAreMalformed) {
  std::string rsa = Fixture("rsa2048.sig");
  EXPECT_EQ(Key("rsa2048")->Verify(Fixture("payload.json"), rsa.substr(1)).code(), absl::StatusCode::kInvalidArgument);
  std::string ed = Fixture("ed25519.sig");
  EXPECT_EQ(Key("ed25519")->Verify(Fixture("payload.json"), ed.substr(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Key("ed25519")->Verify(Fixture("payload.json"), "").code(), absl::StatusCode::kInvalidArgument);
}

TEST(PublicKey, FlippedBitInSignatureDoesNotVerify) {
  for (const char* name : {"p256", "rsa2048", "ed25519"}) {
    std::string sig = Fixture(std::string(name) + ".sig");
    sig[sig.size() / 2] ^= 0x01;
    EXPECT_FALSE(Key(name)->Verify(Fixture("payload.json"), sig).ok()) << name;
  }
}

TEST(PublicKey, RejectsWeakRsa) {
  auto key = PublicKey::FromPem(Fixture("rsa1024.pub.pem"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("1024 bits is too weak"), std::string::npos) << key.status();
}

TEST(PublicKey, RejectsUnsupportedCurve) {
  auto key = PublicKey::FromPem(Fixture("secp256k1.pub.pem"));
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("secp256k1"), std::string::npos) << key.status();
}

TEST(PublicKey, RejectsMalformedPem) {
  std::string pem = Fixture("p256.pub.pem");
  for (std::string bad : {std::string(""), std::string("not a key"),
                          [&] {
                            std::string s = pem;
                            s.replace(s.find("PUBLIC KEY"), 10, "CERTIFICATE");
                            return s;
                          }(),
                          pem + pem, pem.substr(0, pem.size() / 2)}) {
    auto key = PublicKey::FromPem(bad);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PublicKey, FingerprintIsSha256OfTheDerSpki) {
  // The DER is the base64 body of the PEM, decoded independently here.
  std::string pem = Fixture("p256.pub.pem");
  std::string body;
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);)
    if (!line.starts_with("-----")) body += line;
  auto der = Base64Decode(body);
  ASSERT_TRUE(der.has_value());
  EXPECT_EQ(Key("p256")->Fingerprint(), Sha256Digest(*der));
  EXPECT_NE(Key("p256")->Fingerprint(), Key("p256-other")->Fingerprint());
}

}  // namespace
}  // namespace pullsentry::crypto
