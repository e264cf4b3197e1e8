// The native policy linter: agreement with NativePolicy::Parse on every
// fixture and on one-change mutations, every error reported, and each
// warning.
#include "trust/native_policy_lint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "trust/native_policy.h"
#include "trust/native_policy_test_util.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::CryptoDir;
using testing_util::NativeDir;
using testing_util::PolicyDir;
using testing_util::ReadFixture;
using testing_util::TestOptions;
using Severity = LintFinding::Severity;
using Clock = std::chrono::system_clock;

Clock::time_point At(const char* text) {
  auto t = ParsePolicyTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(Clock::time_point{});
}

const Clock::time_point kNow = At("2026-01-15T00:00:00Z");

std::vector<LintFinding> Only(const std::vector<LintFinding>& findings, Severity severity) {
  std::vector<LintFinding> out;
  for (const LintFinding& f : findings)
    if (f.severity == severity) out.push_back(f);
  return out;
}
std::vector<LintFinding> Errors(const std::vector<LintFinding>& f) { return Only(f, Severity::kError); }
std::vector<LintFinding> Warnings(const std::vector<LintFinding>& f) { return Only(f, Severity::kWarning); }

std::string Dump(const std::vector<LintFinding>& findings) {
  std::string out;
  for (const LintFinding& f : findings) {
    out += std::to_string(f.line) + ":" + std::to_string(f.column) +
           (f.severity == Severity::kError ? " error " : " warning ") + f.pointer + ": " + f.message + "\n";
  }
  return out;
}

const LintFinding* FindAt(const std::vector<LintFinding>& findings, const std::string& pointer) {
  for (const LintFinding& f : findings)
    if (f.pointer == pointer) return &f;
  return nullptr;
}

// Parse fails exactly when the linter reports an error, and Parse's message
// ("<pointer> (line L, column C): <what>") is one of the linter's errors:
// same pointer, same position, same words.
void ExpectAgreement(const std::string& text, const NativePolicyOptions& options, const std::string& name) {
  auto parsed = NativePolicy::Parse(text, options);
  std::vector<LintFinding> errors = Errors(LintNativePolicy(text, options, kNow));
  EXPECT_EQ(parsed.ok(), errors.empty()) << name << "\nParse: " << parsed.status() << "\nlint:\n" << Dump(errors);
  if (parsed.ok()) return;
  std::string message(parsed.status().message());
  bool found = std::any_of(errors.begin(), errors.end(), [&](const LintFinding& f) {
    std::string location = f.pointer.empty() ? "(root)" : f.pointer;
    if (f.line > 0) location += " (line " + std::to_string(f.line) + ", column " + std::to_string(f.column) + ")";
    // Errors of the JSON layer carry no pointer in Parse's message.
    return message == location + ": " + f.message || (f.pointer.empty() && message == f.message);
  });
  EXPECT_TRUE(found) << name << "\nParse: " << message << "\nlint:\n" << Dump(errors);
}

std::string LintDir() { return PolicyDir() + "/lint"; }

NativePolicyOptions OptionsFor(const std::string& dir) {
  NativePolicyOptions o;
  o.base_dir = dir;
  o.trust_store_dir = NativeDir() + "/truststore";
  return o;
}

std::string Policy(const std::string& scopes, const std::string& verifiers = R"({"k":{"type":"cosignKey","keys":["team.pub"]}})",
                   const std::string& extra = "") {
  return R"({"version":1,"verifiers":)" + verifiers + R"(,"default":{"require":"reject"},"scopes":)" + scopes +
         extra + "}";
}

