#include "trust/containers_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::CryptoDir;
using testing_util::PolicyDir;
using testing_util::ReadFixture;
using testing_util::Ref;

std::string P256() { return CryptoDir() + "/p256.pub.pem"; }

// A policy whose docker scope "registry.example/acme" holds `requirement`.
std::string WithRequirement(const std::string& requirement) {
  return R"({"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/acme":[)" + requirement +
         "]}}}";
}

std::string SigstoreKeyPath(const std::string& extra = "") {
  return R"({"type":"sigstoreSigned","keyPath":")" + P256() + "\"" + extra + "}";
}

absl::StatusOr<std::shared_ptr<const ContainersPolicy>> Parse(const std::string& json) {
  return ContainersPolicy::Parse(json, CryptoDir());
}

// The policy fails to load with exactly `message`.
void ExpectError(const std::string& json, const std::string& message) {
  auto p = Parse(json);
  ASSERT_FALSE(p.ok()) << json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(p.status().message()), message);
}

// The policy fails to load with a message containing `part`.
void ExpectErrorContaining(const std::string& json, const std::string& part) {
  auto p = Parse(json);
  ASSERT_FALSE(p.ok()) << json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(p.status().message()).find(part), std::string::npos) << p.status();
}

const Requirement& OnlyRequirement(const std::shared_ptr<const ContainersPolicy>& p) {
  ScopeMatch m = p->Match(Ref("registry.example/acme/app:v1"));
  EXPECT_EQ(m.scope, "registry.example/acme");
  EXPECT_EQ(m.requirements->size(), 1u);
  return m.requirements->front();
}

TEST(ParsePolicy, MinimalPolicyAppliesTheGlobalDefault) {
  auto p = Parse(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  ASSERT_TRUE(p.ok()) << p.status();
  ScopeMatch m = (*p)->Match(Ref("busybox"));
  EXPECT_EQ(m.scope, "(default)");
  EXPECT_EQ(m.requirements->front().type, Requirement::Type::kInsecureAcceptAnything);
}

TEST(ParsePolicy, SigstoreSignedWithKeyPathLoadsTheKey) {
  auto p = Parse(WithRequirement(SigstoreKeyPath()));
  ASSERT_TRUE(p.ok()) << p.status();
  const Requirement& r = OnlyRequirement(*p);
  EXPECT_EQ(r.type, Requirement::Type::kSigstoreSigned);
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.keys[0].source, P256());
  EXPECT_EQ(r.keys[0].key->Description(), "ecdsa-p256");
  EXPECT_EQ(r.signed_identity.kind, SignedIdentity::Kind::kMatchRepoDigestOrExact);
}

