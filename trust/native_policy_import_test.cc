// containers-policy.json → native policy: the same scope and the same
// requirements for every image, on many policies and references.
#include "trust/native_policy_import.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trust/containers_policy.h"
#include "trust/native_policy.h"
#include "trust/native_policy_test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::CryptoDir;
using testing_util::Ref;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string IdentityName(const SignedIdentity& id) {
  switch (id.kind) {
    case SignedIdentity::Kind::kMatchRepoDigestOrExact: return "matchRepoDigestOrExact";
    case SignedIdentity::Kind::kMatchExact: return "matchExact";
    case SignedIdentity::Kind::kMatchRepository: return "matchRepository";
    case SignedIdentity::Kind::kExactReference: return "exactReference:" + id.docker_reference;
    case SignedIdentity::Kind::kExactRepository: return "exactRepository:" + id.docker_repository;
    case SignedIdentity::Kind::kRemapIdentity: return "remapIdentity:" + id.prefix + "=" + id.signed_prefix;
  }
  return "?";
}

std::string KeysOf(const std::vector<NamedKey>& keys) {
  std::vector<std::string> out;
  for (const NamedKey& k : keys) out.push_back(k.source + "=" + k.key->Fingerprint());
  return absl::StrJoin(out, ",");
}

// "scope | req; req; …" for the containers policy …
std::string ContainersDecision(const ContainersPolicy& p, const reference::ImageReference& image) {
  ScopeMatch m = p.Match(image);
  std::string scope = m.scope.empty() ? "(default)" : m.scope;
  std::vector<std::string> reqs;
  for (const Requirement& r : *m.requirements) {
    switch (r.type) {
      case Requirement::Type::kInsecureAcceptAnything: reqs.push_back("accept"); break;
      case Requirement::Type::kReject: reqs.push_back("reject"); break;
      case Requirement::Type::kSigstoreSigned:
        reqs.push_back(absl::StrCat("key[", KeysOf(r.keys), "] ", IdentityName(r.signed_identity)));
        break;
    }
  }
  return absl::StrCat(scope, " | ", absl::StrJoin(reqs, "; "));
}

// … and the same for the native one. "*.d:*" is the port-carrying half of
// the containers scope "*.d".
std::string NativeDecision(const NativePolicy& p, const reference::ImageReference& image) {
  ResolvedRule r = p.Resolve(image, std::nullopt);
  std::string scope = r.scope->pattern;
  if (scope.starts_with("*.") && scope.ends_with(":*")) scope.resize(scope.size() - 2);
  std::vector<const RequirementNode*> leaves;
  if (r.requirement->kind == RequirementNode::Kind::kAllOf) {
    for (const RequirementNode& c : r.requirement->children) leaves.push_back(&c);
  } else {
    leaves.push_back(r.requirement);
  }
  std::vector<std::string> reqs;
  for (const RequirementNode* n : leaves) {
    EXPECT_EQ(n->kind, RequirementNode::Kind::kVerifier);
    const Verifier& v = *n->verifier;
    if (v.type == Verifier::Type::kAccept) {
      reqs.push_back("accept");
    } else if (v.type == Verifier::Type::kReject) {
      reqs.push_back("reject");
    } else {
      reqs.push_back(absl::StrCat("key[", KeysOf(v.keys), "] ", IdentityName(EffectiveIdentity(r, v))));
    }
  }
  EXPECT_EQ(r.mode, PolicyMode::kEnforce);
  return absl::StrCat(scope, " | ", absl::StrJoin(reqs, "; "));
}

