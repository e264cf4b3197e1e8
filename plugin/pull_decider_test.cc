#include "plugin/pull_decider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <thread>

#include "verify/crypto/digest.h"

namespace pullsentry::plugin {
namespace {

using std::chrono::milliseconds;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

reference::ImageReference Ref(const std::string& text) { return *reference::ParseNormalized(text); }

std::shared_ptr<const trust::LoadedPolicy> PolicyWithHash(const std::string& hash) {
  auto policy = std::make_shared<trust::LoadedPolicy>();
  policy->hash = hash;
  return policy;
}

// Counts and, on request, holds verifications; resolves tags to `digest`.
class FakePipeline {
 public:
  PullDecider::Pipeline Make() {
    PullDecider::Pipeline p;
    p.decide_without_registry = [this](const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                                       std::optional<std::string_view>) -> std::optional<verify::Verdict> {
      if (!reject_without_registry) return std::nullopt;
      verify::Verdict v;
      v.image = image.String();
      v.action = "refused";
      v.reason = "policy rejects images in scope x";
      v.policy_hash = policy.hash;
      return v;
    };
    p.resolve_digest = [this](const reference::ImageReference& image,
                              const registry::PullContext&) -> absl::StatusOr<std::string> {
      ++resolves;
      if (image.HasDigest()) return image.digest;
      std::lock_guard lock(mu);
      return digest;
    };
    p.verify_digest = [this](const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                             std::string_view d, std::optional<std::string_view> ns,
                             const registry::PullContext&) -> absl::StatusOr<verify::Verdict> {
      ++verifies;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [this] { return !hold; });
        if (!error.ok()) return error;
      }
      verify::Verdict v;
      v.admitted = admit;
      v.action = admit ? "verified" : "refused";
      v.reason = admit ? "signed by key k" : "no signature found";
      v.image = image.String();
      v.digest = std::string(d);
      v.policy_hash = policy.hash;
      if (ns) v.kube_namespace = std::string(*ns);
      v.signature_kinds = {"cosign-key"};
      return v;
    };
    return p;
  }
  void Hold() {
    std::lock_guard lock(mu);
    hold = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu);
      hold = false;
    }
    cv.notify_all();
  }
  void SetDigest(const std::string& d) {
    std::lock_guard lock(mu);
    digest = d;
  }

  std::atomic<int> resolves{0};
  std::atomic<int> verifies{0};
  bool admit = true;
  bool reject_without_registry = false;
  absl::Status error;

 private:
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;
  std::string digest = kDigestA;
};

class RecordingObserver : public DecisionObserver {
 public:
  void OnDecision(const DecisionRecord& record) override {
    std::lock_guard lock(mu);
    records.push_back(record);
  }
  std::vector<DecisionRecord> Records() {
    std::lock_guard lock(mu);
    return records;
  }

 private:
  std::mutex mu;
  std::vector<DecisionRecord> records;
};

bool WaitFor(const std::function<bool()>& predicate) {
  for (int i = 0; i < 500 && !predicate(); ++i) std::this_thread::sleep_for(milliseconds(10));
  return predicate();
}

VerdictCacheKey Key() { return {"registry.example/team/app:v1", kDigestA, "team", "sha256:p1"}; }

verify::Verdict VerdictFor(const VerdictCacheKey& key) {
  verify::Verdict verdict;
  verdict.admitted = true;
  verdict.action = "verified";
  verdict.digest = key.digest;
  verdict.policy_hash = key.policy_hash;
  verdict.kube_namespace = key.kube_namespace;
  return verdict;
}

class PullDeciderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cache = VerdictCache::Open("", {}, [this] { return now_; }, nullptr);
    ASSERT_TRUE(cache.ok());
    cache_ = std::move(*cache);
    decider_ = std::make_unique<PullDecider>(&holder_, fake_.Make(), cache_.get(), [this] { return now_; });
    decider_->AddObserver(&observer_);
  }

  absl::StatusOr<verify::Verdict> Decide(const std::string& ref, std::optional<std::string_view> ns = "team",
                                         registry::PullContext context = {}) {
    return decider_->Decide(Ref(ref), ns, context, ref);
  }

  std::chrono::system_clock::time_point now_ = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21};
  PolicyHolder holder_{PolicyWithHash("sha256:p1")};
  FakePipeline fake_;
  RecordingObserver observer_;
  std::unique_ptr<VerdictCache> cache_;
  std::unique_ptr<PullDecider> decider_;
};

TEST_F(PullDeciderTest, ASecondPullOfTheSameDigestIsDecidedFromTheCache) {
  auto first = Decide("registry.example/team/app:v1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Decide("registry.example/team/app:v1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->admitted);
  EXPECT_EQ(second->digest, kDigestA);
  EXPECT_EQ(fake_.verifies, 1);
  EXPECT_EQ(fake_.resolves, 2) << "the tag is resolved every time; the cache answers only for the digest";

  auto records = observer_.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].cache_hit);
  EXPECT_TRUE(records[1].cache_hit);
  EXPECT_EQ(records[1].requested, "registry.example/team/app:v1");
  EXPECT_EQ(records[1].origin, "cri");
  EXPECT_EQ(records[1].time, now_);
  ASSERT_TRUE(records[1].verdict.ok());
  EXPECT_EQ(records[1].verdict->digest, kDigestA);
}

TEST_F(PullDeciderTest, AMovedTagIsVerifiedAgainAtItsNewDigest) {
  ASSERT_TRUE(Decide("registry.example/team/app:v1").ok());
  fake_.SetDigest(kDigestB);
  auto moved = Decide("registry.example/team/app:v1");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->digest, kDigestB);
  EXPECT_EQ(fake_.verifies, 2);
}

TEST_F(PullDeciderTest, RefusalsAreCachedButFailuresToDecideAreNot) {
  fake_.admit = false;
  ASSERT_FALSE(Decide("registry.example/team/app:v1")->admitted);
  ASSERT_FALSE(Decide("registry.example/team/app:v1")->admitted);
  EXPECT_EQ(fake_.verifies, 1);

  fake_.error = absl::UnavailableError("registry unreachable");
  EXPECT_EQ(Decide("registry.example/team/app:v2").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Decide("registry.example/team/app:v2").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake_.verifies, 3) << "an error must be asked again";
  EXPECT_EQ(cache_->Size(), 1u);
  auto records = observer_.Records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_FALSE(records[3].verdict.ok());
  EXPECT_FALSE(records[3].cache_hit);
}

TEST_F(PullDeciderTest, NamespaceNameAndTagEachGetTheirOwnDecision) {
  ASSERT_TRUE(Decide("registry.example/team/app:v1", "team").ok());
  ASSERT_TRUE(Decide("registry.example/team/app:v1", "other").ok());
  ASSERT_TRUE(Decide("registry.example/team/app:v1", std::nullopt).ok());
  ASSERT_TRUE(Decide("registry.example/team/app:v2", "team").ok());
  ASSERT_TRUE(Decide("registry.example/mirror/app:v1", "team").ok());
  EXPECT_EQ(fake_.verifies, 5);
  ASSERT_TRUE(Decide("registry.example/team/app:v1", "other").ok());
  EXPECT_EQ(fake_.verifies, 5);
}

