#include "plugin/verdict_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "verify/crypto/digest.h"

namespace pullsentry::plugin {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

VerdictCacheKey Key(std::string digest = kDigestA, std::string ns = "team", std::string hash = "sha256:p1",
                    std::string reference = "registry.example/team/app:v1") {
  return VerdictCacheKey{std::move(reference), std::move(digest), std::move(ns), std::move(hash)};
}

verify::Verdict VerdictFor(const VerdictCacheKey& key, bool admitted) {
  verify::Verdict v;
  v.admitted = admitted;
  v.image = key.reference;
  v.digest = key.digest;
  v.scope = "registry.example/team";
  v.reason = admitted ? "signed by key team.pub" : "no signature found";
  v.checks = {"policy scope: registry.example/team", "verifier team: satisfied"};
  v.action = admitted ? "verified" : "refused";
  v.kube_namespace = key.kube_namespace;
  v.policy_hash = key.policy_hash;
  if (admitted) v.signers = {"key team.pub (ecdsa-p256 SHA256:x)"};
  v.signature_kinds = {"cosign-key"};
  return v;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// Distinct, well-formed digests.
std::string DigestNumber(int n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  return "sha256:" + std::string(hex);
}

class VerdictCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/verdict-cache-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "verdict-cache.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<VerdictCache> Open(VerdictCacheOptions options = {}, std::string* warning = nullptr) {
    std::string ignored;
    auto cache = VerdictCache::Open(path_, options, [this] { return now_; }, warning ? warning : &ignored);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? std::move(*cache) : nullptr;
  }

  std::vector<fs::path> SetAside() const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir_))
      if (entry.path().filename().string().starts_with("verdict-cache.json.damaged-")) out.push_back(entry.path());
    return out;
  }

  fs::path dir_;
  std::string path_;
  std::chrono::system_clock::time_point now_ = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21};
};

TEST_F(VerdictCacheTest, FindsAVerdictOnlyUnderItsWholeKey) {
  auto cache = Open();
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  auto found = cache->Lookup(Key());
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->admitted);
  EXPECT_EQ(found->signers, VerdictFor(Key(), true).signers);

  // Each part of the key decides something: the digest, the namespace's
  // rules, the policy in force, the name and tag signed identities match.
  EXPECT_FALSE(cache->Lookup(Key(kDigestB)).has_value());
  EXPECT_FALSE(cache->Lookup(Key(kDigestA, "other-team")).has_value());
  EXPECT_FALSE(cache->Lookup(Key(kDigestA, "")).has_value());
  EXPECT_FALSE(cache->Lookup(Key(kDigestA, "team", "sha256:p2")).has_value());
  EXPECT_FALSE(cache->Lookup(Key(kDigestA, "team", "sha256:p1", "registry.example/other/app:v1")).has_value());
  EXPECT_FALSE(cache->Lookup(Key(kDigestA, "team", "sha256:p1", "registry.example/team/app:v2")).has_value());
  EXPECT_EQ(cache->hits(), 1u);
  EXPECT_EQ(cache->misses(), 6u);
}

TEST_F(VerdictCacheTest, RefusalsAndAdmissionsExpireAfterTheirOwnTtl) {
  VerdictCacheOptions options;
  options.admitted_ttl = hours(24);
  options.refused_ttl = minutes(5);
  auto cache = Open(options);
  VerdictCacheKey refused = Key(kDigestB);
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  ASSERT_TRUE(cache->Store(refused, VerdictFor(refused, false)).ok());

  now_ += minutes(4);
  EXPECT_TRUE(cache->Lookup(refused).has_value());
  now_ += minutes(1);
  EXPECT_FALSE(cache->Lookup(refused).has_value()) << "a refusal is kept at most --cache-refused-ttl";
  EXPECT_TRUE(cache->Lookup(Key()).has_value());
  now_ += hours(24);
  EXPECT_FALSE(cache->Lookup(Key()).has_value());
  EXPECT_EQ(cache->Size(), 0u);
}