TEST(ParsePolicy, RelativeKeyPathResolvesAgainstTheBaseDirectory) {
  auto p = Parse(WithRequirement(R"({"type":"sigstoreSigned","keyPath":"p384.pub.pem"})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(OnlyRequirement(*p).keys[0].source, CryptoDir() + "/p384.pub.pem");
}

TEST(ParsePolicy, KeyPathsLoadsEveryKey) {
  auto p = Parse(WithRequirement(R"({"type":"sigstoreSigned","keyPaths":["p256.pub.pem","ed25519.pub.pem"]})"));
  ASSERT_TRUE(p.ok()) << p.status();
  const Requirement& r = OnlyRequirement(*p);
  ASSERT_EQ(r.keys.size(), 2u);
  EXPECT_EQ(r.keys[1].key->Description(), "ed25519");
}

TEST(ParsePolicy, KeyDataIsBase64OfThePem) {
  std::string b64 = ReadFixture(CryptoDir() + "/p256.pub.pem.b64");
  auto p = Parse(WithRequirement(R"({"type":"sigstoreSigned","keyData":")" + b64 + "\"}"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(OnlyRequirement(*p).keys[0].source, "keyData");
  auto q = Parse(WithRequirement(R"({"type":"sigstoreSigned","keyDatas":[")" + b64 + "\",\"" + b64 + "\"]}"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(OnlyRequirement(*q).keys[1].source, "keyDatas[1]");
  EXPECT_EQ(OnlyRequirement(*q).keys[0].key->Fingerprint(), OnlyRequirement(*p).keys[0].key->Fingerprint());
}

TEST(ParsePolicy, EverySignedIdentityFormParses) {
  struct Case {
    std::string json;
    SignedIdentity::Kind kind;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"type":"matchExact"})", SignedIdentity::Kind::kMatchExact},
           {R"({"type":"matchRepoDigestOrExact"})", SignedIdentity::Kind::kMatchRepoDigestOrExact},
           {R"({"type":"matchRepository"})", SignedIdentity::Kind::kMatchRepository},
           {R"({"type":"exactReference","dockerReference":"vendor.example/app:1"})",
            SignedIdentity::Kind::kExactReference},
           {R"({"type":"exactRepository","dockerRepository":"vendor.example/app"})",
            SignedIdentity::Kind::kExactRepository},
           {R"({"type":"remapIdentity","prefix":"registry.example/acme","signedPrefix":"vendor.example"})",
            SignedIdentity::Kind::kRemapIdentity},
       }) {
    auto p = Parse(WithRequirement(SigstoreKeyPath(",\"signedIdentity\":" + c.json)));
    ASSERT_TRUE(p.ok()) << p.status() << c.json;
    EXPECT_EQ(OnlyRequirement(*p).signed_identity.kind, c.kind) << c.json;
  }
  auto p = Parse(WithRequirement(SigstoreKeyPath(
      R"(,"signedIdentity":{"type":"remapIdentity","prefix":"registry.example/acme","signedPrefix":"vendor.example"})")));
  EXPECT_EQ(OnlyRequirement(*p).signed_identity.prefix, "registry.example/acme");
  EXPECT_EQ(OnlyRequirement(*p).signed_identity.signed_prefix, "vendor.example");
}

constexpr char kWhere[] = R"(transports.docker["registry.example/acme"][0])";

TEST(RejectPolicy, SignedByIsNotSupportedYet) {
  ExpectError(WithRequirement(R"({"type":"signedBy","keyType":"GPGKeys","keyPath":"/k.gpg"})"),
              std::string(kWhere) + R"(: requirement type "signedBy" is not supported by pullsentry yet)");
}

TEST(RejectPolicy, SignedBaseLayerIsNotSupportedYet) {
  ExpectError(WithRequirement(R"({"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}})"),
              std::string(kWhere) + R"(: requirement type "signedBaseLayer" is not supported by pullsentry yet)");
}

TEST(RejectPolicy, FulcioPkiAndRekorAreNotSupportedYet) {
  for (std::string field : {"fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                            "rekorPublicKeyDatas"}) {
    ExpectError(WithRequirement(SigstoreKeyPath(",\"" + field + "\":{}")),
                std::string(kWhere) + ": sigstoreSigned with \"" + field + "\" is not supported by pullsentry yet");
  }
}

TEST(RejectPolicy, UnknownRequirementType) {
  ExpectError(WithRequirement(R"({"type":"acceptIfSunny"})"),
              std::string(kWhere) + R"(: unknown requirement type "acceptIfSunny")");
}

TEST(RejectPolicy, RequirementWithoutType) {
  ExpectError(WithRequirement(R"({"keyPath":"/k"})"), std::string(kWhere) + R"(: missing field "type")");
}

TEST(RejectPolicy, NotExactlyOneKeySource) {
  std::string msg = std::string(kWhere) + ": exactly one of keyPath, keyPaths, keyData and keyDatas must be specified";
  ExpectError(WithRequirement(R"({"type":"sigstoreSigned"})"), msg);
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"keyPaths":["p384.pub.pem"])")), msg);
  // An empty keyPath counts as absent, as upstream.
  ExpectError(WithRequirement(R"({"type":"sigstoreSigned","keyPath":""})"), msg);
}

TEST(RejectPolicy, EmptyKeyLists) {
  ExpectError(WithRequirement(R"({"type":"sigstoreSigned","keyPaths":[]})"),
              std::string(kWhere) + ".keyPaths: contains no entries");
  ExpectError(WithRequirement(R"({"type":"sigstoreSigned","keyDatas":[]})"),
              std::string(kWhere) + ".keyDatas: contains no entries");
}

