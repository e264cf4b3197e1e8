#include "trust/containers_policy_lint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "trust/containers_policy.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::CryptoDir;
using testing_util::PolicyDir;
using testing_util::ReadFixture;
using Severity = LintFinding::Severity;

std::vector<LintFinding> Errors(const std::vector<LintFinding>& findings) {
  std::vector<LintFinding> out;
  for (const LintFinding& f : findings)
    if (f.severity == Severity::kError) out.push_back(f);
  return out;
}
std::vector<LintFinding> Warnings(const std::vector<LintFinding>& findings) {
  std::vector<LintFinding> out;
  for (const LintFinding& f : findings)
    if (f.severity == Severity::kWarning) out.push_back(f);
  return out;
}

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

// The loader and the linter agree: Parse fails exactly when the linter
// reports an error, and Parse's message (location, ": ", what) ends with the
// message of one of the linter's errors.
void ExpectAgreement(const std::string& text, const std::string& base_dir, const std::string& name) {
  auto parsed = ContainersPolicy::Parse(text, base_dir);
  std::vector<LintFinding> errors = Errors(LintContainersPolicy(text, base_dir));
  EXPECT_EQ(parsed.ok(), errors.empty()) << name << "\nParse: " << parsed.status() << "\nlint:\n" << Dump(errors);
  if (parsed.ok()) return;
  std::string message(parsed.status().message());
  bool found = std::any_of(errors.begin(), errors.end(),
                           [&](const LintFinding& f) { return message.ends_with(f.message); });
  EXPECT_TRUE(found) << name << "\nParse: " << message << "\nlint:\n" << Dump(errors);
}

// One valid policy changed in one place each: the same inputs the loader's
// own tests reject, and some it accepts.
std::string WithRequirement(const std::string& requirement) {
  return R"({"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/acme":[)" + requirement +
         "]}}}";
}

const char* const kOneChangeCases[] = {
    R"({"type":"reject"})",
    R"({"type":"insecureAcceptAnything"})",
    R"({"type":"reject","extra":true})",
    R"({"type":"signedBy","keyType":"GPGKeys","keyPath":"/k.gpg"})",
    R"({"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","fulcio":{}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","pki":{}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","rekorPublicKeyDatas":[]})",
    R"({"type":"acceptIfSunny"})",
    R"({"keyPath":"/k"})",
    R"({"type":7})",
    R"("reject")",
    R"({"type":"sigstoreSigned"})",
    R"({"type":"sigstoreSigned","keyPath":""})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem"})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","keyPaths":["p384.pub.pem"]})",
    R"({"type":"sigstoreSigned","keyPath":"","keyPaths":["p384.pub.pem"]})",
    R"({"type":"sigstoreSigned","keyPath":5})",
    R"({"type":"sigstoreSigned","keyPaths":[]})",
    R"({"type":"sigstoreSigned","keyPaths":"p256.pub.pem"})",
    R"({"type":"sigstoreSigned","keyPaths":["p256.pub.pem",""]})",
    R"({"type":"sigstoreSigned","keyPaths":["p256.pub.pem","secp256k1.pub.pem"]})",
    R"({"type":"sigstoreSigned","keyPath":"rsa1024.pub.pem"})",
    R"({"type":"sigstoreSigned","keyPath":"/nonexistent/cosign.pub"})",
    R"({"type":"sigstoreSigned","keyPath":"/"})",
    R"({"type":"sigstoreSigned","keyData":"!!!"})",
    R"({"type":"sigstoreSigned","keyDatas":["aGVsbG8="]})",
    R"({"type":"sigstoreSigned","keyDatas":[]})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":"matchExact"})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"matchExact","x":1}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"matchSomething"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactReference"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactReference","dockerReference":"a/b"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactReference","dockerReference":"a/b:v1"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactReference","dockerReference":"A/B:v1"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactRepository","dockerRepository":"a/b"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"exactRepository","dockerRepository":3}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"remapIdentity","prefix":"registry.example/acme","signedPrefix":"vendor.example"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"remapIdentity","prefix":"acme","signedPrefix":"vendor.example"}})",
    R"({"type":"sigstoreSigned","keyPath":"p256.pub.pem","signedIdentity":{"type":"remapIdentity","prefix":"registry.example"}})",
};