TEST_F(VerdictCacheTest, NeverUsedPastTheVerdictsValidUntil) {
  auto cache = Open();
  verify::Verdict break_glass = VerdictFor(Key(), true);
  break_glass.action = "break-glass";
  break_glass.valid_until = now_ + minutes(10);
  ASSERT_TRUE(cache->Store(Key(), break_glass).ok());
  ASSERT_EQ(cache->List().size(), 1u);
  EXPECT_EQ(cache->List()[0].expires, now_ + minutes(10));
  now_ += minutes(9);
  EXPECT_TRUE(cache->Lookup(Key()).has_value());
  now_ += minutes(1);
  EXPECT_FALSE(cache->Lookup(Key()).has_value());

  // Already expired: nothing to keep.
  verify::Verdict stale = VerdictFor(Key(kDigestB), true);
  stale.valid_until = now_;
  ASSERT_TRUE(cache->Store(Key(kDigestB), stale).ok());
  EXPECT_EQ(cache->Size(), 0u);
}

TEST_F(VerdictCacheTest, BoundedByEvictingTheLeastRecentlyUsed) {
  VerdictCacheOptions options;
  options.max_entries = 3;
  auto cache = Open(options);
  std::vector<VerdictCacheKey> keys;
  for (char c : std::string("cdef")) keys.push_back(Key("sha256:" + std::string(64, c)));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache->Store(keys[i], VerdictFor(keys[i], true)).ok());
  ASSERT_TRUE(cache->Lookup(keys[0]).has_value());  // now the most recently used
  ASSERT_TRUE(cache->Store(keys[3], VerdictFor(keys[3], true)).ok());
  EXPECT_EQ(cache->Size(), 3u);
  EXPECT_TRUE(cache->Lookup(keys[0]).has_value());
  EXPECT_FALSE(cache->Lookup(keys[1]).has_value()) << "the least recently used goes first";
  EXPECT_TRUE(cache->Lookup(keys[2]).has_value());
  EXPECT_TRUE(cache->Lookup(keys[3]).has_value());
}

TEST_F(VerdictCacheTest, ZeroEntriesCachesNothing) {
  VerdictCacheOptions options;
  options.max_entries = 0;
  auto cache = Open(options);
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  EXPECT_FALSE(cache->Lookup(Key()).has_value());
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(VerdictCacheTest, ZeroRefusedTtlCachesNoRefusals) {
  VerdictCacheOptions options;
  options.refused_ttl = seconds(0);
  auto cache = Open(options);
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), false)).ok());
  EXPECT_EQ(cache->Size(), 0u);
}

TEST_F(VerdictCacheTest, AVerdictForAnotherKeyIsNotStored) {
  auto cache = Open();
  EXPECT_FALSE(cache->Store(Key(kDigestB), VerdictFor(Key(), true)).ok());
  EXPECT_FALSE(cache->Store(Key(kDigestA, "team", "sha256:p2"), VerdictFor(Key(), true)).ok());
  EXPECT_EQ(cache->Size(), 0u);
}

TEST_F(VerdictCacheTest, EntriesSurviveAReopenWithEveryField) {
  verify::Verdict stored = VerdictFor(Key(), true);
  stored.valid_until = now_ + hours(2);
  stored.mode = "warn";
  stored.action = "warn";
  stored.reason = "warn mode, would refuse: \xff not UTF-8";  // registry words may be anything
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(Key(), stored).ok());
    VerdictCacheKey refused = Key(kDigestB, "");
    ASSERT_TRUE(cache->Store(refused, VerdictFor(refused, false)).ok());
  }
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(cache->Size(), 2u);
  auto found = cache->Lookup(Key());
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->admitted);
  EXPECT_EQ(found->action, "warn");
  EXPECT_EQ(found->mode, "warn");
  EXPECT_EQ(found->checks, stored.checks);
  EXPECT_EQ(found->signers, stored.signers);
  EXPECT_EQ(found->signature_kinds, stored.signature_kinds);
  EXPECT_EQ(found->valid_until, stored.valid_until);
  EXPECT_EQ(found->kube_namespace, "team");
  auto refused = cache->Lookup(Key(kDigestB, ""));
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->admitted);
  EXPECT_EQ(refused->valid_until, std::chrono::system_clock::time_point::max());
  auto entries = cache->List();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key.digest, kDigestB) << "most recently used first";
  EXPECT_EQ(entries[1].expires, now_ + hours(2)) << "bounded by valid_until";
}

