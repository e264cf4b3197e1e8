// Notation trust policy → native policy: for many documents and references,
// the native policy resolves to the trust policy Notation selects, with its
// trust material intact; and the native "notation" verifier's inline fields.
#include "trust/notation_import.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trust/native_policy.h"
#include "trust/notation_trust_policy.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::Ref;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Describe(const NotationSignatureVerification& sv, const std::vector<NotationTrustStore>& stores,
                     const std::vector<NotationIdentity>& ids) {
  std::vector<std::string> parts = {std::string(NotationLevelName(sv.level))};
  for (const auto& [check, action] : sv.override) {
    parts.push_back(absl::StrCat(std::string(NotationCheckName(check)), "=", std::string(NotationActionName(action))));
  }
  if (sv.verify_timestamp.has_value()) parts.push_back(std::string(NotationTimestampName(*sv.verify_timestamp)));
  std::vector<std::string> s, i;
  for (const NotationTrustStore& t : stores) s.push_back(t.text);
  for (const NotationIdentity& t : ids) i.push_back(t.text);
  return absl::StrCat(absl::StrJoin(parts, ","), " stores[", absl::StrJoin(s, ","), "] ids[", absl::StrJoin(i, "|"),
                      "]");
}

// "reject" (no applicable policy), "accept" (skip) or "notation NAME …".
std::string NotationDecision(const NotationTrustPolicyDocument& doc, const reference::ImageReference& image) {
  const NotationTrustPolicy* p = doc.Match(image);
  if (p == nullptr) return "reject";
  if (p->signature_verification.level == NotationLevel::kSkip) return "accept";
  return absl::StrCat("notation ", p->name, " ", Describe(p->signature_verification, p->trust_stores,
                                                           p->trusted_identities));
}

std::string NativeDecision(const NativePolicy& policy, const reference::ImageReference& image) {
  ResolvedRule r = policy.Resolve(image, std::nullopt);
  EXPECT_EQ(r.mode, PolicyMode::kEnforce);
  EXPECT_EQ(r.requirement->kind, RequirementNode::Kind::kVerifier);
  const Verifier& v = *r.requirement->verifier;
  switch (v.type) {
    case Verifier::Type::kAccept: return "accept";
    case Verifier::Type::kReject: return "reject";
    case Verifier::Type::kNotation:
      if (!v.notation_verification.has_value()) return "notation without inline policy";
      return absl::StrCat("notation ", v.trust_policy, " ",
                          Describe(*v.notation_verification, v.notation_trust_stores, v.notation_trusted_identities));
    default: return "unexpected verifier type";
  }
}

const std::vector<std::string> kReferences = {
    "busybox",
    "docker.io/library/nginx:1.25",
    std::string("docker.io/library/nginx@") + kDigest,
    "docker.io/library/nginx/extra:v1",
    "docker.io/library:v1",
    "registry.acme-rockets.io/software/net-monitor:v1",
    std::string("registry.acme-rockets.io/software/net-monitor@") + kDigest,
    "registry.acme-rockets.io/software/net-monitor/sub:v1",
    "registry.acme-rockets.io/software/net-monitor/sub/deeper:v1",
    "registry.acme-rockets.io/software/net-logger:v2",
    "registry.acme-rockets.io/software:v1",
    "registry.acme-rockets.io/software/legacy/metrics:v0",
    "registry.acme-rockets.io/software/legacy/metrics/x:v0",
    "registry.acme-rockets.io/software/legacy:v0",
    "registry.acme-rockets.io/other:v1",
    "registry.wabbit-networks.io/software/unsigned/net-utils:v1",
    "registry.wabbit-networks.io/software/unsigned/net-utils/x:v1",
    "registry.wabbit-networks.io/software/unsigned:v1",
    "localhost:5000/net-monitor:v1",
    "localhost/net-monitor:v1",
    "localhost:5001/net-monitor:v1",
    "r.example/a:v1",
    "r.example/a/b:v1",
    "r.example/a/b/c:v1",
    "r.example/a/b/c/d:v1",
    "r.example/a/bc:v1",
    "r.example/ab:v1",
    "r.example:5000/a:v1",
    "ghcr.io/acme/app:latest",
    "R.example/a:v1",
    "R.example/a/b:v1",
    "docker.io/nginx:v1",
};

struct ImportCase {
  std::string name;
  std::string json;
};

std::string Policy(const std::string& name, const std::string& scopes, const std::string& level = "strict",
                   const std::string& extra = R"(,"trustStores":["ca:acme"],"trustedIdentities":["*"])") {
  return R"({"name":")" + name + R"(","registryScopes":)" + scopes + R"(,"signatureVerification":{"level":")" +
         level + "\"}" + (level == "skip" ? "" : extra) + "}";
}

std::string Doc(const std::vector<std::string>& policies) {
  return R"({"version":"1.0","trustPolicies":[)" + absl::StrJoin(policies, ",") + "]}";
}