TEST_F(PullDeciderTest, AReloadedPolicyDecidesAfreshAndDropsTheOldEntries) {
  ASSERT_TRUE(Decide("registry.example/team/app:v1").ok());
  holder_.Replace(PolicyWithHash("sha256:p2"));
  auto after = Decide("registry.example/team/app:v1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->policy_hash, "sha256:p2");
  EXPECT_EQ(fake_.verifies, 2);
  ASSERT_EQ(cache_->Size(), 1u);
  EXPECT_EQ(cache_->List()[0].key.policy_hash, "sha256:p2");
}

TEST_F(PullDeciderTest, EntriesOfAnotherPolicyAreDroppedAtStartUp) {
  VerdictCacheKey stale{"registry.example/team/app:v1", kDigestA, "team", "sha256:p0"};
  verify::Verdict verdict;
  verdict.admitted = true;
  verdict.action = "verified";
  verdict.digest = kDigestA;
  verdict.policy_hash = "sha256:p0";
  verdict.kube_namespace = "team";
  ASSERT_TRUE(cache_->Store(stale, verdict).ok());
  ASSERT_TRUE(cache_->Store(Key(), VerdictFor(Key())).ok());
  PullDecider restarted(&holder_, fake_.Make(), cache_.get());
  ASSERT_EQ(cache_->Size(), 1u);
  EXPECT_EQ(cache_->List()[0].key.policy_hash, "sha256:p1");
}

TEST_F(PullDeciderTest, ConcurrentPullsOfOneImageShareOneVerification) {
  // No cache: only the single flight can keep this to one verification.
  PullDecider decider(&holder_, fake_.Make(), nullptr);
  decider.AddObserver(&observer_);
  fake_.Hold();
  constexpr int kPulls = 16;
  std::vector<absl::StatusOr<verify::Verdict>> results(kPulls, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kPulls; ++i) {
    threads.emplace_back([&, i] {
      results[i] = decider.Decide(Ref("registry.example/team/app:v1"), "team", {}, "registry.example/team/app:v1");
    });
  }
  ASSERT_TRUE(WaitFor([&] { return fake_.verifies == 1 && decider.waiting() == kPulls - 1; }))
      << fake_.verifies << " verifications, " << decider.waiting() << " waiting";
  fake_.Release();
  for (auto& t : threads) t.join();

  EXPECT_EQ(fake_.verifies, 1);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->admitted);
    EXPECT_EQ(result->digest, kDigestA);
    EXPECT_EQ(result->reason, results[0]->reason);
  }
  EXPECT_EQ(observer_.Records().size(), static_cast<size_t>(kPulls));
}

TEST_F(PullDeciderTest, WaitersShareTheLeadersFailureToo) {
  PullDecider decider(&holder_, fake_.Make(), nullptr);
  fake_.error = absl::UnavailableError("registry unreachable");
  fake_.Hold();
  std::vector<absl::StatusOr<verify::Verdict>> results(4, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { results[i] = decider.Decide(Ref("registry.example/team/app:v1"), "team", {}); });
  ASSERT_TRUE(WaitFor([&] { return fake_.verifies == 1 && decider.waiting() == 3; }));
  fake_.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(fake_.verifies, 1);
  for (const auto& result : results) EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(PullDeciderTest, AWaiterGivesUpAtItsOwnDeadline) {
  fake_.Hold();
  std::thread leader([&] { EXPECT_TRUE(Decide("registry.example/team/app:v1").ok()); });
  ASSERT_TRUE(WaitFor([&] { return fake_.verifies == 1; }));
  registry::PullContext hurried;
  hurried.deadline = std::chrono::steady_clock::now() + milliseconds(50);
  auto waited = Decide("registry.example/team/app:v1", "team", hurried);
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kDeadlineExceeded) << waited.status();
  EXPECT_EQ(decider_->waiting(), 0u);
  fake_.Release();
  leader.join();
  EXPECT_EQ(fake_.verifies, 1);
}

TEST_F(PullDeciderTest, DecideDigestVerifiesTheGivenDigestWithoutResolving) {
  auto verdict = decider_->DecideDigest("registry.example/team/app:v1", kDigestB, "team", "containerd-verifier");
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->digest, kDigestB);
  EXPECT_EQ(fake_.resolves, 0);
  // The CRI path resolving the same tag to the same digest shares the entry.
  fake_.SetDigest(kDigestB);
  ASSERT_TRUE(Decide("registry.example/team/app:v1").ok());
  EXPECT_EQ(fake_.verifies, 1);
  auto records = observer_.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].origin, "containerd-verifier");
  EXPECT_TRUE(records[1].cache_hit);
}