const std::vector<std::string> kReferences = {
    "busybox",
    "busybox:1.36",
    std::string("busybox@") + kDigest,
    std::string("busybox:latest@") + kDigest,
    "docker.io/library/alpine:3.19",
    "someone/app:v1",
    "registry.example/app:v1",
    "registry.example/team/app:v1",
    "registry.example/team/app:v2",
    std::string("registry.example/team/app@") + kDigest,
    "registry.example/team/app/sub:v1",
    "registry.example/team/other:v1",
    "registry.example/public-mirror/x:v1",
    "registry.example:5000/team/app:v1",
    "registry.example:5001/x:v1",
    "a.example.com/x:v1",
    "a.b.example.com/x:v1",
    "a.b.example.com:5000/x:v1",
    "example.com/x:v1",
    "b.example.com/x:v1",
    "c.b.example.com/deep/ns/x:v1",
    "quay.io/x/y:v1",
    "a.quay.io/x/y:v1",
    "localhost/app:v1",
    "localhost:5000/app:v1",
    "[::1]:5000/app:v1",
    "mirror.example/acme/app:v1",
    "ghcr.io/acme/app:v1",
    "ghcr.io/acme/app:latest",
};

struct ImportCase {
  std::string name;
  std::string containers_json;
};

std::string Key(const std::string& file, const std::string& identity = "") {
  return R"({"type":"sigstoreSigned","keyPath":")" + file + "\"" +
         (identity.empty() ? "" : R"(,"signedIdentity":)" + identity) + "}";
}

std::vector<ImportCase> ImportCases() {
  return {
      {"GlobalDefaultOnly", R"({"default":[{"type":"insecureAcceptAnything"}]})"},
      {"EveryScopeKind",
       R"({"default":[{"type":"reject"}],"transports":{"docker":{)"
       R"("":[{"type":"insecureAcceptAnything"}],)"
       R"("docker.io/library/busybox:latest":[{"type":"reject"}],)"
       R"("docker.io/library/busybox@)" + std::string(kDigest) + R"(":[{"type":"insecureAcceptAnything"}],)"
       R"("docker.io/library":[{"type":"reject"}],)"
       R"("registry.example":[{"type":"reject"}],)"
       R"("registry.example/team":[{"type":"insecureAcceptAnything"}],)"
       R"("registry.example/team/app":[{"type":"reject"}],)"
       R"("registry.example/team/app:v1":[{"type":"insecureAcceptAnything"}],)"
       R"("registry.example:5000":[{"type":"insecureAcceptAnything"}],)"
       R"("*.example.com":[{"type":"insecureAcceptAnything"}],)"
       R"("*.b.example.com":[{"type":"reject"}],)"
       R"("*.com":[{"type":"reject"}],)"
       R"("b.example.com":[{"type":"reject"},{"type":"insecureAcceptAnything"}],)"
       R"("localhost:5000":[{"type":"insecureAcceptAnything"}],)"
       R"("[::1]:5000":[{"type":"insecureAcceptAnything"}],)"
       R"("*.io":[{"type":"insecureAcceptAnything"}])"
       R"(}}})"},
      {"NoDockerDefaultFallsBackToGlobal",
       R"({"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{)"
       R"("quay.io":[{"type":"reject"}],"*.example.com":[{"type":"reject"}]}}})"},
      {"OtherTransportsAreIgnored",
       R"({"default":[{"type":"reject"}],"transports":{"oci":{"":[{"type":"insecureAcceptAnything"}]},)"
       R"("docker":{"ghcr.io/acme":[{"type":"insecureAcceptAnything"}]}}})"},
      {"SigstoreKeysAndIdentities",
       R"({"default":[{"type":"reject"}],"transports":{"docker":{)"
       R"("registry.example/team":[)" + Key("p256.pub.pem", R"({"type":"matchRepository"})") + "]," +
       R"("registry.example/team/app":[)" + Key("p256.pub.pem") + "," + Key("rsa2048.pub.pem", R"({"type":"matchExact"})") + "]," +
       R"("ghcr.io/acme":[{"type":"sigstoreSigned","keyPaths":["p384.pub.pem",")" + CryptoDir() +
       R"(/ed25519.pub.pem"],"signedIdentity":{"type":"exactRepository","dockerRepository":"ghcr.io/acme/app"}}],)" +
       R"("ghcr.io/acme/app:latest":[)" + Key("p256.pub.pem", R"({"type":"exactReference","dockerReference":"ghcr.io/acme/app:v1"})") + "]," +
       R"("mirror.example":[)" + Key("p256.pub.pem", R"({"type":"remapIdentity","prefix":"mirror.example/acme","signedPrefix":"registry.example/team"})") + "]," +
       R"("quay.io":[)" + Key("p256.pub.pem", R"({"type":"matchRepository"})") + "," + Key("p256.pub.pem", R"({"type":"matchRepository"})") + "]" +
       R"(}}})"},
  };
}

