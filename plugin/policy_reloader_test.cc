#include "plugin/policy_reloader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace pullsentry::plugin {
namespace {

namespace fs = std::filesystem;

const reference::ImageReference kImage = *reference::ParseNormalized("registry.example/team/app:v1");

class PolicyReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "reload-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    policy_path_ = (dir_ / "policy.json").string();
    key_path_ = (dir_ / "team.pub").string();
    fs::copy_file(fs::path(PULLSENTRY_FIXTURES_DIR) / "crypto" / "p256.pub.pem", key_path_);
    WriteAtomically(policy_path_, RejectAll());
    auto policy = Load(policy_path_);
    ASSERT_TRUE(policy.ok()) << policy.status();
    holder_ = std::make_unique<PolicyHolder>(*policy);
    reloader_ = std::make_unique<PolicyReloader>(policy_path_, holder_.get(), &Load);
  }
  void TearDown() override {
    reloader_.reset();
    fs::remove_all(dir_);
  }

  static absl::StatusOr<std::shared_ptr<const trust::LoadedPolicy>> Load(const std::string& path) {
    return trust::LoadPolicyFile(path, {});
  }

  static std::string RejectAll() { return R"({"default":[{"type":"reject"}]})"; }
  std::string SignedByTeamKey() const {
    return R"({"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/team":[
        {"type":"sigstoreSigned","keyPath":")" + key_path_ + R"(","signedIdentity":{"type":"matchRepository"}}]}}})";
  }

  // As editors and config management do: write beside, then rename over.
  static void WriteAtomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".new";
    std::ofstream(tmp) << text;
    fs::rename(tmp, path);
  }

  std::string CurrentScope() const { return holder_->Get()->containers->Match(kImage).scope; }

  template <typename Predicate>
  static bool WaitFor(Predicate done) {
    for (int i = 0; i < 250 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return done();
  }

  fs::path dir_;
  std::string policy_path_;
  std::string key_path_;
  std::unique_ptr<PolicyHolder> holder_;
  std::unique_ptr<PolicyReloader> reloader_;
};

TEST_F(PolicyReloaderTest, ValidChangeReplacesThePolicy) {
  EXPECT_EQ(CurrentScope(), "(default)");
  WriteAtomically(policy_path_, SignedByTeamKey());
  ASSERT_TRUE(reloader_->Reload("test").ok());
  EXPECT_EQ(CurrentScope(), "registry.example/team");
  EXPECT_EQ(reloader_->reloads(), 1u);
  EXPECT_EQ(reloader_->failures(), 0u);
}

TEST_F(PolicyReloaderTest, InvalidChangeKeepsThePreviousPolicyAndIsCounted) {
  auto before = holder_->Get();
  for (const std::string& bad : {std::string("{\"default\":"), std::string(R"({"default":[{"type":"signedBy"}]})"),
                                 std::string(R"({"default":[]})")}) {
    WriteAtomically(policy_path_, bad);
    absl::Status status = reloader_->Reload("test");
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_EQ(holder_->Get(), before) << bad;
  }
  fs::remove(policy_path_);
  EXPECT_FALSE(reloader_->Reload("test").ok());
  EXPECT_EQ(holder_->Get(), before);
  EXPECT_EQ(reloader_->failures(), 4u);
  EXPECT_EQ(reloader_->reloads(), 0u);
}

TEST_F(PolicyReloaderTest, ChangedPolicyFileIsNoticedWithoutASignal) {
  ASSERT_TRUE(reloader_->StartWatching(std::chrono::milliseconds(50)).ok());
  WriteAtomically(policy_path_, SignedByTeamKey());
  EXPECT_TRUE(WaitFor([&] { return CurrentScope() == "registry.example/team"; }));
  EXPECT_GE(reloader_->reloads(), 1u);
}

