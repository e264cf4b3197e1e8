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

namespace pullsentry::verify {
namespace {

// The native format: modes, namespaces, break-glass and composition, over
// the same in-memory registry (which holds no signatures).
class NativeVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_->PutManifest("registry.example/team/app", "v1", kManifest); }

  std::shared_ptr<const trust::NativePolicy> Native(const std::string& json) {
    auto policy = trust::NativePolicy::Parse(json, std::string(PULLSENTRY_FIXTURES_DIR) + "/crypto");
    EXPECT_TRUE(policy.ok()) << policy.status();
    return policy.ok() ? *policy : nullptr;
  }

  absl::StatusOr<Verdict> Verify(const std::string& json, std::optional<std::string_view> ns = std::nullopt) {
    auto policy = Native(json);
    if (!policy) return absl::InternalError("policy did not load");
    return verifier_.Verify(*policy, Ref("registry.example/team/app:v1"), ns, context_);
  }

  static std::string TeamScope(const std::string& scope_extra) {
    return R"({"version":1,"verifiers":{"team":{"type":"cosignKey","keyPaths":["p256.pub.pem"]}},
        "default":{"require":"reject"},
        "scopes":[{"match":"registry.example/team","require":"team")" + scope_extra + "}]}";
  }

  std::shared_ptr<MemoryRegistry> registry_ = std::make_shared<MemoryRegistry>();
  std::chrono::system_clock::time_point now_ = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21};
  ImageVerifier verifier_{registry_, [this] { return now_; }};
  registry::PullContext context_;
};

TEST_F(NativeVerifierTest, AcceptPinsTheDigestAsVerified) {
  auto verdict = Verify(R"({"version":1,"default":{"require":"accept"}})");
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->admitted);
  EXPECT_EQ(verdict->action, "verified");
  EXPECT_EQ(verdict->mode, "enforce");
  EXPECT_EQ(verdict->digest, crypto::Sha256Digest(kManifest));
}

TEST_F(NativeVerifierTest, EnforcedRejectDecidesWithoutTheRegistry) {
  auto verdict = Verify(R"({"version":1,"default":{"require":"reject"}})");
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->admitted);
  EXPECT_EQ(verdict->action, "refused");
  EXPECT_EQ(registry_->calls(), 0);
}

TEST_F(NativeVerifierTest, EnforceRefusesAnUnsignedImageNamingTheScope) {
  auto verdict = Verify(TeamScope(""));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->admitted);
  EXPECT_NE(verdict->reason.find("no signature found"), std::string::npos) << verdict->reason;
  EXPECT_NE(verdict->reason.find("registry.example/team"), std::string::npos) << verdict->reason;
}

TEST_F(NativeVerifierTest, WarnAndAuditAdmitWhatEnforceWouldRefuse) {
  for (const std::string mode : {"warn", "audit"}) {
    auto verdict = Verify(TeamScope(R"(,"mode":")" + mode + "\""));
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    EXPECT_TRUE(verdict->admitted) << mode;
    EXPECT_EQ(verdict->action, mode);
    EXPECT_EQ(verdict->mode, mode);
    EXPECT_NE(verdict->reason.find("would refuse"), std::string::npos) << verdict->reason;
  }
}

TEST_F(NativeVerifierTest, NamespaceOverrideRelaxesOnlyItsNamespace) {
  std::string json = TeamScope(R"(,"namespaces":{"dev":{"mode":"warn"}})");
  auto dev = Verify(json, "dev");
  ASSERT_TRUE(dev.ok());
  EXPECT_TRUE(dev->admitted);
  EXPECT_EQ(dev->action, "warn");
  auto prod = Verify(json, "prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_FALSE(prod->admitted);
  auto none = Verify(json);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->admitted);
}

TEST_F(NativeVerifierTest, BreakGlassAdmitsItsDigestUntilItExpires) {
  std::string json = R"({"version":1,"default":{"require":"reject"},"breakGlass":[{"digest":")" +
                     crypto::Sha256Digest(kManifest) +
                     R"(","reason":"INC-1: hotfix","expires":"2026-12-01T00:00:00Z"}]})";
  auto before = Verify(json);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->admitted);
  EXPECT_EQ(before->action, "break-glass");
  EXPECT_NE(before->reason.find("INC-1"), std::string::npos) << before->reason;

  now_ = std::chrono::sys_days{std::chrono::year{2026} / 12 / 2};
  auto after = Verify(json);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->admitted);
}

TEST_F(NativeVerifierTest, BreakGlassAdmissionIsValidOnlyUntilTheEntryExpires) {
  std::string json = R"({"version":1,"default":{"require":"reject"},"breakGlass":[{"digest":")" +
                     crypto::Sha256Digest(kManifest) +
                     R"(","reason":"INC-1: hotfix","expires":"2026-12-01T00:00:00Z"}]})";
  auto verdict = Verify(json);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  ASSERT_EQ(verdict->action, "break-glass");
  EXPECT_EQ(verdict->valid_until, std::chrono::sys_days{std::chrono::year{2026} / 12 / 1});
  EXPECT_TRUE(verdict->signers.empty());
}

