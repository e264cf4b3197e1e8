#include "plugin/tag_ledger.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pullsentry::plugin {
namespace {

namespace fs = std::filesystem;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kName = "127.0.0.1:5000/demo/app";

class TagLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ledger-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "ledger.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<TagLedger> OpenOrDie(std::string* warning = nullptr) {
    auto ledger = TagLedger::Open(path_.string(), warning);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  void WriteFile(const std::string& text) { std::ofstream(path_) << text; }

  fs::path dir_;
  fs::path path_;
};

TEST_F(TagLedgerTest, StartsEmptyWithoutFile) {
  auto ledger = OpenOrDie();
  EXPECT_EQ(ledger->size(), 0u);
  EXPECT_FALSE(ledger->Lookup(kName, "v1").has_value());
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(TagLedgerTest, RecordsSurviveReopening) {
  {
    auto ledger = OpenOrDie();
    ASSERT_TRUE(ledger->Record(kName, "v1", kDigestA).ok());
    ASSERT_TRUE(ledger->Record(kName, "stable", kDigestA).ok());
    ASSERT_TRUE(ledger->Record("docker.io/library/nginx", "latest", kDigestB).ok());
  }
  auto ledger = OpenOrDie();
  EXPECT_EQ(ledger->size(), 3u);
  EXPECT_EQ(ledger->Lookup(kName, "v1"), kDigestA);
  EXPECT_EQ(ledger->Lookup("docker.io/library/nginx", "latest"), kDigestB);
  EXPECT_EQ(ledger->TagsFor(kName, kDigestA), (std::vector<std::string>{"stable", "v1"}));
  EXPECT_TRUE(ledger->TagsFor(kName, kDigestB).empty());
}

TEST_F(TagLedgerTest, RecordingATagAgainMovesIt) {
  auto ledger = OpenOrDie();
  ASSERT_TRUE(ledger->Record(kName, "v1", kDigestA).ok());
  ASSERT_TRUE(ledger->Record(kName, "v1", kDigestB).ok());
  EXPECT_EQ(ledger->size(), 1u);
  EXPECT_EQ(OpenOrDie()->Lookup(kName, "v1"), kDigestB);
}

TEST_F(TagLedgerTest, ForgetRemovesEveryTagOfTheDigest) {
  auto ledger = OpenOrDie();
  ASSERT_TRUE(ledger->Record(kName, "v1", kDigestA).ok());
  ASSERT_TRUE(ledger->Record(kName, "stable", kDigestA).ok());
  ASSERT_TRUE(ledger->Record(kName, "v2", kDigestB).ok());
  ASSERT_TRUE(ledger->Forget(kName, kDigestA).ok());
  EXPECT_EQ(ledger->size(), 1u);
  auto reopened = OpenOrDie();
  EXPECT_FALSE(reopened->Lookup(kName, "v1").has_value());
  EXPECT_EQ(reopened->Lookup(kName, "v2"), kDigestB);
}

TEST_F(TagLedgerTest, FileIsPrivateAndLeavesNoTemporary) {
  auto ledger = OpenOrDie();
  ASSERT_TRUE(ledger->Record(kName, "v1", kDigestA).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(path_.string() + ".tmp"));
}

TEST_F(TagLedgerTest, DamagedFileIsSetAsideNeverTrusted) {
  for (const std::string& damaged : {
           std::string("{\"version\":1,\"tags\":{\"" + kName + "\":{\"v1\":\"sha256:") ,  // truncated
           std::string("[]"),
           std::string("{\"version\":2,\"tags\":{}}"),
           std::string("{\"version\":1,\"tags\":{\"" + kName + "\":{\"v1\":\"sha256:zz\"}}}"),
           std::string("{\"version\":1,\"tags\":{\"" + kName + "\":{\"v1\":\"" + kDigestA + "\",\"bad tag!\":\"" +
                       kDigestA + "\"}}}"),
       }) {
    WriteFile(damaged);
    std::string warning;
    auto ledger = OpenOrDie(&warning);
    EXPECT_EQ(ledger->size(), 0u) << damaged;
    EXPECT_FALSE(ledger->Lookup(kName, "v1").has_value()) << damaged;
    EXPECT_NE(warning.find("damaged"), std::string::npos) << damaged;
    EXPECT_FALSE(fs::exists(path_)) << "damaged file must be moved aside";
    bool set_aside = false;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().starts_with("ledger.json.damaged-")) {
        set_aside = true;
        fs::remove(entry.path());
      }
    }
    EXPECT_TRUE(set_aside) << damaged;
  }
}

TEST_F(TagLedgerTest, FailedWriteLeavesMemoryUnchanged) {
  auto ledger = OpenOrDie();
  ASSERT_TRUE(ledger->Record(kName, "v1", kDigestA).ok());
  // Make the rename target a directory so the atomic write fails.
  fs::remove(path_);
  fs::create_directory(path_);
  EXPECT_FALSE(ledger->Record(kName, "v2", kDigestB).ok());
  EXPECT_FALSE(ledger->Lookup(kName, "v2").has_value());
  EXPECT_EQ(ledger->size(), 1u);
}

}  // namespace
}  // namespace pullsentry::plugin