class ImportEquivalence : public ::testing::TestWithParam<ImportCase> {};

TEST_P(ImportEquivalence, EveryReferenceGetsTheSameScopeAndRequirements) {
  auto containers = ContainersPolicy::Parse(GetParam().containers_json, CryptoDir());
  ASSERT_TRUE(containers.ok()) << containers.status();
  auto text = ImportContainersPolicy(GetParam().containers_json, CryptoDir());
  ASSERT_TRUE(text.ok()) << text.status();
  auto native = NativePolicy::Parse(*text, "/elsewhere");  // key paths were made absolute
  ASSERT_TRUE(native.ok()) << native.status() << "\n" << *text;
  for (const std::string& ref : kReferences) {
    reference::ImageReference image = Ref(ref);
    EXPECT_EQ(NativeDecision(**native, image), ContainersDecision(**containers, image)) << ref << "\n" << *text;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ImportEquivalence, ::testing::ValuesIn(ImportCases()),
                         [](const ::testing::TestParamInfo<ImportCase>& info) { return info.param.name; });

TEST(Import, WritesReadableNativeJson) {
  auto text = ImportContainersPolicy(
      R"({"default":[{"type":"reject"}],"transports":{"docker":{"*.example.com":[)" + Key("p256.pub.pem") +
          R"(],"registry.example/public":[{"type":"insecureAcceptAnything"}]}}})",
      CryptoDir());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, R"({
  "version": 1,
  "verifiers": {
    "key-1": {
      "type": "cosignKey",
      "keyPaths": [
        ")" + CryptoDir() + R"(/p256.pub.pem"
      ]
    }
  },
  "default": {
    "mode": "enforce",
    "require": "reject"
  },
  "scopes": [
    {
      "match": "*.example.com",
      "mode": "enforce",
      "require": "key-1"
    },
    {
      "match": "*.example.com:*",
      "mode": "enforce",
      "require": "key-1"
    },
    {
      "match": "registry.example/public",
      "mode": "enforce",
      "require": "accept"
    }
  ]
}
)");
}

TEST(Import, IdenticalRequirementsShareOneVerifier) {
  auto text = ImportContainersPolicy(R"({"default":[)" + Key("p256.pub.pem") + R"(],"transports":{"docker":{"quay.io":[)" +
                                         Key("p256.pub.pem") + "]}}}",
                                     CryptoDir());
  ASSERT_TRUE(text.ok()) << text.status();
  auto native = NativePolicy::Parse(*text, "");
  ASSERT_TRUE(native.ok()) << native.status();
  EXPECT_EQ((*native)->verifiers().size(), 3u);  // key-1, accept, reject
}

TEST(Import, RefusesInlineKeys) {
  std::string b64 = testing_util::ReadFixture(CryptoDir() + "/p256.pub.pem.b64");
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  auto text = ImportContainersPolicy(
      R"({"default":[{"type":"sigstoreSigned","keyData":")" + b64 + R"("}]})", CryptoDir());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(std::string(text.status().message()),
            "cannot convert default[0]: inline keys (keyData, keyDatas) have no native form; write the key to a "
            "file and use keyPath");
}

TEST(Import, RefusesScopesThatCanNeverMatch) {
  auto text = ImportContainersPolicy(
      R"({"default":[{"type":"reject"}],"transports":{"docker":{"library/busybox":[{"type":"reject"}]}}})", "");
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(std::string(text.status().message())
                  .starts_with("cannot convert transports.docker[\"library/busybox\"]: the scope can never match an "
                               "image (scope \"library/busybox\": not a registry host"))
      << text.status();
}

TEST(Import, PassesOnContainersPolicyErrors) {
  auto text = ImportContainersPolicy(R"({"transports":{}})", "");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(std::string(text.status().message()), "\"default\" is missing: the global default policy is required");
}

}  // namespace
}  // namespace pullsentry::trust
