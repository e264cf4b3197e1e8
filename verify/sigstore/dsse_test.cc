#include "verify/sigstore/dsse.h"

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "verify/sigstore/bundle.h"
#include "verify/sigstore/test_util.h"

namespace pullsentry::sigstore {
namespace {

using testing_util::Fixture;

TEST(Dsse, PreAuthEncodingFollowsTheSpec) {
  // The example of the DSSE v1 protocol document.
  EXPECT_EQ(DssePreAuthEncoding("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(DssePreAuthEncoding("", ""), "DSSEv1 0  0 ");
  // Lengths are bytes, not characters.
  EXPECT_EQ(DssePreAuthEncoding("t", "\xC3\xA9"), "DSSEv1 1 t 2 \xC3\xA9");
}

class DsseEnvelopeTest : public testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Bundle> b = ParseBundle(Fixture("bundles/v02_key_dsse.json"));
    ASSERT_TRUE(b.ok()) << b.status();
    envelope_ = std::get<DsseEnvelope>(b->content);
    auto key = crypto::PublicKey::FromPem(Fixture("signer.pub.pem"));
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
  }
  DsseEnvelope envelope_;
  std::shared_ptr<const crypto::PublicKey> key_;
};

TEST_F(DsseEnvelopeTest, VerifiesTheGeneratorsEnvelope) {
  EXPECT_TRUE(VerifyDsseEnvelope(envelope_, *key_).ok());
  EXPECT_EQ(envelope_.payload_type, "application/vnd.in-toto+json");
}

TEST_F(DsseEnvelopeTest, RefusesAnotherPayloadType) {
  envelope_.payload_type = "application/json";
  absl::Status s = VerifyDsseEnvelope(envelope_, *key_);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("DSSE signature does not verify"), std::string::npos) << s;
}

TEST_F(DsseEnvelopeTest, RefusesAnEditedPayload) {
  envelope_.payload += " ";
  EXPECT_EQ(VerifyDsseEnvelope(envelope_, *key_).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(DsseEnvelopeTest, RefusesAGarbledSignature) {
  envelope_.signature = "not a signature";
  EXPECT_FALSE(VerifyDsseEnvelope(envelope_, *key_).ok());
}

}  // namespace
}  // namespace pullsentry::sigstore
