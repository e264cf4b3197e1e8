#include "trust/policy_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pullsentry::trust {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = PULLSENTRY_FIXTURES_DIR;

class PolicyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "policy-file-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::copy_file(kFixtures / "crypto" / "p256.pub.pem", dir_ / "team.pub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  fs::path dir_;
};

TEST_F(PolicyFileTest, DetectsEachFormatFromItsContent) {
  EXPECT_EQ(*DetectPolicyFormat(R"({"default":[{"type":"reject"}]})"), PolicyFormat::kContainers);
  EXPECT_EQ(*DetectPolicyFormat(R"({"version":1,"default":{"require":"reject"}})"), PolicyFormat::kNative);
  EXPECT_EQ(*DetectPolicyFormat(R"({"version":"1.0","trustPolicies":[]})"), PolicyFormat::kNotation);
  EXPECT_FALSE(DetectPolicyFormat(R"({"rules":[]})").ok());
  EXPECT_FALSE(DetectPolicyFormat("[]").ok());
  EXPECT_FALSE(DetectPolicyFormat("{").ok());
}

TEST_F(PolicyFileTest, LoadsContainersPolicyWithItsKeyFiles) {
  std::string path = Write("policy.json", R"({"default":[{"type":"reject"}],"transports":{"docker":{
      "registry.example/team":[{"type":"sigstoreSigned","keyPath":"team.pub"}]}}})");
  auto loaded = LoadPolicyFile(path, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->format, PolicyFormat::kContainers);
  ASSERT_TRUE((*loaded)->containers);
  EXPECT_EQ((*loaded)->files, (std::vector<std::string>{path, (dir_ / "team.pub").string()}));
  EXPECT_TRUE((*loaded)->hash.starts_with("sha256:"));
}

TEST_F(PolicyFileTest, LoadsNativePolicy) {
  std::string path = Write("policy.json", R"({"version":1,
      "verifiers":{"team":{"type":"cosignKey","keyPaths":["team.pub"]}},
      "default":{"require":"team"}})");
  auto loaded = LoadPolicyFile(path, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->format, PolicyFormat::kNative);
  ASSERT_TRUE((*loaded)->native);
  EXPECT_EQ((*loaded)->hash, (*loaded)->native->Hash());
  EXPECT_NE(std::find((*loaded)->files.begin(), (*loaded)->files.end(), (dir_ / "team.pub").string()),
            (*loaded)->files.end());
}

TEST_F(PolicyFileTest, LoadsNotationTrustPolicyAsItIs) {
  std::string path = (kFixtures / "policy" / "import" / "notation-spec-example.json").string();
  PolicyLoadOptions options;
  options.trust_store_dir = (dir_ / "no-trust-store").string();
  auto loaded = LoadPolicyFile(path, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->format, PolicyFormat::kNotation);
  ASSERT_TRUE((*loaded)->native);
  // Notation verifiers are declared but not verifiable yet: every scope that
  // needs one must refuse, never admit.
  bool any_notation = false;
  for (const auto& [name, verifier] : (*loaded)->native->verifiers())
    any_notation |= verifier->type == Verifier::Type::kNotation;
  EXPECT_TRUE(any_notation);
  // The default trust store root does not exist here: the stores it names are missing.
  bool warned = false;
  for (const std::string& warning : (*loaded)->warnings)
    warned |= warning.find("ca:wabbit-networks") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(PolicyFileTest, HashFollowsKeyContentNotJustThePolicyText) {
  std::string path = Write("policy.json", R"({"default":[{"type":"sigstoreSigned","keyPath":"team.pub"}]})");
  auto first = LoadPolicyFile(path, {});
  ASSERT_TRUE(first.ok());
  fs::remove(dir_ / "team.pub");
  fs::copy_file(kFixtures / "crypto" / "p384.pub.pem", dir_ / "team.pub");
  auto second = LoadPolicyFile(path, {});
  ASSERT_TRUE(second.ok());
  EXPECT_NE((*first)->hash, (*second)->hash);
  auto third = LoadPolicyFile(path, {});
  EXPECT_EQ((*second)->hash, (*third)->hash);
}

TEST_F(PolicyFileTest, ErrorsNameTheFile) {
  std::string path = Write("policy.json", R"({"version":1,"default":{"require":"nobody"}})");
  auto loaded = LoadPolicyFile(path, {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos) << loaded.status();
  auto missing = LoadPolicyFile((dir_ / "absent.json").string(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  auto directory = LoadPolicyFile(dir_.string(), {});
  EXPECT_FALSE(directory.ok());
}

TEST_F(PolicyFileTest, RejectEverythingPolicyRejects) {
  auto policy = RejectEverythingPolicy("/etc/pullsentry/policy.json");
  ASSERT_TRUE(policy->containers);
  auto match = policy->containers->Match(*reference::ParseNormalized("registry.example/app:v1"));
  ASSERT_EQ(match.requirements->size(), 1u);
  EXPECT_EQ((*match.requirements)[0].type, Requirement::Type::kReject);
}

}  // namespace
}  // namespace pullsentry::trust
