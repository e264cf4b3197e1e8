#include "plugin/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

std::chrono::system_clock::time_point Moment() {
  // 2025-11-22T03:04:05.678Z
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1763780645678LL));
}

DecisionRecord Admitted() {
  verify::Verdict verdict;
  verdict.admitted = true;
  verdict.image = "registry.example/team/app:v1";
  verdict.digest = "sha256:" + std::string(64, 'a');
  verdict.scope = "registry.example/team";
  verdict.mode = "enforce";
  verdict.action = "verified";
  verdict.kube_namespace = "prod";
  verdict.policy_hash = "sha256:" + std::string(64, 'b');
  verdict.signers = {"key team.pub (ecdsa-p256 SHA256:xyz)"};
  verdict.reason = "signed by key team.pub";
  DecisionRecord record;
  record.time = Moment();
  record.requested = "registry.example/team/app:v1";
  record.origin = "cri";
  record.verdict = verdict;
  record.elapsed = std::chrono::milliseconds(250);
  return record;
}

std::vector<nlohmann::json> ReadLines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pullsentry-audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(AuditRecordTest, TimeIsRfc3339Utc) {
  EXPECT_EQ(FormatRfc3339Utc(Moment()), "2025-11-22T03:04:05.678Z");
  EXPECT_EQ(FormatRfc3339Utc(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000Z");
}

TEST(AuditRecordTest, AdmittedRecordHasEveryField) {
  nlohmann::json record = AuditRecord(Admitted());
  EXPECT_EQ(record["time"], "2025-11-22T03:04:05.678Z");
  EXPECT_EQ(record["requested"], "registry.example/team/app:v1");
  EXPECT_EQ(record["image"], "registry.example/team/app:v1");
  EXPECT_EQ(record["digest"], "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(record["namespace"], "prod");
  EXPECT_EQ(record["scope"], "registry.example/team");
  EXPECT_EQ(record["mode"], "enforce");
  EXPECT_EQ(record["action"], "verified");
  EXPECT_EQ(record["verdict"], "admitted");
  EXPECT_EQ(record["signers"], nlohmann::json::array({"key team.pub (ecdsa-p256 SHA256:xyz)"}));
  EXPECT_EQ(record["reason"], "signed by key team.pub");
  EXPECT_EQ(record["policy_hash"], "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(record["origin"], "cri");
  EXPECT_EQ(record["cache_hit"], false);
  EXPECT_DOUBLE_EQ(record["elapsed_seconds"].get<double>(), 0.25);
}

TEST(AuditRecordTest, RefusedAndErrorRecords) {
  DecisionRecord refused = Admitted();
  refused.verdict->admitted = false;
  refused.verdict->action = "refused";
  refused.verdict->signers.clear();
  refused.verdict->reason = "no signature found";
  refused.cache_hit = true;
  nlohmann::json record = AuditRecord(refused);
  EXPECT_EQ(record["verdict"], "refused");
  EXPECT_EQ(record["action"], "refused");
  EXPECT_EQ(record["signers"], nlohmann::json::array());
  EXPECT_EQ(record["cache_hit"], true);

  DecisionRecord error = Admitted();
  error.verdict = absl::UnavailableError("resolve registry.example/team/app:v1: connection refused");
  record = AuditRecord(error);
  EXPECT_EQ(record["verdict"], "error");
  EXPECT_EQ(record["action"], "refused");
  EXPECT_EQ(record["error_code"], "UNAVAILABLE");
  EXPECT_EQ(record["reason"], "resolve registry.example/team/app:v1: connection refused");
  EXPECT_EQ(record["requested"], "registry.example/team/app:v1");
}

TEST_F(AuditLogTest, OneLinePerDecisionToFileAndJournal) {
  std::vector<std::string> journal;
  auto log = AuditLog::Open((dir_ / "audit.log").string(), [&](std::string_view line) { journal.emplace_back(line); });
  ASSERT_TRUE(log.ok()) << log.status();
  DecisionRecord hostile = Admitted();
  hostile.requested = "registry.example/x:\n\"}{\xff\xfe";  // newline, quotes, invalid UTF-8
  (*log)->OnDecision(Admitted());
  (*log)->OnDecision(hostile);

  std::vector<nlohmann::json> lines = ReadLines(dir_ / "audit.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["verdict"], "admitted");
  EXPECT_EQ(lines[1]["requested"].get<std::string>().substr(0, 20), "registry.example/x:\n");
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_TRUE(journal[0].starts_with("audit {"));
  EXPECT_EQ(journal[0].find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(journal[0].substr(6)), lines[0]);

  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "audit.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(AuditLogTest, AppendsToAnExistingFile) {
  std::ofstream(dir_ / "audit.log") << "{\"earlier\":true}\n";
  auto log = AuditLog::Open((dir_ / "audit.log").string(), nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->OnDecision(Admitted());
  std::vector<nlohmann::json> lines = ReadLines(dir_ / "audit.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["earlier"], true);
}

TEST_F(AuditLogTest, ReopenAfterRenameStartsANewFile) {
  auto log = AuditLog::Open((dir_ / "audit.log").string(), nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->OnDecision(Admitted());
  std::filesystem::rename(dir_ / "audit.log", dir_ / "audit.log.1");  // what logrotate does
  (*log)->OnDecision(Admitted());  // still the old file until reopened
  ASSERT_TRUE((*log)->Reopen().ok());
  DecisionRecord third = Admitted();
  third.requested = "third";
  (*log)->OnDecision(third);

  std::vector<nlohmann::json> rotated = ReadLines(dir_ / "audit.log.1");
  std::vector<nlohmann::json> fresh = ReadLines(dir_ / "audit.log");
  EXPECT_EQ(rotated.size(), 2u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0]["requested"], "third");
}

TEST_F(AuditLogTest, FailedReopenKeepsThePreviousFile) {
  auto log = AuditLog::Open((dir_ / "sub" / "audit.log").string(), nullptr);
  EXPECT_FALSE(log.ok());  // the directory does not exist
  EXPECT_NE(log.status().message().find("audit.log"), std::string_view::npos);

  std::filesystem::create_directories(dir_ / "sub");
  log = AuditLog::Open((dir_ / "sub" / "audit.log").string(), nullptr);
  ASSERT_TRUE(log.ok());
  std::filesystem::rename(dir_ / "sub", dir_ / "moved");
  EXPECT_FALSE((*log)->Reopen().ok());
  (*log)->OnDecision(Admitted());
  EXPECT_EQ(ReadLines(dir_ / "moved" / "audit.log").size(), 1u);
}

TEST_F(AuditLogTest, JournalOnlyWithoutAFile) {
  std::vector<std::string> journal;
  auto log = AuditLog::Open("", [&](std::string_view line) { journal.emplace_back(line); });
  ASSERT_TRUE(log.ok());
  (*log)->OnDecision(Admitted());
  EXPECT_TRUE((*log)->Reopen().ok());
  EXPECT_EQ(journal.size(), 1u);
}

}  // namespace
}  // namespace pullsentry::plugin