const char* const kWholeDocumentCases[] = {
    "",
    "{",
    "[]",
    "null",
    R"({})",
    R"({"default":[]})",
    R"({"default":{}})",
    R"({"default":[{"type":"reject"}]})",
    R"({"default":[{"type":"reject"}],"transports":[]})",
    R"({"default":[{"type":"reject"}],"transports":{"docker":[]}})",
    R"({"default":[{"type":"reject"}],"transports":{"docker-daemon":{"":[{"type":"bogus"}]}}})",
    R"({"default":[{"type":"reject"}],"transports":{"docker-daemon":{"":[{"type":"reject","x":1}]}}})",
    R"({"default":[{"type":"reject"}],"transports":{"oci":{"":[]}}})",
    R"({"default":[{"type":"reject"}],"default":[{"type":"reject"}]})",
    R"({"default":[{"type":"reject"}],"extra":1,"transports":{}})",
    R"({"default":[{"type":"reject"}],"transports":{"docker":{"a.example":[{"type":"reject"}],"a.example":[]}}})",
    R"({"default":[{"type":"reject"}]} trailing)",
};

TEST(LintAgreesWithParse, OnOneChangeRequirements) {
  for (const char* requirement : kOneChangeCases) ExpectAgreement(WithRequirement(requirement), CryptoDir(), requirement);
}

TEST(LintAgreesWithParse, OnWholeDocuments) {
  for (const char* doc : kWholeDocumentCases) ExpectAgreement(doc, CryptoDir(), doc);
  std::string deep = R"({"default":[{"type":"reject"}],"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  ExpectAgreement(deep, "", "40 nested arrays");
  ExpectAgreement(std::string(kMaxPolicyBytes + 1, ' '), "", "oversize");
}

TEST(LintAgreesWithParse, OnEveryPolicyFixture) {
  int seen = 0;
  for (const char* sub : {"", "/lint", "/explain"}) {
    std::string dir = PolicyDir() + sub;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      ExpectAgreement(ReadFixture(entry.path()), dir, entry.path().string());
      ++seen;
    }
  }
  EXPECT_GE(seen, 10);
}

// Differential: random one-edit mutations of the fixtures (a byte replaced,
// deleted or duplicated, or a token swapped for another the policy grammar
// uses) must leave the loader and the linter agreeing. Seeded: the same
// inputs every run.
TEST(LintAgreesWithParse, OnMutatedFixtures) {
  std::vector<std::string> fixtures;
  std::string dir = PolicyDir() + "/lint";
  for (const char* name : {"clean.json", "warnings.json", "many-errors.json", "duplicate-key.json"}) {
    fixtures.push_back(ReadFixture(dir + "/" + name));
  }
  const std::vector<std::string> tokens = {
      "\"", "{", "}", "[", "]", ",", ":", "\"reject\"", "\"insecureAcceptAnything\"", "\"sigstoreSigned\"",
      "\"signedBy\"", "\"keyPath\"", "\"keyPaths\"", "\"keyData\"", "\"type\"", "\"signedIdentity\"",
      "\"matchExact\"", "\"exactReference\"", "\"remapIdentity\"", "\"\"", "[]", "{}", "null", "7", "\"fulcio\""};
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state](uint64_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % bound;
  };
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = fixtures[next(fixtures.size())];
    size_t at = next(text.size());
    switch (next(4)) {
      case 0: text[at] = static_cast<char>(next(128)); break;
      case 1: text.erase(at, 1 + next(8)); break;
      case 2: text.insert(at, text.substr(at, 1 + next(16))); break;
      default: text.insert(at, tokens[next(tokens.size())]); break;
    }
    ExpectAgreement(text, dir, "mutation " + std::to_string(i) + ":\n" + text);
    if (!ContainersPolicy::Parse(text, dir).ok()) ++errors;
    if (::testing::Test::HasFailure()) break;  // one input is enough to debug
  }
  // The mutations must reach both outcomes to mean anything.
  EXPECT_GT(errors, 300);
  EXPECT_LT(errors, 2900);
}

TEST(Lint, CleanPolicyHasNoFindings) {
  std::string dir = PolicyDir() + "/lint";
  auto findings = LintContainersPolicy(ReadFixture(dir + "/clean.json"), dir);
  EXPECT_TRUE(findings.empty()) << Dump(findings);
}