TEST(RejectPolicy, MissingKeyFileNamesTheFile) {
  ExpectErrorContaining(WithRequirement(R"({"type":"sigstoreSigned","keyPath":"/nonexistent/cosign.pub"})"),
                        std::string(kWhere) +
                            R"(.keyPath: cannot read key file "/nonexistent/cosign.pub": No such file or directory)");
}

TEST(RejectPolicy, KeyPathThatIsADirectory) {
  ExpectErrorContaining(WithRequirement(R"({"type":"sigstoreSigned","keyPath":"/"})"), "not a regular file");
}

TEST(RejectPolicy, WeakKeyNamesTheFileAndTheReason) {
  ExpectErrorContaining(WithRequirement(R"({"type":"sigstoreSigned","keyPath":"rsa1024.pub.pem"})"),
                        std::string(kWhere) + ".keyPath: key file \"" + CryptoDir() +
                            "/rsa1024.pub.pem\": RSA key of 1024 bits is too weak");
}

TEST(RejectPolicy, BadKeyInKeyPathsNamesItsIndex) {
  ExpectErrorContaining(
      WithRequirement(R"({"type":"sigstoreSigned","keyPaths":["p256.pub.pem","secp256k1.pub.pem"]})"),
      std::string(kWhere) + ".keyPaths[1]: key file");
}

TEST(RejectPolicy, KeyDataThatIsNotBase64OrNotAKey) {
  ExpectErrorContaining(WithRequirement(R"({"type":"sigstoreSigned","keyData":"!!!"})"),
                        std::string(kWhere) + ".keyData: not base64");
  ExpectErrorContaining(WithRequirement(R"({"type":"sigstoreSigned","keyDatas":["aGVsbG8="]})"),
                        std::string(kWhere) + ".keyDatas[0]: no PEM block");
}

TEST(RejectPolicy, UnknownFieldsAnywhere) {
  ExpectError(R"({"default":[{"type":"reject"}],"defualt":[]})",
              R"(unknown field "defualt" in the policy (expected "default" and "transports"))");
  ExpectError(WithRequirement(R"({"type":"reject","keyPath":"/k"})"),
              std::string(kWhere) + R"(: unknown field "keyPath" in reject requirement)");
  ExpectError(WithRequirement(R"({"type":"insecureAcceptAnything","x":1})"),
              std::string(kWhere) + R"(: unknown field "x" in insecureAcceptAnything requirement)");
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"keyType":"GPGKeys")")),
              std::string(kWhere) + R"(: unknown field "keyType" in sigstoreSigned requirement)");
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"matchExact","x":1})")),
              std::string(kWhere) + R"(.signedIdentity: unknown field "x" in matchExact signedIdentity)");
}

TEST(RejectPolicy, InvalidSignedIdentities) {
  std::string at = std::string(kWhere) + ".signedIdentity";
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"matchSomething"})")),
              at + R"(: unknown signedIdentity type "matchSomething")");
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"exactReference"})")),
              at + R"(: missing field "dockerReference")");
  ExpectError(
      WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"exactReference","dockerReference":"a/b"})")),
      at + R"(.dockerReference: "a/b" contains neither a tag nor digest)");
  ExpectErrorContaining(
      WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"exactRepository","dockerRepository":"A/B"})")),
      at + ".dockerRepository: invalid image reference");
  ExpectErrorContaining(WithRequirement(SigstoreKeyPath(
                            R"(,"signedIdentity":{"type":"remapIdentity","prefix":"library/busybox","signedPrefix":"x.example"})")),
                        at + R"(.prefix: prefix "library/busybox" is not valid)");
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":{"type":"remapIdentity","prefix":"x.example"})")),
              at + R"(: missing field "signedPrefix")");
  ExpectError(WithRequirement(SigstoreKeyPath(R"(,"signedIdentity":"matchExact")")),
              at + ": expected an object, got a string");
}

