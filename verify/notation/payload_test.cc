#include "verify/notation/payload.h"

#include <string>

#include "gtest/gtest.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::Artifact;

const std::string kDigest = "sha256:" + std::string(32, '4') + std::string(32, 'e');

std::string Doc(const std::string& target) { return R"({"targetArtifact":)" + target + "}"; }

TEST(PayloadTest, ParsesTargetArtifact) {
  auto p = ParsePayload(Doc(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigest +
                            R"(","size":1234,"annotations":{"a":"b"}})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->target_artifact.media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(p->target_artifact.digest, kDigest);
  EXPECT_EQ(p->target_artifact.size, 1234);
  EXPECT_EQ(p->target_artifact.annotations.at("a"), "b");
}

TEST(PayloadTest, RefusesMalformedPayloads) {
  const std::string ok_digest = "\"digest\":\"" + kDigest + "\"";
  for (const std::string& bad : {
           std::string("[]"), std::string("{}"), std::string("not json"), Doc("[]"),
           Doc(R"({"digest":")" + kDigest + R"(","size":1})"),                      // no mediaType
           Doc(R"({"mediaType":"","digest":")" + kDigest + R"(","size":1})"),       // empty mediaType
           Doc(R"({"mediaType":"m","size":1})"),                                     // no digest
           Doc(R"({"mediaType":"m","digest":"sha256:abc","size":1})"),               // short digest
           Doc(R"({"mediaType":"m","digest":"md5:)" + std::string(32, 'a') + R"(","size":1})"),
           Doc(R"({"mediaType":"m","digest":"sha256:)" + std::string(64, 'A') + R"(","size":1})"),
           Doc(R"({"mediaType":"m",)" + ok_digest + "}"),                           // no size
           Doc(R"({"mediaType":"m",)" + ok_digest + R"(,"size":-1})"),
           Doc(R"({"mediaType":"m",)" + ok_digest + R"(,"size":1.5})"),
           Doc(R"({"mediaType":"m",)" + ok_digest + R"(,"size":"1"})"),
           Doc(R"({"mediaType":"m",)" + ok_digest + R"(,"size":1,"annotations":{"a":1}})"),
           std::string(R"({"targetArtifact":{},"targetArtifact":{}})"),  // duplicate key
       }) {
    EXPECT_FALSE(ParsePayload(bad).ok()) << bad;
  }
}

TEST(PayloadTest, RefusesOversizedAndDeepInput) {
  std::string big = Doc(R"({"mediaType":")" + std::string(kMaxPayloadBytes, 'm') + R"(","digest":")" + kDigest +
                        R"(","size":1})");
  EXPECT_FALSE(ParsePayload(big).ok());
  std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_FALSE(ParsePayload(deep).ok());
}

TEST(PayloadTest, TargetArtifactMustEqualTheArtifact) {
  Descriptor signed_target = Artifact();
  EXPECT_TRUE(CheckTargetArtifact(signed_target, Artifact()).ok());
  signed_target.annotations["x"] = "y";  // annotations are not compared
  EXPECT_TRUE(CheckTargetArtifact(signed_target, Artifact()).ok());

  Descriptor d = Artifact();
  d.digest[10] = 'f';
  EXPECT_EQ(CheckTargetArtifact(d, Artifact()).code(), absl::StatusCode::kPermissionDenied);
  d = Artifact();
  d.size = 1235;
  EXPECT_EQ(CheckTargetArtifact(d, Artifact()).code(), absl::StatusCode::kPermissionDenied);
  d = Artifact();
  d.media_type = "application/vnd.oci.image.index.v1+json";
  EXPECT_EQ(CheckTargetArtifact(d, Artifact()).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace pullsentry::notation
