#include "plugin/control/daemon_handlers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace pullsentry::control {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'e');
const std::string kOther = "sha256:" + std::string(64, 'f');

std::shared_ptr<const trust::LoadedPolicy> Policy() {
  auto policy = std::make_shared<trust::LoadedPolicy>();
  policy->path = "/etc/pullsentry/policy.json";
  policy->format = trust::PolicyFormat::kNative;
  policy->hash = "sha256:policy";
  return policy;
}

// Admits images whose name contains "signed"; counts verifications.
plugin::PullDecider::Pipeline FakePipeline(std::atomic<int>* verifications, std::string* last_namespace) {
  plugin::PullDecider::Pipeline pipeline;
  pipeline.decide_without_registry = [](const trust::LoadedPolicy&, const reference::ImageReference&,
                                        std::optional<std::string_view>) { return std::optional<verify::Verdict>(); };
  pipeline.resolve_digest = [](const reference::ImageReference& image,
                               const registry::PullContext&) -> absl::StatusOr<std::string> { return image.digest; };
  pipeline.verify_digest = [=](const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                               std::string_view digest, std::optional<std::string_view> ns,
                               const registry::PullContext& context) -> absl::StatusOr<verify::Verdict> {
    ++*verifications;
    *last_namespace = ns ? std::string(*ns) : "-";
    // The hook's question must come with a deadline, or a stuck registry holds containerd.
    if (context.deadline > std::chrono::steady_clock::now() + std::chrono::seconds(9))
      return absl::InternalError("no deadline");
    if (image.path.find("broken") != std::string::npos) return absl::UnavailableError("registry down");
    verify::Verdict verdict;
    verdict.admitted = image.path.find("signed") != std::string::npos;
    verdict.action = verdict.admitted ? "verified" : "refused";
    verdict.reason = verdict.admitted ? "signed by team.pub" : "no signature";
    verdict.digest = std::string(digest);
    verdict.scope = "registry.example/team";
    verdict.policy_hash = policy.hash;
    return verdict;
  };
  return pipeline;
}

class DaemonHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ps-handlers-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::string warning;
    cache_ = *plugin::VerdictCache::Open(dir_ + "/cache.json", plugin::VerdictCacheOptions{},
                                         &std::chrono::system_clock::now, &warning);
    decider_ = std::make_unique<plugin::PullDecider>(&policy_, FakePipeline(&verifications_, &last_namespace_),
                                                     cache_.get());
    decider_->AddObserver(&counters_);
    parts_ = {.version = "9.9", .listen = "unix:///run/pullsentry/cri.sock", .trust_store = "/etc/pullsentry",
              .started = std::chrono::steady_clock::now() - std::chrono::seconds(61), .policy = &policy_,
              .decider = decider_.get(), .cache = cache_.get(), .counters = &counters_};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  plugin::PolicyHolder policy_{Policy()};
  std::unique_ptr<plugin::VerdictCache> cache_;
  std::atomic<int> verifications_{0};
  std::string last_namespace_;
  StatusCounters counters_;
  std::unique_ptr<plugin::PullDecider> decider_;
  DaemonControlParts parts_;
};

TEST_F(DaemonHandlersTest, VerifyDecidesTheDigestThroughTheDecider) {
  ControlHandlers handlers = MakeDaemonHandlers(parts_);
  absl::StatusOr<VerifyAnswer> yes = handlers.verify({"registry.example/team/signed:v1", kDigest, std::string("dev")});
  ASSERT_TRUE(yes.ok()) << yes.status();
  EXPECT_TRUE(yes->admitted);
  EXPECT_EQ(yes->digest, kDigest);
  EXPECT_EQ(yes->reason, "signed by team.pub");
  EXPECT_EQ(last_namespace_, "dev");
  absl::StatusOr<VerifyAnswer> no = handlers.verify({"registry.example/team/plain:v1", kDigest, {}});
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->admitted);
  EXPECT_EQ(no->reason, "no signature");
  EXPECT_FALSE(handlers.verify({"registry.example/team/broken:v1", kDigest, {}}).ok());
  // A name pinning another digest is never decided for this one.
  EXPECT_FALSE(handlers.verify({"registry.example/team/signed@" + kOther, kDigest, {}}).ok());
}

TEST_F(DaemonHandlersTest, RepeatedVerifyComesFromTheSharedCache) {
  ControlHandlers handlers = MakeDaemonHandlers(parts_);
  ASSERT_TRUE(handlers.verify({"registry.example/team/signed:v1", kDigest, {}})->admitted);
  ASSERT_TRUE(handlers.verify({"registry.example/team/signed:v1", kDigest, {}})->admitted);
  EXPECT_EQ(verifications_.load(), 1);
  StatusReport status = handlers.status();
  EXPECT_EQ(status.counters["decisions_from_cache"], 1u);
  EXPECT_EQ(status.counters["decisions_from_containerd_verifier"], 2u);
}

TEST_F(DaemonHandlersTest, StatusReportsPolicyCacheAndCounters) {
  ControlHandlers handlers = MakeDaemonHandlers(parts_);
  (void)handlers.verify({"registry.example/team/signed:v1", kDigest, {}});
  (void)handlers.verify({"registry.example/team/plain:v1", kDigest, {}});
  (void)handlers.verify({"registry.example/team/broken:v1", kDigest, {}});
  StatusReport status = handlers.status();
  EXPECT_EQ(status.version, "9.9");
  EXPECT_EQ(status.policy_hash, "sha256:policy");
  EXPECT_EQ(status.policy_format, "native");
  EXPECT_GE(status.uptime_seconds, 61);
  EXPECT_EQ(status.cache_entries, 2u);
  EXPECT_EQ(status.counters["decisions_admitted"], 1u);
  EXPECT_EQ(status.counters["decisions_refused"], 1u);
  EXPECT_EQ(status.counters["decisions_failed"], 1u);
}

TEST_F(DaemonHandlersTest, CacheListAndFlush) {
  ControlHandlers handlers = MakeDaemonHandlers(parts_);
  (void)handlers.verify({"registry.example/team/signed:v1", kDigest, {}});
  absl::StatusOr<nlohmann::json> listed = handlers.cache_list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0]["digest"], kDigest);
  EXPECT_EQ((*listed)[0]["admitted"], true);
  EXPECT_EQ((*listed)[0]["policy_hash"], "sha256:policy");
  EXPECT_EQ(handlers.cache_flush().value_or(0), 1u);
  EXPECT_TRUE(handlers.cache_list()->empty());
}

TEST_F(DaemonHandlersTest, NoCacheMeansNoCacheOperations) {
  parts_.cache = nullptr;
  ControlHandlers handlers = MakeDaemonHandlers(parts_);
  EXPECT_FALSE(handlers.cache_list);
  EXPECT_FALSE(handlers.cache_flush);
  EXPECT_FALSE(handlers.status().cache_entries.has_value());
  EXPECT_NE(HandleRequestLine(handlers, R"({"op":"cache-list"})").find("cache not enabled"), std::string::npos);
}

}  // namespace
}  // namespace pullsentry::control