TEST_F(NativeVerifierTest, VerdictsNameTheSignatureKindsChecked) {
  auto accepted = Verify(R"({"version":1,"default":{"require":"accept"}})");
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->signature_kinds, std::vector<std::string>{"none"});
  EXPECT_EQ(accepted->valid_until, std::chrono::system_clock::time_point::max());
  auto team = Verify(TeamScope(""));
  ASSERT_TRUE(team.ok());
  EXPECT_EQ(team->signature_kinds, std::vector<std::string>{"cosign-key"});
  EXPECT_TRUE(team->signers.empty());
  auto rejected = Verify(R"({"version":1,"default":{"require":"reject"}})");
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->signature_kinds, std::vector<std::string>{"reject"});
}

TEST_F(NativeVerifierTest, StepsInTurnDecideAsVerifyDoes) {
  auto loaded = std::make_shared<trust::LoadedPolicy>();
  loaded->format = trust::PolicyFormat::kNative;
  loaded->native = Native(R"({"version":1,"default":{"require":"accept"}})");
  loaded->hash = loaded->native->Hash();
  auto image = Ref("registry.example/team/app:v1");
  EXPECT_FALSE(verifier_.DecideWithoutRegistry(*loaded, image, "ns").has_value());
  auto digest = verifier_.ResolveDigest(image, context_);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, crypto::Sha256Digest(kManifest));
  int calls = registry_->calls();
  auto verdict = verifier_.VerifyDigest(*loaded, image, *digest, "ns", context_);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(registry_->calls(), calls) << "an accept needs no further registry request";
  EXPECT_TRUE(verdict->admitted);
  EXPECT_EQ(verdict->digest, *digest);
  EXPECT_EQ(verdict->policy_hash, loaded->hash);
  EXPECT_EQ(verdict->kube_namespace, "ns");
  auto whole = verifier_.Verify(*loaded, image, "ns", context_);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->checks, verdict->checks);
}

TEST_F(NativeVerifierTest, VerifyDigestRefusesADigestTheReferenceContradicts) {
  auto loaded = std::make_shared<trust::LoadedPolicy>();
  loaded->format = trust::PolicyFormat::kNative;
  loaded->native = Native(R"({"version":1,"default":{"require":"accept"}})");
  auto pinned = Ref("registry.example/team/app@" + crypto::Sha256Digest(kManifest));
  auto other = verifier_.VerifyDigest(*loaded, pinned, crypto::Sha256Digest("other"), std::nullopt, context_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  auto malformed = verifier_.VerifyDigest(*loaded, Ref("registry.example/team/app:v1"), "sha256:zz", std::nullopt,
                                          context_);
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NativeVerifierTest, RejectWithoutRegistryIsDecidedBeforeResolving) {
  auto loaded = std::make_shared<trust::LoadedPolicy>();
  loaded->format = trust::PolicyFormat::kNative;
  loaded->native = Native(R"({"version":1,"default":{"require":"reject"}})");
  loaded->hash = "sha256:test";
  auto verdict = verifier_.DecideWithoutRegistry(*loaded, Ref("registry.example/team/app:v1"), "ns");
  ASSERT_TRUE(verdict.has_value());
  EXPECT_FALSE(verdict->admitted);
  EXPECT_EQ(verdict->policy_hash, "sha256:test");
  EXPECT_EQ(registry_->calls(), 0);
}

TEST_F(NativeVerifierTest, UnsupportedVerifierFailsClosedEvenInsideAnyOf) {
  auto verdict = Verify(R"({"version":1,"verifiers":{"kl":{"type":"keyless","issuer":"https://issuer.example",
      "subject":"dev@example.com","trustedRoot":"public-good"}},
      "default":{"require":{"anyOf":["kl","accept"]}}})");
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->admitted);
  EXPECT_NE(verdict->reason.find("not supported yet"), std::string::npos) << verdict->reason;
}

TEST_F(NativeVerifierTest, RegistryFailureWhileCheckingSignaturesIsAFailureToDecide) {
  auto policy = Native(TeamScope(""));
  ASSERT_TRUE(policy);
  // Resolve the tag first, then break the registry for the signature fetch.
  auto image = Ref("registry.example/team/app@" + crypto::Sha256Digest(kManifest));
  registry_->FailWith(absl::UnavailableError("registry registry.example unreachable"));
  auto verdict = verifier_.Verify(*policy, image, std::nullopt, context_);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(NativeVerifierTest, LoadedPolicyRecordsHashAndNamespace) {
  auto loaded = std::make_shared<trust::LoadedPolicy>();
  loaded->format = trust::PolicyFormat::kNative;
  loaded->native = Native(R"({"version":1,"default":{"require":"accept"}})");
  loaded->hash = loaded->native->Hash();
  auto verdict = verifier_.Verify(*loaded, Ref("registry.example/team/app:v1"), "team-a", context_);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->policy_hash, loaded->native->Hash());
  EXPECT_EQ(verdict->kube_namespace, "team-a");
}

}  // namespace
}  // namespace pullsentry::verify
