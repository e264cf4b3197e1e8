#include "verify/sigstore/checkpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "verify/sigstore/proto_json.h"
#include "verify/sigstore/test_util.h"

namespace pullsentry::sigstore {
namespace {

using testing_util::Fixture;

class CheckpointTest : public testing::Test {
 protected:
  void SetUp() override {
    auto root = TrustedRoot::Parse(Fixture("trusted_root.json"));
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = *root;
  }
  // tlogs()[1]: Rekor v1 (ECDSA P-256); tlogs()[2]: Rekor v2 (Ed25519).
  const TransparencyLog& V1() const { return root_->tlogs()[1]; }
  const TransparencyLog& V2() const { return root_->tlogs()[2]; }

  std::shared_ptr<const TrustedRoot> root_;
};

// checkpoints.json: envelopes signed by the generator's logs, and variants;
// "expect" names the first check that must fail.
TEST_F(CheckpointTest, AgreesWithTheIndependentVectors) {
  nlohmann::json vectors = nlohmann::json::parse(Fixture("checkpoints.json"));
  for (const nlohmann::json& v : vectors) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const TransparencyLog& log = v["log"] == "v1" ? V1() : V2();
    std::string expect = v["expect"];
    std::string envelope = v["envelope"];
    absl::StatusOr<Checkpoint> cp = ParseCheckpoint(envelope);
    if (expect == "parse") {
      EXPECT_EQ(cp.status().code(), absl::StatusCode::kInvalidArgument) << cp.status();
      continue;
    }
    ASSERT_TRUE(cp.ok()) << cp.status();
    absl::Status sig = VerifyCheckpointSignature(*cp, log);
    if (expect == "verify") {
      EXPECT_EQ(sig.code(), absl::StatusCode::kPermissionDenied) << sig;
      continue;
    }
    ASSERT_TRUE(sig.ok()) << sig;
    absl::Status whole = VerifyCheckpointForProof(envelope, log, v["size"].get<uint64_t>(),
                                                  *internal::DecodeProtoBase64(v["root"].get<std::string>()));
    if (expect == "mismatch") {
      EXPECT_EQ(whole.code(), absl::StatusCode::kPermissionDenied) << whole;
      EXPECT_NE(whole.message().find("differs from the inclusion proof"), std::string::npos) << whole;
    } else {
      EXPECT_TRUE(whole.ok()) << whole;
    }
  }
}

TEST_F(CheckpointTest, ParsesTheFieldsOfARekorV1Checkpoint) {
  nlohmann::json vectors = nlohmann::json::parse(Fixture("checkpoints.json"));
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(vectors[0]["envelope"].get<std::string>());
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->origin, "rekor.fixture.test - 7283641107");
  EXPECT_EQ(cp->tree_size, 21u);
  ASSERT_EQ(cp->extensions.size(), 1u);
  EXPECT_TRUE(cp->extensions[0].starts_with("Timestamp: "));
  ASSERT_EQ(cp->signatures.size(), 1u);
  EXPECT_EQ(cp->signatures[0].name, "rekor.fixture.test");
  EXPECT_EQ(cp->signatures[0].key_hint, V1().log_id.substr(0, 4));
  EXPECT_EQ(cp->signed_text.back(), '\n');
}

TEST_F(CheckpointTest, Ed25519KeyHintIsTheSignedNoteKeyId) {
  // The public-good root's Rekor v2 log id is the full signed-note key id;
  // the fixture's follows it.
  EXPECT_EQ(CheckpointKeyHint(V2()), V2().log_id.substr(0, 4));
  EXPECT_EQ(CheckpointKeyHint(V1()), V1().log_id.substr(0, 4));
}

TEST_F(CheckpointTest, RefusesAnOriginOfAnotherLog) {
  nlohmann::json vectors = nlohmann::json::parse(Fixture("checkpoints.json"));
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(vectors[1]["envelope"].get<std::string>());
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(VerifyCheckpointSignature(*cp, V2()).ok());
  cp->origin = "elsewhere.test";
  absl::Status s = VerifyCheckpointSignature(*cp, V2());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("is not the log"), std::string::npos) << s;
}

TEST_F(CheckpointTest, ASecondSignatureByAnotherKeyDoesNotMatter) {
  nlohmann::json vectors = nlohmann::json::parse(Fixture("checkpoints.json"));
  std::string envelope = vectors[0]["envelope"];
  // A witness cosignature (unknown key) in front of the log's own.
  size_t split = envelope.find("\n\n") + 2;
  envelope.insert(split, "\xE2\x80\x94 witness.test AAAAAAECAwQFBgcI\n");
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(envelope);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->signatures.size(), 2u);
  EXPECT_TRUE(VerifyCheckpointSignature(*cp, V1()).ok());
}

TEST(CheckpointParse, RefusesMalformedEnvelopes) {
  const std::string root = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  const std::string sig = "\n\xE2\x80\x94 log.test AAAAAAECAwQ=\n";
  EXPECT_TRUE(ParseCheckpoint("log.test\n5\n" + root + "\n" + sig).ok());
  for (const std::string& bad : {
           "log.test\n5\n" + root + "\n",                       // no signatures
           "log.test\n5\n" + root + sig,                        // no blank line
           "log.test\n-5\n" + root + "\n" + sig,                // negative size
           "log.test\n5x\n" + root + "\n" + sig,                // junk size
           "log.test\n99999999999999999999\n" + root + "\n" + sig,  // overflow
           "log.test\n5\nAAAA\n" + sig,                         // short root
           "\n5\n" + root + "\n" + sig,                         // empty origin
           "log.test\n5\n" + root + "\n\n\xE2\x80\x94 log.test AAAA\n",  // signature too short
           "log.test\n5\n" + root + "\n\n\xE2\x80\x94 log.test AAAAAAECAwQ=",  // no final newline
           "log.test\n5\n" + root + "\n\n\xE2\x80\x94 a+b AAAAAAECAwQ=\n",  // '+' in name
           "log.test\r\n5\n" + root + "\n" + sig,               // control character
           std::string("log.test\n5\n") + root + "\n" + std::string(70000, 'x'),  // too large
       }) {
    EXPECT_EQ(ParseCheckpoint(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad.substr(0, 80);
  }
}

}  // namespace
}  // namespace pullsentry::sigstore