TEST(Lint, ReportsEveryErrorNotJustTheFirst) {
  std::string dir = PolicyDir() + "/lint";
  auto errors = Errors(LintContainersPolicy(ReadFixture(dir + "/many-errors.json"), dir));
  EXPECT_GE(errors.size(), 12u) << Dump(errors);
  for (const char* pointer : {
           "/default/0/comment",
           "/transports/docker/registry.example~1team/0",
           "/transports/docker/registry.example~1keyless/0/fulcio",
           "/transports/docker/registry.example~1keyless/0/rekorPublicKeyPath",
           "/transports/docker/registry.example~1missing-key/0/keyPath",
           "/transports/docker/registry.example~1weak-key/0/keyPaths/1",
           "/transports/docker/registry.example~1weak-key/0/keyPaths/2",
           "/transports/docker/registry.example~1two-sources/0",
           "/transports/docker/registry.example~1identity/0/keyData",
           "/transports/docker/registry.example~1identity/0/signedIdentity/extra",
           "/transports/docker/registry.example~1empty",
           "/transports/docker/registry.example~1typo/0",
           "/transports/docker-daemon//0",
           "/defaults",
       }) {
    EXPECT_NE(FindAt(errors, pointer), nullptr) << pointer << "\n" << Dump(errors);
  }
}

TEST(Lint, ErrorsAreInDocumentOrderWithLineAndColumn) {
  std::string dir = PolicyDir() + "/lint";
  auto errors = Errors(LintContainersPolicy(ReadFixture(dir + "/many-errors.json"), dir));
  for (size_t i = 1; i < errors.size(); ++i) {
    EXPECT_LE(std::make_pair(errors[i - 1].line, errors[i - 1].column), std::make_pair(errors[i].line, errors[i].column));
  }
  // "comment" is the second member of the first requirement, on line 2.
  const LintFinding* comment = FindAt(errors, "/default/0/comment");
  ASSERT_NE(comment, nullptr);
  EXPECT_EQ(comment->line, 2);
  EXPECT_EQ(comment->column, 36);
  EXPECT_EQ(comment->message, R"(unknown field "comment" in reject requirement)");
  // A requirement points at its opening brace.
  const LintFinding* signed_by = FindAt(errors, "/transports/docker/registry.example~1team/0");
  ASSERT_NE(signed_by, nullptr);
  EXPECT_EQ(signed_by->line, 6);
  EXPECT_EQ(signed_by->column, 17);
  EXPECT_EQ(signed_by->message, R"(requirement type "signedBy" is not supported by pullsentry yet)");
}

TEST(Lint, SyntaxErrorHasTheParsersPosition) {
  auto findings = LintContainersPolicy("{\n  \"default\": [,]\n}", "");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].line, 2);
  EXPECT_EQ(findings[0].column, 15);
  EXPECT_TRUE(findings[0].message.starts_with("malformed JSON: ")) << findings[0].message;
}

TEST(Lint, DuplicateKeysAreErrorsAtTheSecondOccurrenceAndLintingGoesOn) {
  auto findings = LintContainersPolicy(
      "{\"default\": [{\"type\": \"reject\"}],\n \"default\": [{\"type\": \"reject\", \"x\": 1}]}", "");
  auto errors = Errors(findings);
  ASSERT_EQ(errors.size(), 2u) << Dump(findings);
  EXPECT_EQ(errors[0].message, R"(duplicate key "default")");
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 2);
  EXPECT_EQ(errors[1].pointer, "/default/0/x");
}

TEST(Lint, DuplicateKeyBeforeTooDeepNestingPointsAtTheDuplicate) {
  std::string text = "{\"default\": [{\"type\": \"reject\"}],\n \"default\": 1,\n \"x\": " +
                     std::string(40, '[') + std::string(40, ']') + "}";
  auto findings = LintContainersPolicy(text, "");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].message, R"(duplicate key "default")");
  EXPECT_EQ(findings[0].pointer, "/default");
  EXPECT_EQ(findings[0].line, 2);
}

TEST(Lint, TooDeepNamesThePointer) {
  std::string deep = R"({"default":[{"type":"reject"}],"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  auto findings = LintContainersPolicy(deep, "");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].pointer, "/x" + [] {
    std::string p;
    // The root is level 1 and "x" level 2: the 32nd array is one too many.
    for (int i = 0; i < 31; ++i) p += "/0";
    return p;
  }());
  EXPECT_EQ(findings[0].line, 1);
  EXPECT_EQ(findings[0].column, 35 + 31 + 1);
}

