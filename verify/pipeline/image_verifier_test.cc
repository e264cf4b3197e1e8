#include "verify/pipeline/image_verifier.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"

namespace pullsentry::verify {
namespace {

// A registry held in memory, counting what it was asked for.
class MemoryRegistry : public registry::RegistryClient {
 public:
  void PutManifest(const std::string& name, const std::string& tag, const std::string& body) {
    manifests_[name + ":" + tag] = body;
  }
  void FailWith(absl::Status status) { failure_ = std::move(status); }
  int calls() const { return calls_; }

  absl::StatusOr<registry::FetchedManifest> GetManifest(const reference::ImageReference& repo,
                                                        std::string_view tag_or_digest,
                                                        const registry::PullContext&) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!failure_.ok()) return failure_;
    auto it = manifests_.find(repo.Name() + ":" + std::string(tag_or_digest));
    if (it == manifests_.end()) return absl::NotFoundError("manifest unknown");
    return registry::FetchedManifest{crypto::Sha256Digest(it->second), "application/vnd.oci.image.manifest.v1+json",
                                     it->second};
  }
  absl::StatusOr<std::string> GetBlob(const reference::ImageReference&, std::string_view, size_t,
                                      const registry::PullContext&) override {
    std::lock_guard lock(mu_);
    ++calls_;
    return absl::NotFoundError("blob unknown");
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> manifests_;
  absl::Status failure_;
  int calls_ = 0;
};

std::shared_ptr<const trust::ContainersPolicy> PolicyOrDie(const std::string& json) {
  auto policy = trust::ContainersPolicy::Parse(json, "/");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

reference::ImageReference Ref(const std::string& text) { return *reference::ParseNormalized(text); }

constexpr char kManifest[] = R"({"schemaVersion":2,"layers":[]})";

class ImageVerifierTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryRegistry> registry_ = std::make_shared<MemoryRegistry>();
  ImageVerifier verifier_{registry_};
  registry::PullContext context_;
};

TEST_F(ImageVerifierTest, RejectDecidesWithoutTouchingTheRegistry) {
  auto policy = PolicyOrDie(R"({"default":[{"type":"reject"}]})");
  auto verdict = verifier_.Verify(*policy, Ref("example.com/app:v1"), context_);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->admitted);
  EXPECT_NE(verdict->reason.find("policy rejects"), std::string::npos) << verdict->reason;
  EXPECT_EQ(registry_->calls(), 0);
}

TEST_F(ImageVerifierTest, AcceptAnythingStillPinsTheResolvedDigest) {
  registry_->PutManifest("example.com/app", "v1", kManifest);
  auto policy = PolicyOrDie(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  auto verdict = verifier_.Verify(*policy, Ref("example.com/app:v1"), context_);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->admitted);
  EXPECT_EQ(verdict->digest, crypto::Sha256Digest(kManifest));
}

TEST_F(ImageVerifierTest, DigestInTheReferenceIsNotResolvedAgain) {
  auto policy = PolicyOrDie(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  std::string digest = "sha256:" + std::string(64, '1');
  auto verdict = verifier_.Verify(*policy, Ref("example.com/app@" + digest), context_);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->digest, digest);
  EXPECT_EQ(registry_->calls(), 0);
}

TEST_F(ImageVerifierTest, RegistryFailureIsAFailureToDecide) {
  registry_->FailWith(absl::UnavailableError("registry example.com unreachable: Couldn't connect to server"));
  auto policy = PolicyOrDie(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  auto verdict = verifier_.Verify(*policy, Ref("example.com/app:v1"), context_);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(verdict.status().message().find("resolve example.com/app:v1"), std::string::npos);
}

TEST_F(ImageVerifierTest, MissingTagIsAFailureToDecideNamingTheImage) {
  auto policy = PolicyOrDie(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  auto verdict = verifier_.Verify(*policy, Ref("example.com/app:missing"), context_);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ImageVerifierTest, MostSpecificScopeDecides) {
  registry_->PutManifest("example.com/open/app", "v1", kManifest);
  auto policy = PolicyOrDie(R"({"default":[{"type":"insecureAcceptAnything"}],
      "transports":{"docker":{"example.com":[{"type":"reject"}],
                              "example.com/open":[{"type":"insecureAcceptAnything"}]}}})");
  auto open = verifier_.Verify(*policy, Ref("example.com/open/app:v1"), context_);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->admitted);
  EXPECT_EQ(open->scope, "example.com/open");
  auto closed = verifier_.Verify(*policy, Ref("example.com/other:v1"), context_);
  ASSERT_TRUE(closed.ok());
  EXPECT_FALSE(closed->admitted);
  EXPECT_EQ(closed->scope, "example.com");
}

}  // namespace
}  // namespace pullsentry::verify