TEST_F(VerdictCacheTest, ConcurrentStoresAreAllOnDiskWhenTheyReturn) {
  auto cache = Open();
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      VerdictCacheKey key = Key("sha256:" + std::string(62, 'e') + (i < 10 ? "0" : "1") + std::to_string(i % 10));
      EXPECT_TRUE(cache->Store(key, VerdictFor(key, i % 2 == 0)).ok());
    });
  }
  for (auto& t : threads) t.join();
  auto reopened = Open();
  EXPECT_EQ(reopened->Size(), 16u);
}

TEST_F(VerdictCacheTest, ReopeningAppliesTodaysTtlAndDropsExpiredEntries) {
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
    ASSERT_TRUE(cache->Store(Key(kDigestB), VerdictFor(Key(kDigestB), false)).ok());
  }
  now_ += minutes(10);  // the refusal has expired meanwhile
  VerdictCacheOptions shorter;
  shorter.admitted_ttl = hours(1);
  auto cache = Open(shorter);
  ASSERT_EQ(cache->Size(), 1u);
  EXPECT_EQ(cache->List()[0].key.digest, kDigestA);
  EXPECT_EQ(cache->List()[0].expires, now_ - minutes(10) + hours(1));
  EXPECT_TRUE(SetAside().empty());
}

TEST_F(VerdictCacheTest, UnparsableFileIsSetAsideAndNeverTrusted) {
  // Also what a version 1 file (one indented document) looks like.
  { std::ofstream(path_) << "{\n \"checksum\": \"x\",\n \"entries\": [{\n"; }
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_EQ(cache->Size(), 0u);
  EXPECT_NE(warning.find("damaged"), std::string::npos) << warning;
  EXPECT_NE(warning.find("unknown format"), std::string::npos) << warning;
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_EQ(SetAside().size(), 1u);
}

TEST_F(VerdictCacheTest, ATamperedEntryFailsTheChecksumAndTheWholeFileIsSetAside) {
  VerdictCacheKey refused = Key(kDigestB);
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(refused, VerdictFor(refused, false)).ok());
    ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  }
  // Turn the refusal (not the last line) into an admission by hand.
  std::string text = ReadFile(path_);
  size_t at = text.find("\"admitted\":false");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 16, "\"admitted\":true");
  size_t action = text.find("\"action\":\"refused\"");
  ASSERT_NE(action, std::string::npos);
  text.replace(action, 18, "\"action\":\"verified\"");
  WriteFile(path_, text);

  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_NE(warning.find("line 2: checksum mismatch"), std::string::npos) << warning;
  EXPECT_EQ(cache->Size(), 0u) << "not even the untouched entry is trusted";
  EXPECT_FALSE(cache->Lookup(refused).has_value());
  EXPECT_EQ(SetAside().size(), 1u);
}

TEST_F(VerdictCacheTest, AFileOverTheSizeLimitIsSetAsideUnread) {
  {
    std::ofstream out(path_);
    std::string chunk(1 << 20, ' ');
    for (size_t i = 0; i <= VerdictCache::kMaxFileBytes / chunk.size(); ++i) out << chunk;
  }
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_NE(warning.find("larger than"), std::string::npos) << warning;
  EXPECT_EQ(SetAside().size(), 1u);
}

TEST_F(VerdictCacheTest, AWellFormedEntryContradictingItselfIsDamage) {
  // A matching checksum does not make a self-contradicting entry
  // trustworthy: admitted with action "refused". Even on the last line it
  // is damage, not a torn append.
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  }
  std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 2u);
  auto doc = nlohmann::json::parse(lines[1]);
  doc["put"]["verdict"]["action"] = "refused";
  doc["sum"] = crypto::Sha256Digest(doc["put"].dump());
  lines[1] = doc.dump();
  WriteFile(path_, JoinLines(lines));
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_NE(warning.find("contradicts"), std::string::npos) << warning;
  EXPECT_EQ(cache->Size(), 0u);
  EXPECT_EQ(SetAside().size(), 1u);
}