TEST(Lint, PointerEscapesTildeAndSlashAndDecodesEscapes) {
  EXPECT_EQ(JsonPointerToken("a~b/c"), "a~0b~1c");
  auto findings = LintContainersPolicy(
      R"({"default":[{"type":"reject"}],"transports":{"docker":{"r.example/t\u002fx":[{"type":"reject","k":1}]}}})", "");
  ASSERT_EQ(Errors(findings).size(), 1u) << Dump(findings);
  EXPECT_EQ(Errors(findings)[0].pointer, "/transports/docker/r.example~1t~1x/0/k");
  EXPECT_EQ(Errors(findings)[0].column, 95);
}

TEST(LintWarnings, ScopesThatCanNeverMatch) {
  std::string dir = PolicyDir() + "/lint";
  auto warnings = Warnings(LintContainersPolicy(ReadFixture(dir + "/warnings.json"), dir));
  for (const char* scope : {"docker.io~1nginx", "busybox", "index.docker.io", "*.example.com:5000",
                            "registry.example~1team~1",
                            "quay.io~1acme~1app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    const LintFinding* f = FindAt(warnings, std::string("/transports/docker/") + scope);
    ASSERT_NE(f, nullptr) << scope << "\n" << Dump(warnings);
    EXPECT_NE(f->message.find("can never match"), std::string::npos) << f->message;
  }
  const LintFinding* dup = FindAt(warnings, "/transports/docker/docker.io~1nginx");
  EXPECT_NE(dup->message.find(R"(duplicates "docker.io/library/nginx")"), std::string::npos) << dup->message;
  const LintFinding* busybox = FindAt(warnings, "/transports/docker/busybox");
  EXPECT_NE(busybox->message.find(R"(did you mean "docker.io/library/busybox"?)"), std::string::npos)
      << busybox->message;
}

TEST(LintWarnings, NestedAcceptAnythingInsideASignedScope) {
  std::string dir = PolicyDir() + "/lint";
  auto warnings = Warnings(LintContainersPolicy(ReadFixture(dir + "/warnings.json"), dir));
  const LintFinding* f = FindAt(warnings, "/transports/docker/registry.example~1team~1scratch");
  ASSERT_NE(f, nullptr) << Dump(warnings);
  EXPECT_NE(f->message.find(R"(overriding "registry.example/team")"), std::string::npos) << f->message;
}

TEST(LintWarnings, OtherTransportsAndInsecureDefaults) {
  std::string dir = PolicyDir() + "/lint";
  auto warnings = Warnings(LintContainersPolicy(ReadFixture(dir + "/warnings.json"), dir));
  EXPECT_NE(FindAt(warnings, "/transports/docker-daemon"), nullptr) << Dump(warnings);
  EXPECT_EQ(FindAt(warnings, "/transports/oci"), nullptr) << "an empty transport needs no warning";
  EXPECT_NE(FindAt(warnings, "/default"), nullptr) << Dump(warnings);
  // With a docker default "", the global default never applies to a pull.
  auto shadowed = LintContainersPolicy(
      R"({"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"":[{"type":"reject"}]}}})", "");
  EXPECT_TRUE(shadowed.empty()) << Dump(shadowed);
  auto docker_default = LintContainersPolicy(
      R"({"default":[{"type":"reject"}],"transports":{"docker":{"":[{"type":"insecureAcceptAnything"}]}}})", "");
  ASSERT_EQ(docker_default.size(), 1u);
  EXPECT_EQ(docker_default[0].pointer, "/transports/docker/");
}

TEST(LintWarnings, WellFormedScopesOfEveryKindAreQuiet) {
  auto findings = LintContainersPolicy(
      R"({"default":[{"type":"reject"}],"transports":{"docker":{
        "docker.io/library/busybox:1.36":[{"type":"reject"}],
        "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef":[{"type":"reject"}],
        "docker.io/library":[{"type":"reject"}],
        "docker.io":[{"type":"reject"}],
        "localhost":[{"type":"reject"}],
        "localhost:5000/a":[{"type":"reject"}],
        "*.io":[{"type":"reject"}],
        "*.example.co.uk":[{"type":"reject"}],
        "":[{"type":"reject"}]}}})",
      "");
  EXPECT_TRUE(findings.empty()) << Dump(findings);
}

}  // namespace
}  // namespace pullsentry::trust