TEST(RejectPolicy, MissingOrEmptyDefault) {
  ExpectError(R"({"transports":{}})", R"("default" is missing: the global default policy is required)");
  ExpectError(R"({"default":[]})", "default: list of verification policy requirements must not be empty");
  ExpectError(R"({"default":{}})", "default: expected a list of requirements, got an object");
}

TEST(RejectPolicy, EmptyRequirementListInAScope) {
  ExpectError(R"({"default":[{"type":"reject"}],"transports":{"docker":{"":[]}}})",
              R"(transports.docker[""]: list of verification policy requirements must not be empty)");
}

TEST(RejectPolicy, OtherTransportsAreCheckedForShape) {
  // Upstream accepts unknown transports; their requirements must still be valid.
  EXPECT_TRUE(Parse(R"({"default":[{"type":"reject"}],"transports":{"atomic":{"h/ns":[{"type":"signedBy",)"
                    R"("keyType":"GPGKeys","keyPath":"/nonexistent"}]},"dir":{"":[{"type":"insecureAcceptAnything"}]}}})")
                  .ok());
  ExpectError(R"({"default":[{"type":"reject"}],"transports":{"dir":{"":[]}}})",
              R"(transports.dir[""]: list of verification policy requirements must not be empty)");
  ExpectError(R"({"default":[{"type":"reject"}],"transports":{"dir":{"":[{"type":"maybe"}]}}})",
              R"(transports.dir[""][0]: unknown requirement type "maybe")");
  ExpectError(R"({"default":[{"type":"reject"}],"transports":{"docker":[]}})",
              "transports.docker: expected an object of scopes, got an array");
}

TEST(RejectPolicy, DuplicateKeys) {
  ExpectError(R"({"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]})",
              R"(duplicate key "default")");
  ExpectError(R"({"default":[{"type":"reject","type":"insecureAcceptAnything"}]})", R"(duplicate key "type")");
}

TEST(RejectPolicy, MalformedJsonNamesLineAndColumn) {
  ExpectErrorContaining("{\n  \"default\": [\n    {\"type\": \"reject\"},\n  ]\n}", "line 4, column 3");
  ExpectErrorContaining("", "malformed JSON");
  ExpectErrorContaining("[]", "policy must be a JSON object, got an array");
}

TEST(RejectPolicy, DeepNestingAndOversizedInput) {
  ExpectErrorContaining(std::string(100000, '['), "nested deeper than 32 levels");
  ExpectErrorContaining(std::string(kMaxPolicyBytes + 1, ' '), "larger than");
}

TEST(LoadPolicy, ReadsAFileAndResolvesKeysNextToIt) {
  auto p = ContainersPolicy::Load(PolicyDir() + "/sigstore-key.json");
  ASSERT_TRUE(p.ok()) << p.status();
  ScopeMatch m = (*p)->Match(Ref("registry.example/acme/app:v1"));
  EXPECT_EQ(m.scope, "registry.example/acme");
  EXPECT_EQ(m.requirements->front().keys[0].source, PolicyDir() + "/../crypto/p256.pub.pem");
  EXPECT_EQ(m.requirements->front().signed_identity.kind, SignedIdentity::Kind::kMatchRepository);
  EXPECT_EQ((*p)->Match(Ref("busybox")).scope, "docker.io/library/busybox");
  EXPECT_EQ((*p)->Match(Ref("quay.io/x/y")).scope, "(default)");
}

TEST(LoadPolicy, ErrorsNameTheFile) {
  auto missing = ContainersPolicy::Load("/nonexistent/policy.json");
  EXPECT_NE(std::string(missing.status().message()).find("\"/nonexistent/policy.json\""), std::string::npos)
      << missing.status();
  auto bad = ContainersPolicy::Load(PolicyDir() + "/signed-by.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "policy \"" + PolicyDir() + "/signed-by.json\": " +
                R"(transports.docker["registry.access.redhat.com"][0]: requirement type "signedBy" is not supported by pullsentry yet)");
}

}  // namespace
}  // namespace pullsentry::trust