TEST_F(VerdictCacheTest, ATimeBeyondTheClocksRangeIsDamage) {
  // Milliseconds that overflow the clock's nanoseconds (found by fuzzing).
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  }
  std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 2u);
  auto doc = nlohmann::json::parse(lines[1]);
  doc["put"]["expires_ms"] = int64_t{17'953'056'000'000'000};
  doc["sum"] = crypto::Sha256Digest(doc["put"].dump());
  lines[1] = doc.dump();
  WriteFile(path_, JoinLines(lines));
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_NE(warning.find("expires_ms is out of range"), std::string::npos) << warning;
  EXPECT_EQ(cache->Size(), 0u);
}

TEST_F(VerdictCacheTest, FlushEmptiesMemoryAndDisk) {
  auto cache = Open();
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  ASSERT_TRUE(cache->Store(Key(kDigestB), VerdictFor(Key(kDigestB), false)).ok());
  EXPECT_EQ(cache->Flush(), 2u);
  EXPECT_EQ(cache->Size(), 0u);
  cache.reset();
  EXPECT_EQ(Open()->Size(), 0u);
}

TEST_F(VerdictCacheTest, DropOtherPoliciesKeepsOnlyTheOneInForce) {
  auto cache = Open();
  VerdictCacheKey old_policy = Key(kDigestA, "team", "sha256:old");
  ASSERT_TRUE(cache->Store(old_policy, VerdictFor(old_policy, true)).ok());
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  EXPECT_EQ(cache->DropOtherPolicies("sha256:p1"), 1u);
  EXPECT_EQ(cache->Size(), 1u);
  cache.reset();
  auto reopened = Open();
  EXPECT_EQ(reopened->Size(), 1u);
  EXPECT_TRUE(reopened->Lookup(Key()).has_value());
}

TEST_F(VerdictCacheTest, ListShowsLiveEntriesMostRecentFirst) {
  auto cache = Open();
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  now_ += seconds(1);
  ASSERT_TRUE(cache->Store(Key(kDigestB), VerdictFor(Key(kDigestB), false)).ok());
  auto entries = cache->List();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key.digest, kDigestB);
  EXPECT_FALSE(entries[0].verdict.admitted);
  EXPECT_EQ(entries[0].stored, now_);
  EXPECT_EQ(entries[0].expires, now_ + minutes(5));
  EXPECT_EQ(entries[1].key.digest, kDigestA);
  EXPECT_EQ(entries[1].verdict.reason, "signed by key team.pub");
}

TEST_F(VerdictCacheTest, MemoryOnlyCacheWritesNothing) {
  auto cache = VerdictCache::Open("", {}, [this] { return now_; }, nullptr);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->Store(Key(), VerdictFor(Key(), true)).ok());
  EXPECT_TRUE((*cache)->Lookup(Key()).has_value());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(VerdictCacheTest, ATornLastLineIsDroppedAndTheRestIsUsed) {
  {
    auto cache = Open();
    ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
    ASSERT_TRUE(cache->Store(Key(kDigestB), VerdictFor(Key(kDigestB), false)).ok());
  }
  // A crash in the middle of the next append: half a line, no newline.
  std::string text = ReadFile(path_);
  std::string whole = text;
  std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), 3u);
  WriteFile(path_, text + lines[2].substr(0, lines[2].size() / 2));
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(cache->Size(), 2u);
  EXPECT_TRUE(cache->Lookup(Key()).has_value());
  EXPECT_TRUE(SetAside().empty());
  // The next store rewrites the journal, so no line follows the torn one.
  VerdictCacheKey third = Key(DigestNumber(3));
  ASSERT_TRUE(cache->Store(third, VerdictFor(third, true)).ok());
  EXPECT_EQ(Lines(ReadFile(path_)).size(), 4u);
  cache.reset();
  auto reopened = Open({}, &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(reopened->Size(), 3u);
  reopened.reset();

  // A last line whose length reached the disk but whose bytes did not
  // (zeros), newline and all: dropped too.
  WriteFile(path_, whole + std::string(40, '\0') + "\n");
  cache = Open({}, &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(cache->Size(), 2u);
  EXPECT_TRUE(SetAside().empty());
}

TEST_F(VerdictCacheTest, ADamagedLineBeforeTheLastSetsTheWholeFileAside) {
  {
    auto cache = Open();
    for (int i = 0; i < 3; ++i) {
      VerdictCacheKey key = Key(DigestNumber(i));
      ASSERT_TRUE(cache->Store(key, VerdictFor(key, true)).ok());
    }
  }
  std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 4u);
  lines[2].resize(lines[2].size() / 2);  // cut off, yet followed by more lines: not a crash
  WriteFile(path_, JoinLines(lines));
  std::string warning;
  auto cache = Open({}, &warning);
  EXPECT_NE(warning.find("line 3: not valid JSON"), std::string::npos) << warning;
  EXPECT_EQ(cache->Size(), 0u);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_EQ(SetAside().size(), 1u);
}

