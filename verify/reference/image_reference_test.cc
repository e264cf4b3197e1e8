#include "verify/reference/image_reference.h"

#include <gtest/gtest.h>

#include <vector>

namespace pullsentry::reference {
namespace {

std::string Norm(std::string_view s) {
  auto r = ParseNormalized(s);
  return r.ok() ? r->String() : "ERROR: " + std::string(r.status().message());
}

TEST(ImageReference, NormalisesDockerHubShortNames) {
  EXPECT_EQ(Norm("nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(Norm("nginx:1.25"), "docker.io/library/nginx:1.25");
  EXPECT_EQ(Norm("docker.io/nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(Norm("index.docker.io/library/nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(Norm("acme/app"), "docker.io/acme/app:latest");
}

TEST(ImageReference, KeepsRegistryHostAndPort) {
  EXPECT_EQ(Norm("127.0.0.1:5000/demo/signed:v1"), "127.0.0.1:5000/demo/signed:v1");
  EXPECT_EQ(Norm("localhost/app"), "localhost/app:latest");
  EXPECT_EQ(Norm("localhost:5000/app"), "localhost:5000/app:latest");
  EXPECT_EQ(Norm("[::1]:5000/app:v2"), "[::1]:5000/app:v2");
}

TEST(ImageReference, DigestOnlyGetsNoDefaultTag) {
  std::string d = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(Norm("busybox@" + d), "docker.io/library/busybox@" + d);
  EXPECT_EQ(Norm("busybox:1@" + d), "docker.io/library/busybox:1@" + d);
  auto r = ParseNormalized("busybox@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->HasTag());
  EXPECT_TRUE(r->HasDigest());
}

TEST(ImageReference, NoDefaultTagWhenAsked) {
  auto r = ParseNormalized("ghcr.io/acme/app", /*default_tag=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "ghcr.io/acme/app");
}

TEST(ImageReference, RejectsMalformedReferences) {
  for (const std::string& bad : std::vector<std::string>{"", "acme/UPPER", "app:", "app@sha256:abc", "app@md5:" + std::string(32, 'a'), "a//b",
                          "-app", "app-", "host:port:/x", "app:-tag", std::string(300, 'a'), "ghcr.io/", ":tag",
                          "example.com:99999999/app"}) {
    EXPECT_FALSE(ParseNormalized(bad).ok()) << bad;
  }
}

TEST(ImageReference, AcceptsSeparatorsInComponents) {
  EXPECT_TRUE(ParseNormalized("docker.io/a.b_c__d-e---f/g").ok());
  EXPECT_FALSE(ParseNormalized("a___b").ok());
  EXPECT_FALSE(ParseNormalized("a..b").ok());
}

TEST(ImageReference, ImageIdsAreNotReferences) {
  std::string hex(64, 'c');
  EXPECT_TRUE(IsImageId(hex));
  EXPECT_TRUE(IsImageId("sha256:" + hex));
  EXPECT_FALSE(IsImageId("busybox"));
  EXPECT_FALSE(ParseNormalized(hex).ok());
}

TEST(ImageReference, ValidatesDigests) {
  EXPECT_TRUE(IsValidDigest("sha256:" + std::string(64, '0')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(63, '0')));
  EXPECT_TRUE(IsValidDigest("sha512:" + std::string(128, 'f')));
}

}  // namespace
}  // namespace pullsentry::reference