TEST_F(PullDeciderTest, DecideDigestRefusesContradictionsAndMalformedInput) {
  auto other = decider_->DecideDigest("registry.example/team/app@" + kDigestA, kDigestB, "team", "containerd-verifier");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument) << other.status();
  EXPECT_EQ(decider_->DecideDigest("registry.example/team/app:v1", "sha256:short", "team", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decider_->DecideDigest("Not A Name", kDigestA, "team", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_.verifies, 0);
  EXPECT_EQ(observer_.Records().size(), 3u) << "refusals of malformed input are decisions to record too";
}

TEST_F(PullDeciderTest, APlainRejectNeedsNoRegistryAndIsNotCached) {
  fake_.reject_without_registry = true;
  auto verdict = Decide("registry.example/team/app:v1");
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->admitted);
  EXPECT_EQ(fake_.resolves, 0);
  EXPECT_EQ(fake_.verifies, 0);
  EXPECT_EQ(cache_->Size(), 0u);
  auto by_digest = decider_->DecideDigest("registry.example/team/app:v1", kDigestA, "team", "containerd-verifier");
  ASSERT_TRUE(by_digest.ok());
  EXPECT_FALSE(by_digest->admitted);
  EXPECT_EQ(by_digest->digest, kDigestA);
}

// The real pipeline over an in-memory registry: the tag resolves at the
// registry each time, the verification runs once.
class MemoryRegistry : public registry::RegistryClient {
 public:
  absl::StatusOr<registry::FetchedManifest> GetManifest(const reference::ImageReference& repo,
                                                        std::string_view tag_or_digest,
                                                        const registry::PullContext&) override {
    ++manifest_requests;
    if (repo.Name() != "registry.example/team/app" || tag_or_digest != "v1") return absl::NotFoundError("unknown");
    return registry::FetchedManifest{crypto::Sha256Digest(kManifest), "application/vnd.oci.image.manifest.v1+json",
                                     kManifest};
  }
  absl::StatusOr<std::string> GetBlob(const reference::ImageReference&, std::string_view, size_t,
                                      const registry::PullContext&) override {
    return absl::NotFoundError("blob unknown");
  }
  static constexpr char kManifest[] = R"({"schemaVersion":2,"layers":[]})";
  std::atomic<int> manifest_requests{0};
};

TEST(PullDeciderPipelineTest, TheImageVerifiersStepsDecideAndCache) {
  auto policy = std::make_shared<trust::LoadedPolicy>();
  policy->format = trust::PolicyFormat::kNative;
  auto native = trust::NativePolicy::Parse(R"({"version":1,"default":{"require":"accept"}})", "/");
  ASSERT_TRUE(native.ok()) << native.status();
  policy->native = *native;
  policy->hash = (*native)->Hash();
  PolicyHolder holder(policy);
  auto registry = std::make_shared<MemoryRegistry>();
  auto cache = VerdictCache::Open("", {}, &std::chrono::system_clock::now, nullptr);
  ASSERT_TRUE(cache.ok());
  PullDecider decider(&holder, PullDecider::PipelineOf(std::make_shared<verify::ImageVerifier>(registry)),
                      cache->get());
  for (int i = 0; i < 2; ++i) {
    auto verdict = decider.Decide(Ref("registry.example/team/app:v1"), std::nullopt, {});
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    EXPECT_TRUE(verdict->admitted);
    EXPECT_EQ(verdict->digest, crypto::Sha256Digest(MemoryRegistry::kManifest));
    EXPECT_EQ(verdict->policy_hash, policy->hash);
  }
  EXPECT_EQ(registry->manifest_requests, 2);
  EXPECT_EQ((*cache)->hits(), 1u);
  auto missing = decider.Decide(Ref("registry.example/team/app:v2"), std::nullopt, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pullsentry::plugin