TEST_F(PolicyReloaderTest, ChangedKeyFileIsNoticedAndABrokenKeyKeepsTheOldPolicy) {
  WriteAtomically(policy_path_, SignedByTeamKey());
  ASSERT_TRUE(reloader_->Reload("test").ok());
  auto with_key = holder_->Get();
  ASSERT_TRUE(reloader_->StartWatching(std::chrono::milliseconds(50)).ok());
  WriteAtomically(key_path_, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n");
  EXPECT_TRUE(WaitFor([&] { return reloader_->failures() >= 1; }));
  EXPECT_EQ(holder_->Get(), with_key);
}

TEST_F(PolicyReloaderTest, ReadersAlwaysSeeAWholePolicyDuringReloads) {
  std::atomic<bool> stop{false};
  std::atomic<int> observed_bad{0};
  std::thread reader([&] {
    while (!stop) {
      auto policy = holder_->Get();
      if (policy == nullptr) {
        ++observed_bad;
        continue;
      }
      std::string scope = policy->containers->Match(kImage).scope;
      if (scope != "(default)" && scope != "registry.example/team") ++observed_bad;
    }
  });
  for (int i = 0; i < 40; ++i) {
    WriteAtomically(policy_path_, i % 3 == 2 ? "{broken" : (i % 2 ? SignedByTeamKey() : RejectAll()));
    (void)reloader_->Reload("test");
  }
  stop = true;
  reader.join();
  EXPECT_EQ(observed_bad, 0);
}

}  // namespace
}  // namespace pullsentry::plugin

namespace pullsentry::plugin {
namespace {

// The trust store is part of the set a reload validates whole.
class TrustStoreReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "reload-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    fs::create_directory(root_ / "keys");
    fs::copy_file(fs::path(PULLSENTRY_FIXTURES_DIR) / "crypto" / "p256.pub.pem", root_ / "keys" / "team.pub");
    fs::permissions(root_ / "keys" / "team.pub", fs::perms::owner_read | fs::perms::owner_write |
                                                      fs::perms::group_read | fs::perms::others_read);
    policy_path_ = (root_ / "policy.json").string();
    std::ofstream(policy_path_) << R"({"version":1,"verifiers":{"team":{"type":"cosignKey","keys":["team"]}},
        "default":{"require":"team"}})";
    load_ = [root = root_.string()](const std::string& path) {
      trust::PolicyLoadOptions options;
      options.trust_store_dir = root;
      return trust::LoadPolicyFile(path, options);
    };
    auto policy = load_(policy_path_);
    ASSERT_TRUE(policy.ok()) << policy.status();
    holder_ = std::make_unique<PolicyHolder>(*policy);
    reloader_ = std::make_unique<PolicyReloader>(policy_path_, holder_.get(), load_);
  }
  void TearDown() override {
    reloader_.reset();
    fs::remove_all(root_);
  }

  template <typename Predicate>
  static bool WaitFor(Predicate done) {
    for (int i = 0; i < 250 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return done();
  }

  fs::path root_;
  std::string policy_path_;
  PolicyReloader::Loader load_;
  std::unique_ptr<PolicyHolder> holder_;
  std::unique_ptr<PolicyReloader> reloader_;
};

TEST_F(TrustStoreReloadTest, HashCoversTheTrustStore) {
  auto before = holder_->Get();
  ASSERT_TRUE(before->trust_store);
  // A key nobody names yet still changes the trust material.
  fs::copy_file(fs::path(PULLSENTRY_FIXTURES_DIR) / "crypto" / "p384.pub.pem", root_ / "keys" / "other.pub");
  ASSERT_TRUE(reloader_->Reload("test").ok());
  EXPECT_NE(holder_->Get()->hash, before->hash);
}

TEST_F(TrustStoreReloadTest, NewKeyFileIsNoticedAndAWritableKeyKeepsTheOldPolicy) {
  auto before = holder_->Get();
  ASSERT_TRUE(reloader_->StartWatching(std::chrono::milliseconds(50)).ok());
  fs::copy_file(fs::path(PULLSENTRY_FIXTURES_DIR) / "crypto" / "p384.pub.pem", root_ / "keys" / "other.pub");
  EXPECT_TRUE(WaitFor([&] { return reloader_->reloads() >= 1; }));
  auto with_new_key = holder_->Get();
  EXPECT_NE(with_new_key, before);

  fs::permissions(root_ / "keys" / "team.pub", fs::perms::others_write, fs::perm_options::add);
  EXPECT_TRUE(WaitFor([&] { return reloader_->failures() >= 1; }));
  EXPECT_EQ(holder_->Get(), with_new_key);
}

}  // namespace
}  // namespace pullsentry::plugin