// One valid policy changed in one place each.
const std::vector<std::string>& OneChangeCases() {
  static const std::vector<std::string> cases = {
      Policy(R"([{"match":"registry.example","require":"k"}])"),
      Policy(R"([{"match":"registry.example","require":"k","requrie":"k"}])"),
      Policy(R"([{"match":"registry.example"}])"),
      Policy(R"([{"match":"registry.example","require":"kk"}])"),
      Policy(R"([{"match":"registry.example","require":7}])"),
      Policy(R"([{"match":"registry.example","require":{"anyOf":[]}}])"),
      Policy(R"([{"match":"registry.example","require":{"anyOf":"k"}}])"),
      Policy(R"([{"match":"registry.example","require":{"anyOf":["k"],"allOf":["k"]}}])"),
      Policy(R"([{"match":"registry.example","require":{"oneOf":["k"]}}])"),
      Policy(R"([{"match":"registry.example","require":{}}])"),
      Policy(R"([{"match":"registry.example","require":{"allOf":["k",{"anyOf":["accept","nope"]}]}}])"),
      Policy(R"([{"match":"registry.example","require":"k","mode":"enforcing"}])"),
      Policy(R"([{"match":"registry.example","require":"k","mode":3}])"),
      Policy(R"([{"match":"registry.example","require":"k","mode":"warn"}])"),
      Policy(R"([{"match":"","require":"k"}])"),
      Policy(R"([{"match":"library/nginx","require":"k"}])"),
      Policy(R"([{"match":"nginx:latest","require":"k"}])"),
      Policy(R"([{"match":"registry.example/**","require":"k"}])"),
      Policy(R"([{"match":"registry.example/a:v1","require":"k"},{"match":"registry.example/a:v1","require":"k"}])"),
      Policy(R"([{"match":"ghcr.io/acme-*","require":"k"},{"match":"ghcr.io/*-corp","require":"k"}])"),
      Policy(R"([{"match":"registry.example","require":"k"},{"match":"registry.example","require":"reject"}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"repository"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"repo"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"repository","x":1}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"exactReference"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"exactReference","reference":"a/b"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"exactRepository","repository":"a/b:v1"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","identity":{"type":"remap","prefix":"acme"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":{"Dev":{"mode":"warn"}}}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":{"dev":{}}}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":{"dev":{"mode":"warn","x":1}}}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":{"dev":"warn"}}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":[]}])"),
      Policy(R"([{"match":"registry.example","require":"k","namespaces":{"dev":{"require":"nope"}}}])"),
      Policy(R"([])", R"({"k":{"type":"cosignKey"}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keys":[]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keys":["../team.pub"]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keys":["missing.pub"]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keyPaths":["p256.pub.pem","rsa1024.pub.pem"]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keyPaths":["secp256k1.pub.pem"]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keyPaths":[""]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keyPaths":[1]}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keyPaths":"p256.pub.pem"}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keys":["team.pub"],"fulcio":{}}})"),
      Policy(R"([])", R"({"k":{"type":"cosignKey","keys":["team.pub"],"identity":{"type":"exact"}}})"),
      Policy(R"([])", R"({"k":{"type":"cosign"}})"),
      Policy(R"([])", R"({"k":{"type":"accept"}})"),
      Policy(R"([])", R"({"k":{}})"),
      Policy(R"([])", R"({"k":{"type":""}})"),
      Policy(R"([])", R"({"k":"cosignKey"})"),
      Policy(R"([])", R"({"accept":{"type":"cosignKey","keys":["team.pub"]}})"),
      Policy(R"([])", R"({"-k":{"type":"cosignKey","keys":["team.pub"]}})"),
      Policy(R"([])", R"([])"),
      Policy(R"([])", R"({"k":{"type":"keyless","issuer":"https://i","subject":"s","trustedRoot":"r"}})"),
      Policy(R"([])", R"({"k":{"type":"keyless","issuer":"https://i","issuerRegex":"x","subject":"s","trustedRoot":"r"}})"),
      Policy(R"([])", R"({"k":{"type":"keyless","issuerRegex":"(","subject":"s","trustedRoot":"r"}})"),
      Policy(R"([])", R"({"k":{"type":"keyless","issuer":"https://i","subject":"s"}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp"}})"),
      Policy(R"([])", R"({"k":{"type":"notation"}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"strict"},"trustStores":["ca:acme"],"trustedIdentities":["*"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"strict","override":{"expiry":"log","revocation":"skip"}},"trustStores":["ca:acme","ca:acme2"],"trustedIdentities":["x509.subject: C=US, O=acme"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"strict"},"trustStores":["ca:acme"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"skip"},"trustStores":["ca:acme"],"trustedIdentities":["*"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"bogus"},"trustStores":["ca:acme"],"trustedIdentities":["*"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"strict"},"trustStores":[],"trustedIdentities":[]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":{"level":"strict"},"trustStores":["acme"],"trustedIdentities":["*","x509.subject: C=US"]}})"),
      Policy(R"([])", R"({"k":{"type":"notation","trustPolicy":"tp","signatureVerification":"strict","trustStores":"ca:acme","trustedIdentities":"*"}})"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-12-01T00:00:00Z"}])"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123","reason":"r","expires":"2026-12-01T00:00:00Z"}])"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","expires":"2026-12-01T00:00:00Z"}])"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"tomorrow"}])"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-12-01T00:00:00Z"},{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-12-01T00:00:00Z"}])"),
      Policy(R"([])", "{}", R"(,"breakGlass":{})"),
      Policy(R"([])", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-12-01T00:00:00Z","who":"me"}])"),
      Policy(R"({})"),
      Policy(R"([7])"),
  };
  return cases;
}

const char* const kWholeDocumentCases[] = {
    "",
    "{",
    "[]",
    "null",
    R"({})",
    R"({"version":1})",
    R"({"version":2,"default":{"require":"reject"}})",
    R"({"version":"1","default":{"require":"reject"}})",
    R"({"version":1,"default":{"require":"reject"}})",
    R"({"version":1,"default":{"require":"reject","match":"x"}})",
    R"({"version":1,"default":{"mode":"audit"}})",
    R"({"version":1,"default":"reject"})",
    R"({"version":1,"default":{"require":"reject"},"extra":1})",
    R"({"version":1,"default":{"require":"reject"},"version":1})",
    R"({"version":1,"default":{"require":"reject"}} trailing)",
    R"({"default":{"require":"reject"}})",
};

TEST(NativeLintAgreesWithParse, OnOneChangePolicies) {
  NativePolicyOptions options = TestOptions();
  for (const std::string& text : OneChangeCases()) ExpectAgreement(text, options, text);
}

TEST(NativeLintAgreesWithParse, OnWholeDocuments) {
  for (const char* doc : kWholeDocumentCases) ExpectAgreement(doc, TestOptions(), doc);
  std::string deep = R"({"version":1,"default":{"require":"reject"},"x":)" + std::string(40, '[') +
                     std::string(40, ']') + "}";
  ExpectAgreement(deep, TestOptions(), "40 nested arrays");
  ExpectAgreement(std::string(kMaxNativePolicyBytes + 1, ' '), TestOptions(), "oversize");
}

// Every native policy in the tree: test fixtures, and what is shipped.
std::vector<std::filesystem::path> NativeFixtures() {
  std::vector<std::filesystem::path> out;
  std::string root = std::string(PULLSENTRY_FIXTURES_DIR) + "/../..";
  for (std::string dir : {NativeDir(), LintDir(), PolicyDir() + "/explain", root + "/packaging/policy",
                          root + "/packaging/policy/examples"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      if (!LooksLikeNativePolicy(ReadFixture(entry.path()))) continue;
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(NativeLintAgreesWithParse, OnEveryNativeFixture) {
  int seen = 0;
  for (const auto& path : NativeFixtures()) {
    ExpectAgreement(ReadFixture(path), OptionsFor(path.parent_path().string()), path.string());
    ++seen;
  }
  EXPECT_GE(seen, 5);
}

// Random one-edit mutations of the fixtures (a byte replaced, deleted or
// duplicated, or a token of the grammar inserted) leave the loader and the
// linter agreeing. Seeded: the same inputs every run.
TEST(NativeLintAgreesWithParse, OnMutatedFixtures) {
  std::vector<std::pair<std::string, std::string>> fixtures;  // text, dir
  for (const auto& path : NativeFixtures()) fixtures.emplace_back(ReadFixture(path), path.parent_path().string());
  ASSERT_FALSE(fixtures.empty());
  const std::vector<std::string> tokens = {
      "\"", "{", "}", "[", "]", ",", ":", "\"reject\"", "\"accept\"", "\"cosignKey\"", "\"keyless\"",
      "\"notation\"", "\"keys\"", "\"keyPaths\"", "\"type\"", "\"identity\"", "\"anyOf\"", "\"allOf\"",
      "\"require\"", "\"match\"", "\"mode\"", "\"warn\"", "\"namespaces\"", "\"remap\"", "\"*\"", "*", "/",
      "\"\"", "[]", "{}", "null", "7", "\"version\"", "\"expires\"", "\"digest\""};
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state](uint64_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % bound;
  };
  int errors = 0;
  constexpr int kRounds = 3000;
  for (int i = 0; i < kRounds; ++i) {
    const auto& [original, dir] = fixtures[next(fixtures.size())];
    std::string text = original;
    size_t at = next(text.size());
    switch (next(4)) {
      case 0: text[at] = static_cast<char>(next(128)); break;
      case 1: text.erase(at, 1 + next(8)); break;
      case 2: text.insert(at, text.substr(at, 1 + next(16))); break;
      default: text.insert(at, tokens[next(tokens.size())]); break;
    }
    NativePolicyOptions options = OptionsFor(dir);
    ExpectAgreement(text, options, "mutation " + std::to_string(i) + ":\n" + text);
    if (!NativePolicy::Parse(text, options).ok()) ++errors;
    if (::testing::Test::HasFailure()) break;  // one input is enough to debug
  }
  EXPECT_GT(errors, kRounds / 10);
  EXPECT_LT(errors, kRounds * 97 / 100);
}

TEST(NativeLint, WorkedExampleHasNoErrors) {
  auto findings = LintNativePolicy(ReadFixture(NativeDir() + "/example.json"), OptionsFor(NativeDir()), kNow);
  EXPECT_TRUE(Errors(findings).empty()) << Dump(findings);
}

TEST(NativeLint, CleanFixtureHasNoFindings) {
  auto findings = LintNativePolicy(ReadFixture(LintDir() + "/native-clean.json"), OptionsFor(LintDir()), kNow);
  EXPECT_TRUE(findings.empty()) << Dump(findings);
}

TEST(NativeLint, ReportsEveryErrorNotJustTheFirst) {
  auto errors = Errors(LintNativePolicy(ReadFixture(LintDir() + "/native-many-errors.json"), OptionsFor(LintDir()), kNow));
  EXPECT_GE(errors.size(), 12u) << Dump(errors);
  for (const char* pointer : {"/comment", "/verifiers/typo/type", "/verifiers/no-keys", "/verifiers/missing/keyPaths/0",
                              "/verifiers/both/subjectRegex", "/verifiers/both", "/scopes/0/requrie", "/scopes/0",
                              "/scopes/1/require/anyOf/1", "/scopes/2/mode", "/scopes/3/match",
                              "/scopes/4/namespaces/Dev", "/breakGlass/0/digest", "/breakGlass/1/expires"}) {
    EXPECT_NE(FindAt(errors, pointer), nullptr) << pointer << "\n" << Dump(errors);
  }
  for (size_t i = 1; i < errors.size(); ++i) {
    EXPECT_LE(std::make_pair(errors[i - 1].line, errors[i - 1].column), std::make_pair(errors[i].line, errors[i].column));
  }
}

TEST(NativeLint, UnknownKeysAreErrorsEverywhere) {
  auto errors = Errors(LintNativePolicy(
      R"({"version":1,"x":1,"default":{"require":"reject","y":2},"scopes":[{"match":"r.example","require":"reject","z":3}],)"
      R"("breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-12-01T00:00:00Z","w":4}]})",
      TestOptions(), kNow));
  ASSERT_EQ(errors.size(), 4u) << Dump(errors);
  EXPECT_EQ(errors[0].pointer, "/x");
  EXPECT_EQ(errors[1].pointer, "/default/y");
  EXPECT_EQ(errors[2].pointer, "/scopes/0/z");
  EXPECT_EQ(errors[3].pointer, "/breakGlass/0/w");
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(errors[0].column, 18);
}

TEST(NativeLint, SyntaxErrorHasTheParsersPosition) {
  auto findings = LintNativePolicy("{\n  \"version\": [,]\n}", TestOptions(), kNow);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].line, 2);
  EXPECT_EQ(findings[0].column, 15);
}

TEST(NativeLintWarnings, EveryKindInTheWarningsFixture) {
  auto findings = LintNativePolicy(ReadFixture(LintDir() + "/native-warnings.json"), OptionsFor(LintDir()), kNow);
  EXPECT_TRUE(Errors(findings).empty()) << Dump(findings);
  auto warnings = Warnings(findings);
  auto expect = [&](const std::string& pointer, const std::string& words) {
    bool found = false;
    for (const LintFinding& f : warnings) found = found || (f.pointer == pointer && f.message.find(words) != std::string::npos);
    EXPECT_TRUE(found) << pointer << " \"" << words << "\"\n" << Dump(warnings);
  };
  expect("/verifiers/old-key", "declared but no requirement uses it");
  expect("/verifiers/ci-keyless", "cannot verify yet");
  expect("/verifiers/signer-notation", "cannot verify yet");
  expect("/default/namespaces/sandbox/require", "without any verification");
  expect("/scopes/0/match", "can never win");
  expect("/scopes/2/match", "can win only for an image named exactly");
  expect("/scopes/4/require", "without any verification");
  expect("/scopes/5/mode", "\"warn\"");
  expect("/scopes/5/namespaces/legacy/mode", "\"audit\"");
  expect("/breakGlass/0/expires", "expired");
  expect("/breakGlass/1/expires", "standing exception");
  EXPECT_EQ(FindAt(warnings, "/breakGlass/2/expires"), nullptr) << "an entry expiring within 30 days is fine";
}

TEST(NativeLintWarnings, BreakGlassExpiryIsJudgedAgainstNow) {
  std::string text = Policy("[]", "{}", R"(,"breakGlass":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","reason":"r","expires":"2026-02-01T00:00:00Z"}])");
  EXPECT_TRUE(LintNativePolicy(text, TestOptions(), At("2026-01-15T00:00:00Z")).empty());
  EXPECT_EQ(Warnings(LintNativePolicy(text, TestOptions(), At("2026-02-01T00:00:00Z"))).size(), 1u) << "expires is exclusive";
  EXPECT_EQ(Warnings(LintNativePolicy(text, TestOptions(), At("2025-12-01T00:00:00Z"))).size(), 1u) << "62 days out";
  EXPECT_TRUE(LintNativePolicy(text, TestOptions(), At("2026-01-02T00:00:00Z")).empty()) << "exactly 30 days is fine";
}

TEST(NativeLintWarnings, AcceptInsideAnUnsupportedOrAllOfTreeIsNotUnverified) {
  std::string verifiers = R"({"k":{"type":"cosignKey","keys":["team.pub"]}})";
  auto quiet = LintNativePolicy(Policy(R"([{"match":"r.example","require":{"allOf":["accept","k"]}}])", verifiers),
                                TestOptions(), kNow);
  EXPECT_TRUE(quiet.empty()) << Dump(quiet);
  auto loud = LintNativePolicy(Policy(R"([{"match":"r.example","require":{"anyOf":["accept","k"]}}])", verifiers),
                               TestOptions(), kNow);
  ASSERT_EQ(loud.size(), 1u) << Dump(loud);
  EXPECT_EQ(loud[0].pointer, "/scopes/0/require");
}

TEST(LooksLikeNativePolicy, RecognisesTheVersionKeyAtTopLevelOnly) {
  EXPECT_TRUE(LooksLikeNativePolicy(R"({"version":1})"));
  EXPECT_TRUE(LooksLikeNativePolicy(" {\n \"default\": {\"x\": [1, \"version\"]}, \"version\" : 1, oops"));
  EXPECT_TRUE(LooksLikeNativePolicy(R"({"a":"b\"c","version":1})"));
  EXPECT_FALSE(LooksLikeNativePolicy(R"({"default":[{"type":"reject"}],"transports":{"version":{}}})"));
  EXPECT_FALSE(LooksLikeNativePolicy(R"({"default":"version"})"));
  EXPECT_FALSE(LooksLikeNativePolicy(R"(["version"])"));
  EXPECT_FALSE(LooksLikeNativePolicy(""));
  EXPECT_FALSE(LooksLikeNativePolicy(R"({"versio)"));
}

}  // namespace
}  // namespace pullsentry::trust