std::vector<ImportCase> Cases() {
  const std::string dn = R"(,"trustStores":["ca:wabbit","tsa:ts"],"trustedIdentities":["x509.subject: C=US, ST=WA, O=wabbit\\, Inc.", "x509.subject: C=US, ST=OR, O=wabbit"]})";
  return {
      {"GlobalOnly", Doc({Policy("all", R"(["*"])")})},
      {"NoGlobalRefusesTheRest",
       Doc({Policy("nm", R"(["registry.acme-rockets.io/software/net-monitor"])"),
            Policy("skip-utils", R"(["registry.wabbit-networks.io/software/unsigned/net-utils"])", "skip")})},
      {"SpecExample",
       Doc({Policy("wabbit-networks-images",
                   R"(["registry.acme-rockets.io/software/net-monitor","registry.acme-rockets.io/software/net-logger"])",
                   "strict", dn.substr(0, dn.size() - 1)),
            Policy("unsigned-image", R"(["registry.wabbit-networks.io/software/unsigned/net-utils"])", "skip"),
            R"({"name":"use-expired-image","registryScopes":["registry.acme-rockets.io/software/legacy/metrics"],)"
            R"("signatureVerification":{"level":"strict","override":{"expiry":"log","revocation":"skip"}},)"
            R"("trustStores":["ca:acme-rockets"],"trustedIdentities":["*"]})",
            R"({"name":"global-policy-for-all-other-images","registryScopes":["*"],)"
            R"("signatureVerification":{"level":"audit","verifyTimestamp":"afterCertExpiry"},)"
            R"("trustStores":["ca:acme-rockets","ca:acme-rockets-ca2"],"trustedIdentities":["*"]})"})},
      {"NestedScopes",
       Doc({Policy("a", R"(["r.example/a"])"), Policy("abc", R"(["r.example/a/b/c"])", "permissive"),
            Policy("ab-skip", R"(["r.example/a/b"])", "skip"), Policy("glob", R"(["*"])", "audit")})},
      {"NestedScopesNoGlobal",
       Doc({Policy("a", R"(["r.example/a"])"), Policy("abc", R"(["r.example/a/b/c"])", "permissive"),
            Policy("library", R"(["docker.io/library"])")})},
      {"PortsAndDockerHub",
       Doc({Policy("port", R"(["localhost:5000/net-monitor"])"), Policy("hub", R"(["docker.io/library/nginx"])"),
            Policy("r5000", R"(["r.example:5000/a"])", "audit")})},
      // Valid for Notation and converted as they are: capitals in the host
      // (Notation compares exactly) and a short Docker Hub name that no
      // normalised reference ever has.
      {"CapitalHostsAndDeadScopes",
       Doc({Policy("caps", R"(["R.example/a"])"), Policy("short", R"(["docker.io/nginx"])"),
            Policy("all", R"(["*"])", "permissive")})},
      {"NamesTheNativeFormatCannotUse",
       Doc({Policy("has space", R"(["r.example/a"])"), Policy("notation-1", R"(["r.example/a/b"])"),
            Policy("accept", R"(["r.example/a/b/c"])"), Policy("-dash", R"(["*"])")})},
  };
}

class NotationImportEquivalence : public ::testing::TestWithParam<ImportCase> {};

TEST_P(NotationImportEquivalence, EveryReferenceGetsTheSameTrustPolicy) {
  auto doc = NotationTrustPolicyDocument::Parse(GetParam().json);
  ASSERT_TRUE(doc.ok()) << doc.status() << "\n" << GetParam().json;
  auto imported = ImportNotationTrustPolicy(GetParam().json);
  ASSERT_TRUE(imported.ok()) << imported.status();
  auto native = NativePolicy::Parse(imported->native_json, std::string());
  ASSERT_TRUE(native.ok()) << native.status() << "\n" << imported->native_json;
  for (const std::string& ref : kReferences) {
    reference::ImageReference image = Ref(ref);
    EXPECT_EQ(NativeDecision(**native, image), NotationDecision(**doc, image)) << ref << "\n" << imported->native_json;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, NotationImportEquivalence, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<ImportCase>& info) { return info.param.name; });

TEST(NotationImport, WritesReadableNativeJson) {
  auto imported = ImportNotationTrustPolicy(
      Doc({R"({"name":"team","registryScopes":["r.example/team/app"],)"
           R"("signatureVerification":{"level":"permissive","override":{"revocation":"skip"}},)"
           R"("trustStores":["ca:team"],"trustedIdentities":["x509.subject: C=US, ST=WA, O=team"]})",
           Policy("unsigned", R"(["r.example/tools"])", "skip")}));
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->native_json, R"({
  "version": 1,
  "verifiers": {
    "team": {
      "type": "notation",
      "trustPolicy": "team",
      "signatureVerification": {
        "level": "permissive",
        "override": {
          "revocation": "skip"
        }
      },
      "trustStores": [
        "ca:team"
      ],
      "trustedIdentities": [
        "x509.subject: C=US, ST=WA, O=team"
      ]
    }
  },
  "default": {
    "mode": "enforce",
    "require": "reject"
  },
  "scopes": [
    {
      "match": "r.example/team/app",
      "mode": "enforce",
      "require": "team"
    },
    {
      "match": "r.example/team/app/*",
      "mode": "enforce",
      "require": "reject"
    },
    {
      "match": "r.example/tools",
      "mode": "enforce",
      "require": "accept"
    },
    {
      "match": "r.example/tools/*",
      "mode": "enforce",
      "require": "reject"
    }
  ]
}
)");
  ASSERT_EQ(imported->warnings.size(), 1u);
  EXPECT_EQ(imported->warnings[0],
            "trust policy \"unsigned\" (/trustPolicies/1) has level skip: its repositories are admitted without any "
            "signature check (\"accept\")");
}