TEST_F(VerdictCacheTest, StoresAppendOneLineEach) {
  auto cache = Open();
  ASSERT_TRUE(cache->Store(Key(), VerdictFor(Key(), true)).ok());
  for (int i = 0; i < 2000; ++i) {
    size_t before = fs::file_size(path_);
    VerdictCacheKey key = Key(DigestNumber(i));
    ASSERT_TRUE(cache->Store(key, VerdictFor(key, i % 3 == 0)).ok());
    size_t grown = fs::file_size(path_) - before;
    // One line for the one entry, however many the cache holds.
    ASSERT_GT(grown, 200u);
    ASSERT_LT(grown, 1500u) << "store " << i << " wrote more than its own line";
  }
  EXPECT_EQ(Lines(ReadFile(path_)).size(), 2002u);
  cache.reset();
  EXPECT_EQ(Open()->Size(), 2001u);
}

TEST_F(VerdictCacheTest, CompactionKeepsExactlyTheLiveEntries) {
  VerdictCacheOptions options;
  options.max_entries = 10;
  auto cache = Open(options);
  size_t most_lines = 0;
  bool shrank = false;
  for (int i = 0; i < 1100; ++i) {
    // Some keys come back: a replaced entry leaves a dead line too.
    VerdictCacheKey key = Key(DigestNumber(i % 3 == 0 ? 0 : i));
    ASSERT_TRUE(cache->Store(key, VerdictFor(key, true)).ok());
    size_t lines = Lines(ReadFile(path_)).size();
    if (lines < most_lines) shrank = true;
    most_lines = std::max(most_lines, lines);
  }
  EXPECT_TRUE(shrank) << "the journal was never compacted";
  EXPECT_LE(most_lines, 1 + 10 + 1024u);
  std::vector<VerdictCacheEntry> live = cache->List();
  ASSERT_EQ(live.size(), 10u);

  // A policy drop compacts at once: the file then holds exactly the live
  // entries (the other policy's one evicted a tenth, then went itself).
  VerdictCacheKey other = Key(kDigestB, "team", "sha256:other");
  ASSERT_TRUE(cache->Store(other, VerdictFor(other, false)).ok());
  EXPECT_EQ(cache->DropOtherPolicies("sha256:p1"), 1u);
  ASSERT_EQ(cache->Size(), 9u);
  std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 1u + 9u);
  live = cache->List();
  cache.reset();
  auto reopened = Open(options);
  std::vector<VerdictCacheEntry> read_back = reopened->List();
  ASSERT_EQ(read_back.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(read_back[i].key, live[i].key) << "in the same order, entry " << i;
    EXPECT_EQ(read_back[i].expires, live[i].expires);
  }

  // A flush leaves the header alone.
  EXPECT_EQ(reopened->Flush(), 9u);
  EXPECT_EQ(Lines(ReadFile(path_)).size(), 1u);
}

TEST_F(VerdictCacheTest, GroupCommitKeepsEveryStoreOfManyThreads) {
  auto cache = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        VerdictCacheKey key = Key(DigestNumber(t * 1000 + i), "ns-" + std::to_string(t));
        EXPECT_TRUE(cache->Store(key, VerdictFor(key, i % 2 == 0)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<VerdictCacheEntry> live = cache->List();
  ASSERT_EQ(live.size(), 800u);
  cache.reset();
  std::string warning;
  auto reopened = Open({}, &warning);
  EXPECT_EQ(warning, "");
  std::vector<VerdictCacheEntry> read_back = reopened->List();
  ASSERT_EQ(read_back.size(), live.size());
  std::set<VerdictCacheKey> want, got;
  for (const auto& entry : live) want.insert(entry.key);
  for (const auto& entry : read_back) got.insert(entry.key);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace pullsentry::plugin
