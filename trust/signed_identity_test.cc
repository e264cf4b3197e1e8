#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "trust/containers_policy.h"
#include "trust/internal.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::Ref;
using Kind = SignedIdentity::Kind;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

SignedIdentity Identity(Kind kind) {
  SignedIdentity id;
  id.kind = kind;
  return id;
}

bool Accepts(const SignedIdentity& id, const std::string& image, const std::string& signed_ref) {
  absl::Status s = CheckSignedIdentity(id, Ref(image), signed_ref);
  EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kPermissionDenied) << s;
  return s.ok();
}

std::string Digested(const std::string& name) { return name + "@" + kDigest; }

TEST(MatchExact, AcceptsTheSameTaggedReferenceInAnySpelling) {
  auto id = Identity(Kind::kMatchExact);
  EXPECT_TRUE(Accepts(id, "busybox:latest", "busybox:latest"));
  EXPECT_TRUE(Accepts(id, "busybox:latest", "docker.io/library/busybox:latest"));
  EXPECT_TRUE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/b:v1"));
  EXPECT_TRUE(Accepts(id, Digested("busybox"), Digested("docker.io/library/busybox")));
}

TEST(MatchExact, RejectsOtherTagsRepositoriesAndNameOnly) {
  auto id = Identity(Kind::kMatchExact);
  EXPECT_FALSE(Accepts(id, "busybox:latest", "busybox:notlatest"));
  EXPECT_FALSE(Accepts(id, "busybox:latest", "notbusybox:latest"));
  EXPECT_FALSE(Accepts(id, "busybox:latest", "busybox"));
  EXPECT_FALSE(Accepts(id, Digested("busybox"), "busybox:latest"));
  EXPECT_FALSE(Accepts(id, "busybox:latest", "not a reference!"));
}

TEST(MatchRepoDigestOrExact, TaggedImageNeedsTheExactReference) {
  auto id = Identity(Kind::kMatchRepoDigestOrExact);
  EXPECT_TRUE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/b:v1"));
  EXPECT_FALSE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/b:v2"));
  EXPECT_FALSE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/c:v1"));
}

TEST(MatchRepoDigestOrExact, ImageByDigestNeedsTheRepositoryWithAnyTag) {
  auto id = Identity(Kind::kMatchRepoDigestOrExact);
  EXPECT_TRUE(Accepts(id, Digested("registry.example/a/b"), "registry.example/a/b:v9"));
  EXPECT_TRUE(Accepts(id, Digested("registry.example/a/b"), Digested("registry.example/a/b")));
  EXPECT_FALSE(Accepts(id, Digested("registry.example/a/b"), "registry.example/a/c:v1"));
}

TEST(MatchRepoDigestOrExact, ImageWithTagAndDigestCountsAsByDigest) {
  // CRI-O drops the tag of repo:tag@digest; so does the identity check.
  auto id = Identity(Kind::kMatchRepoDigestOrExact);
  EXPECT_TRUE(Accepts(id, "registry.example/a/b:v1@" + std::string(kDigest), "registry.example/a/b:v2"));
}

TEST(MatchRepoDigestOrExact, RejectsCosignStyleRepositoryOnlySignature) {
  auto id = Identity(Kind::kMatchRepoDigestOrExact);
  absl::Status s = CheckSignedIdentity(id, Ref("registry.example/a/b:v1"), "registry.example/a/b");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(s.message()).find("use matchRepository"), std::string::npos) << s;
  EXPECT_FALSE(Accepts(id, Digested("registry.example/a/b"), "registry.example/a/b"));
}

TEST(MatchRepoDigestOrExact, MessageNamesBothReferences) {
  absl::Status s = CheckSignedIdentity(Identity(Kind::kMatchRepoDigestOrExact), Ref("docker.io/x/z:v1"), "x/y:v1");
  EXPECT_EQ(s.message(), "signature names docker.io/x/y:v1, policy requires docker.io/x/z:v1 (matchRepoDigestOrExact)");
}

TEST(MatchRepository, AcceptsAnyReferenceInTheRepository) {
  auto id = Identity(Kind::kMatchRepository);
  EXPECT_TRUE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/b"));
  EXPECT_TRUE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/b:other"));
  EXPECT_TRUE(Accepts(id, Digested("busybox"), "docker.io/library/busybox"));
  EXPECT_FALSE(Accepts(id, "registry.example/a/b:v1", "registry.example/a/bb"));
  EXPECT_FALSE(Accepts(id, "registry.example/a/b:v1", "other.example/a/b"));
}