TEST(NotationImport, PassesOnParseErrors) {
  auto imported = ImportNotationTrustPolicy(R"({"version":"1.0","trustPolicies":[]})");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(std::string(imported.status().message()),
            "/trustPolicies (line 1, column 34): a trust policy document needs at least one trust policy");
}

// The native verifier's inline trust policy (native_policy.md, "notation").
std::string NativeWith(const std::string& verifier) {
  return R"({"version":1,"verifiers":{"nv":)" + verifier + R"(},"default":{"require":"nv"}})";
}

TEST(NativeNotationVerifier, KeepsInlineTrustPolicy) {
  auto p = NativePolicy::Parse(
      NativeWith(R"({"type":"notation","trustPolicy":"acme","signatureVerification":{"level":"audit"},)"
                 R"("trustStores":["ca:acme","tsa:ts"],"trustedIdentities":["x509.subject: C=US, ST=WA, O=acme"]})"),
      std::string());
  ASSERT_TRUE(p.ok()) << p.status();
  const Verifier& v = *(*p)->verifiers().at("nv");
  ASSERT_TRUE(v.notation_verification.has_value());
  EXPECT_EQ(v.notation_verification->level, NotationLevel::kAudit);
  EXPECT_EQ(v.notation_trust_stores.size(), 2u);
  EXPECT_EQ(v.notation_trusted_identities[0].subject.at("O"), "acme");
  EXPECT_FALSE(v.Supported());  // still fails closed until Notation verification lands
}

TEST(NativeNotationVerifier, NameOnlyStillLoads) {
  auto p = NativePolicy::Parse(NativeWith(R"({"type":"notation","trustPolicy":"acme"})"), std::string());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE((*p)->verifiers().at("nv")->notation_verification.has_value());
}

TEST(NativeNotationVerifier, RefusesBadInlinePolicies) {
  struct Case {
    std::string verifier;
    std::string error;
  };
  const Case cases[] = {
      {R"({"type":"notation","trustPolicy":"a","trustStores":["ca:a"]})",
       "/verifiers/nv (line 1, column 32): a notation verifier with an inline trust policy needs all of "
       "\"signatureVerification\", \"trustStores\" and \"trustedIdentities\""},
      {R"({"type":"notation","trustPolicy":"a","signatureVerification":{"level":"skip"},"trustStores":["ca:a"],"trustedIdentities":["*"]})",
       "/verifiers/nv/signatureVerification/level (line 1, column 102): level \"skip\" verifies nothing: require the "
       "built-in \"accept\" instead"},
      {R"({"type":"notation","trustPolicy":"a","signatureVerification":{"level":"strict"},"trustStores":[],"trustedIdentities":["*"]})",
       "/verifiers/nv/trustStores (line 1, column 126): must not be empty"},
      {R"({"type":"notation","trustPolicy":"a","signatureVerification":{"level":"strict"},"trustStores":["ca:a"],"trustedIdentities":[]})",
       "/verifiers/nv/trustedIdentities (line 1, column 155): must not be empty"},
      {R"({"type":"notation","trustPolicy":"a","signatureVerification":{"level":"strict","override":{"integrity":"log"}},"trustStores":["ca:a"],"trustedIdentities":["*"]})",
       "/verifiers/nv/signatureVerification/override/integrity (line 1, column 135): integrity is always enforced "
       "and cannot be overridden"},
      {R"({"type":"notation","trustPolicy":"a","signatureVerification":{"level":"strict"},"trustStores":["ca:a"],"trustedIdentities":["x509.subject: C=US"]})",
       "/verifiers/nv/trustedIdentities/0 (line 1, column 156): distinguished name (DN) \" C=US\" is not valid: it "
       "has no ST attribute; C, ST and O are required at a minimum"},
      {R"({"type":"notation","trustPolicy":"a","trustStore":["ca:a"]})",
       "/verifiers/nv/trustStore (line 1, column 82): unknown field \"trustStore\" in a notation verifier (expected "
       "one of: type, trustPolicy, signatureVerification, trustStores, trustedIdentities, identity)"},
  };
  for (const Case& c : cases) {
    auto p = NativePolicy::Parse(NativeWith(c.verifier), std::string());
    ASSERT_FALSE(p.ok()) << c.verifier;
    EXPECT_EQ(std::string(p.status().message()), c.error);
  }
}

}  // namespace
}  // namespace pullsentry::trust