TEST(ExactReference, AcceptsOnlyTheConfiguredReference) {
  SignedIdentity id = Identity(Kind::kExactReference);
  id.docker_reference = "vendor.example/product/app:1.0";
  EXPECT_TRUE(Accepts(id, "mirror.example/anything:else", "vendor.example/product/app:1.0"));
  EXPECT_FALSE(Accepts(id, "mirror.example/anything:else", "vendor.example/product/app:1.1"));
  EXPECT_FALSE(Accepts(id, "mirror.example/anything:else", "vendor.example/product/app"));
  EXPECT_FALSE(Accepts(id, "vendor.example/product/app:1.0", "mirror.example/anything:else"));
}

TEST(ExactRepository, AcceptsAnyReferenceInTheConfiguredRepository) {
  SignedIdentity id = Identity(Kind::kExactRepository);
  id.docker_repository = "vendor.example/product/app";
  EXPECT_TRUE(Accepts(id, "mirror.example/x:y", "vendor.example/product/app"));
  EXPECT_TRUE(Accepts(id, "mirror.example/x:y", "vendor.example/product/app:7"));
  EXPECT_FALSE(Accepts(id, "mirror.example/x:y", "vendor.example/product/other"));
  EXPECT_FALSE(Accepts(id, "vendor.example/product/app:7", "mirror.example/x:y"));
}

SignedIdentity Remap(const std::string& prefix, const std::string& signed_prefix) {
  SignedIdentity id = Identity(Kind::kRemapIdentity);
  id.prefix = prefix;
  id.signed_prefix = signed_prefix;
  return id;
}

TEST(RemapIdentity, RewritesAMatchingPrefixThenMatchesRepoDigestOrExact) {
  auto id = Remap("private-mirror:5000/vendor-mirror", "vendor.example.com");
  EXPECT_TRUE(Accepts(id, "private-mirror:5000/vendor-mirror/producta/image1:latest",
                      "vendor.example.com/producta/image1:latest"));
  EXPECT_FALSE(Accepts(id, "private-mirror:5000/vendor-mirror/producta/image1:latest",
                       "vendor.example.com/producta/image1:other"));
  EXPECT_TRUE(Accepts(id, Digested("private-mirror:5000/vendor-mirror/producta/image1"),
                      "vendor.example.com/producta/image1:any"));
  // The unmapped name is no longer accepted for a mapped image.
  EXPECT_FALSE(Accepts(id, "private-mirror:5000/vendor-mirror/producta/image1:latest",
                       "private-mirror:5000/vendor-mirror/producta/image1:latest"));
}

TEST(RemapIdentity, PrefixMatchesOnlyAtAPathBoundary) {
  auto id = Remap("mirror.example/vendor", "vendor.example");
  // "vendor-x" is not under "vendor": no remap, so the image's own name applies.
  EXPECT_TRUE(Accepts(id, "mirror.example/vendor-x/app:1", "mirror.example/vendor-x/app:1"));
  EXPECT_FALSE(Accepts(id, "mirror.example/vendor-x/app:1", "vendor.example-x/app:1"));
}

TEST(RemapIdentity, NonMatchingPrefixLeavesTheImageUnchanged) {
  auto id = Remap("mirror.example/vendor", "vendor.example");
  EXPECT_TRUE(Accepts(id, "other.example/app:1", "other.example/app:1"));
  EXPECT_FALSE(Accepts(id, "other.example/app:1", "vendor.example/app:1"));
}

TEST(RemapIdentity, RemapToNonCanonicalNameFails) {
  // docker.io/busybox is not canonical (docker.io/library/busybox is).
  auto id = Remap("mirror.example", "docker.io");
  EXPECT_FALSE(Accepts(id, "mirror.example/busybox:1", "docker.io/library/busybox:1"));
  EXPECT_TRUE(Accepts(id, "mirror.example/library/busybox:1", "busybox:1"));
}

TEST(RemapPrefix, AcceptsHostsAndExpandedNamespaces) {
  for (const char* ok : {"docker.io", "localhost:5000", "registry.example/ns", "docker.io/library",
                         "docker.io/library/busybox", "[::1]:5000", "busybox"}) {
    EXPECT_TRUE(internal::ValidateRemapPrefix(ok).ok()) << ok;
  }
  for (const char* bad : {"", "library/busybox", "docker.io/library/busybox:latest", "docker.io/Library",
                          "-bad.example", "host:port", "registry.example/ns/"}) {
    EXPECT_FALSE(internal::ValidateRemapPrefix(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace pullsentry::trust
