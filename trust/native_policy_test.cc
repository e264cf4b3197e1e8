// Loading the native policy: the worked example, every error with its JSON
// pointer, unknown keys, limits, keys and the content hash.
#include "trust/native_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trust/native_policy_internal.h"
#include "trust/native_policy_test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::CryptoDir;
using testing_util::MustParseNative;
using testing_util::NativeDir;
using testing_util::ParseNative;
using testing_util::Ref;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Policy(const std::string& scopes, const std::string& verifiers = "{}", const std::string& extra = "") {
  return R"({"version":1,"verifiers":)" + verifiers + R"(,"default":{"require":"reject"},"scopes":)" + scopes +
         extra + "}";
}

TEST(NativePolicyLoad, WorkedExampleLoadsAndResolves) {
  auto p = NativePolicy::Load(NativeDir() + "/example.json", NativeDir() + "/truststore");
  ASSERT_TRUE(p.ok()) << p.status();
  const NativePolicy& policy = **p;
  EXPECT_EQ(policy.scopes().size(), 5u);
  EXPECT_EQ(policy.verifiers().size(), 6u);  // four declared, accept and reject
  EXPECT_EQ(policy.verifiers().at("team-key")->keys.at(0).key->Description(), "ecdsa-p256");
  EXPECT_EQ(policy.verifiers().at("release-key")->keys.at(0).key->Description(), "rsa-2048");
  EXPECT_EQ(policy.verifiers().at("mirror-key")->keys.at(0).source, NativeDir() + "/../crypto/p384.pub.pem");

  ResolvedRule app = policy.Resolve(Ref("registry.example/acme/app:v1"), std::nullopt);
  EXPECT_EQ(app.scope->pattern, "registry.example/acme");
  EXPECT_EQ(DescribeRequirement(*app.requirement), "anyOf(team-key, release-key)");
  EXPECT_EQ(app.mode, PolicyMode::kEnforce);
  EXPECT_EQ(app.scope->identity.kind, SignedIdentity::Kind::kMatchRepository);

  ResolvedRule dev = policy.Resolve(Ref("registry.example/acme/app:v1"), "dev");
  EXPECT_EQ(dev.mode, PolicyMode::kWarn);
  EXPECT_EQ(dev.applied_namespace, "dev");

  ResolvedRule tools = policy.Resolve(Ref("registry.example/acme/tools/lint:v1"), std::nullopt);
  EXPECT_EQ(tools.scope->pattern, "registry.example/acme/tools/*");
  EXPECT_EQ(tools.mode, PolicyMode::kAudit);

  ResolvedRule internal = policy.Resolve(Ref("ci.internal.example/x:v1"), std::nullopt);
  EXPECT_EQ(internal.scope->pattern, "*.internal.example");
  EXPECT_EQ(internal.unsupported, std::vector<std::string>{"ci-keyless"});

  ResolvedRule mirror = policy.Resolve(Ref("mirror.example/acme/app:v1"), std::nullopt);
  EXPECT_EQ(EffectiveIdentity(mirror, *mirror.requirement->verifier).kind, SignedIdentity::Kind::kRemapIdentity);

  EXPECT_EQ(policy.Resolve(Ref("docker.io/library/busybox"), std::nullopt).scope->kind, ScopeKind::kDefault);
  EXPECT_EQ(policy.break_glass().at(0).digest, kDigest);
}

TEST(NativePolicyLoad, LoadNamesTheFileInErrors) {
  auto p = NativePolicy::Load(NativeDir() + "/missing.json", NativeDir() + "/truststore");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("missing.json"), std::string::npos) << p.status();
}

TEST(NativePolicyLoad, KeysComeFromTheTrustStoreAndKeyPathsFromTheBaseDirectory) {
  auto p = MustParseNative(Policy(R"([{"match":"registry.example","require":"k"}])",
                                  R"({"k":{"type":"cosignKey","keys":["team.pub"],"keyPaths":["p384.pub.pem","/)" +
                                      CryptoDir() + R"(/ed25519.pub.pem"]}})"));
  ASSERT_NE(p, nullptr);
  const Verifier& k = *p->verifiers().at("k");
  ASSERT_EQ(k.keys.size(), 3u);
  EXPECT_EQ(k.keys[0].source, NativeDir() + "/truststore/keys/team.pub");
  EXPECT_EQ(k.keys[1].source, CryptoDir() + "/p384.pub.pem");
  EXPECT_EQ(k.keys[2].key->Description(), "ed25519");
}

TEST(NativePolicyLoad, KeylessAndNotationLoadButAreMarkedUnsupported) {
  auto p = MustParseNative(Policy(
      R"([{"match":"registry.example","require":{"anyOf":["kl","nv"]}}])",
      R"({"kl":{"type":"keyless","issuerRegex":"^https://issuer\\.example$","subject":"a@example.com","trustedRoot":"public"},)"
      R"("nv":{"type":"notation","trustPolicy":"acme"}})"));
  ASSERT_NE(p, nullptr);
  const Verifier& kl = *p->verifiers().at("kl");
  EXPECT_FALSE(kl.Supported());
  EXPECT_TRUE(kl.issuer.Matches("https://issuer.example"));
  EXPECT_FALSE(kl.issuer.Matches("https://issuer.example.evil"));  // whole-value match
  EXPECT_TRUE(kl.subject.Matches("a@example.com"));
  EXPECT_FALSE(kl.subject.Matches("b@example.com"));
  EXPECT_EQ(p->verifiers().at("nv")->trust_policy, "acme");
  ResolvedRule r = p->Resolve(Ref("registry.example/x:1"), std::nullopt);
  EXPECT_EQ(r.unsupported, (std::vector<std::string>{"kl", "nv"}));
}

TEST(NativePolicyLoad, IdentityFormsMapOntoSignedIdentity) {
  struct Case {
    std::string identity;
    SignedIdentity::Kind kind;
  };
  const std::vector<Case> cases = {
      {R"({"type":"repoDigestOrExact"})", SignedIdentity::Kind::kMatchRepoDigestOrExact},
      {R"({"type":"exact"})", SignedIdentity::Kind::kMatchExact},
      {R"({"type":"repository"})", SignedIdentity::Kind::kMatchRepository},
      {R"({"type":"exactReference","reference":"registry.example/a:v1"})", SignedIdentity::Kind::kExactReference},
      {R"({"type":"exactRepository","repository":"registry.example/a"})", SignedIdentity::Kind::kExactRepository},
      {R"({"type":"remap","prefix":"mirror.example","signedPrefix":"registry.example"})",
       SignedIdentity::Kind::kRemapIdentity},
  };
  for (const Case& c : cases) {
    auto p = MustParseNative(Policy(R"([{"match":"registry.example","require":"accept","identity":)" + c.identity + "}]"));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->scopes()[0].identity.kind, c.kind) << c.identity;
  }
  auto p = MustParseNative(Policy(
      R"([{"match":"registry.example","require":"accept","identity":{"type":"remap","prefix":"mirror.example/a","signedPrefix":"registry.example/a"}}])"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->scopes()[0].identity.prefix, "mirror.example/a");
  EXPECT_EQ(p->scopes()[0].identity.signed_prefix, "registry.example/a");
}

struct ErrorCase {
  std::string name;
  std::string json;
  std::string message;  // exact
};

const std::string kKey = R"({"k":{"type":"cosignKey","keys":["team.pub"]}})";
const std::string kOneScope = R"([{"match":"registry.example","require":"k"}])";

std::vector<ErrorCase> ErrorCases() {
  return {
      {"NotAnObject", "[]", "(root) (line 1, column 1): expected a JSON object, got an array"},
      {"MissingVersion", R"({"default":{"require":"reject"}})",
       "(root) (line 1, column 1): missing field \"version\" (this pullsentry reads version 1)"},
      {"VersionNotANumber", R"({"version":"1","default":{"require":"reject"}})",
       "/version (line 1, column 12): expected the number 1, got a string"},
      {"FutureVersion", R"({"version":2,"default":{"require":"reject"}})",
       "/version (line 1, column 12): unsupported version 2 (this pullsentry reads version 1)"},
      {"UnknownTopLevelKey", R"({"version":1,"default":{"require":"reject"},"scope":[]})",
       "/scope (line 1, column 53): unknown field \"scope\" in the policy (expected one of: version, verifiers, "
       "default, scopes, breakGlass)"},
      {"MissingDefault", R"({"version":1})",
       "(root) (line 1, column 1): missing field \"default\": say what applies to images no scope covers (for "
       "example {\"require\": \"reject\"})"},
      {"DefaultWithMatch", R"({"version":1,"default":{"match":"x","require":"reject"}})",
       "/default/match (line 1, column 33): unknown field \"match\" in the default (expected one of: mode, require, "
       "identity, namespaces)"},
      {"MissingRequire", Policy(R"([{"match":"registry.example"}])"),
       "/scopes/0 (line 1, column 70): missing field \"require\""},
      {"UnknownScopeKey", Policy(R"([{"match":"registry.example","require":"reject","requrie":"accept"}])"),
       "/scopes/0/requrie (line 1, column 127): unknown field \"requrie\" in a scope (expected one of: match, mode, "
       "require, identity, namespaces)"},
      {"UnknownMode", Policy(R"([{"match":"registry.example","require":"reject","mode":"permissive"}])"),
       "/scopes/0/mode (line 1, column 124): unknown mode \"permissive\" (known: enforce, warn, audit)"},
      {"UnknownVerifierReference", Policy(R"([{"match":"registry.example","require":{"anyOf":["k","kk"]}}])", kKey),
       "/scopes/0/require/anyOf/1 (line 1, column 166): unknown verifier \"kk\" (declare it under \"verifiers\", "
       "or use \"accept\" or \"reject\")"},
      {"EmptyAnyOf", Policy(R"([{"match":"registry.example","require":{"anyOf":[]}}])"),
       "/scopes/0/require/anyOf (line 1, column 117): must not be empty"},
      {"BothAnyOfAndAllOf", Policy(R"([{"match":"registry.example","require":{"anyOf":["accept"],"allOf":["accept"]}}])"),
       "/scopes/0/require (line 1, column 108): a requirement object holds exactly one of \"anyOf\" and \"allOf\""},
      {"UnknownRequirementKey", Policy(R"([{"match":"registry.example","require":{"oneOf":["accept"]}}])"),
       "/scopes/0/require/oneOf (line 1, column 117): unknown field \"oneOf\" in a requirement (expected one of: "
       "anyOf, allOf)"},
      {"RequirementNumber", Policy(R"([{"match":"registry.example","require":7}])"),
       "/scopes/0/require (line 1, column 108): expected a verifier name or an object with \"anyOf\" or \"allOf\", "
       "got a number"},
      {"UnknownVerifierType", Policy(kOneScope, R"({"k":{"type":"docker-content-trust"}})"),
       "/verifiers/k/type (line 1, column 39): unknown verifier type \"docker-content-trust\" (known: cosignKey, "
       "keyless, notation)"},
      {"UnknownVerifierKey", Policy(kOneScope, R"({"k":{"type":"cosignKey","keys":["team.pub"],"keyPath":"x"}})"),
       "/verifiers/k/keyPath (line 1, column 81): unknown field \"keyPath\" in a cosignKey verifier (expected one of: "
       "type, keys, keyPaths, identity)"},
      {"DeclaredBuiltIn", Policy(kOneScope, R"({"accept":{"type":"cosignKey","keys":["team.pub"]}})"),
       "/verifiers/accept (line 1, column 36): \"accept\" is built in: refer to it by name without declaring it"},
      {"BadVerifierName", Policy(kOneScope, R"({"-k":{"type":"notation","trustPolicy":"p"}})"),
       "/verifiers/-k (line 1, column 32): verifier name \"-k\" is not valid: up to 63 letters, digits, '.', '_' and "
       "'-', starting with a letter or digit"},
      {"CosignKeyWithoutKeys", Policy(kOneScope, R"({"k":{"type":"cosignKey"}})"),
       "/verifiers/k (line 1, column 31): a cosignKey verifier needs \"keys\" (names in the trust store) or "
       "\"keyPaths\" (PEM files)"},
      {"KeyNameWithSlash", Policy(kOneScope, R"({"k":{"type":"cosignKey","keys":["../team.pub"]}})"),
       "/verifiers/k/keys/0 (line 1, column 59): \"../team.pub\" is not a key name: \"keys\" holds file names in " +
           testing_util::NativeDir() + "/truststore/keys (use \"keyPaths\" for paths)"},
      {"KeylessBothIssuerForms",
       Policy(kOneScope, R"({"k":{"type":"keyless","issuer":"a","issuerRegex":"a","subject":"s","trustedRoot":"r"}})"),
       "/verifiers/k (line 1, column 31): exactly one of \"issuer\" and \"issuerRegex\" is required"},
      {"KeylessBadRegex",
       Policy(kOneScope, R"({"k":{"type":"keyless","issuer":"a","subjectRegex":"(","trustedRoot":"r"}})"),
       "/verifiers/k/subjectRegex (line 1, column 77): not a valid regular expression: …"},
      {"KeylessMissingRoot", Policy(kOneScope, R"({"k":{"type":"keyless","issuer":"a","subject":"s"}})"),
       "/verifiers/k (line 1, column 31): missing field \"trustedRoot\""},
      {"NotationMissingPolicy", Policy(kOneScope, R"({"k":{"type":"notation"}})"),
       "/verifiers/k (line 1, column 31): missing field \"trustPolicy\""},
      {"UnknownIdentity", Policy(R"([{"match":"registry.example","require":"reject","identity":{"type":"any"}}])"),
       "/scopes/0/identity/type (line 1, column 136): unknown identity type \"any\" (known: repoDigestOrExact, exact, "
       "repository, exactReference, exactRepository, remap)"},
      {"IdentityUnknownKey",
       Policy(R"([{"match":"registry.example","require":"reject","identity":{"type":"exact","reference":"a"}}])"),
       "/scopes/0/identity/reference (line 1, column 156): unknown field \"reference\" in a exact identity (expected "
       "one of: type)"},
      {"RemapShortName",
       Policy(R"([{"match":"registry.example","require":"reject","identity":{"type":"remap","prefix":"library/busybox","signedPrefix":"registry.example"}}])"),
       "/scopes/0/identity/prefix (line 1, column 153): prefix \"library/busybox\" is not valid: use host[:port] or a fully "
       "expanded repository namespace such as docker.io/library"},
      {"ExactReferenceWithoutTag",
       Policy(R"([{"match":"registry.example","require":"reject","identity":{"type":"exactReference","reference":"registry.example/a"}}])"),
       "/scopes/0/identity/reference (line 1, column 165): \"registry.example/a\" has neither a tag nor a digest"},
      {"ScopeNotExpanded", Policy(R"([{"match":"library/busybox","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): scope \"library/busybox\": not a registry host[:port] or a fully "
       "expanded repository or namespace (such as docker.io/library, not library)"},
      {"ExactReferenceNotExpanded", Policy(R"([{"match":"busybox:1.36","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): scope \"busybox:1.36\": write the reference fully expanded, as "
       "\"docker.io/library/busybox:1.36\""},
      {"GlobWithTag", Policy(R"([{"match":"registry.example/*:v1","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): scope \"registry.example/*:v1\": an exact reference (with a tag or "
       "digest) cannot contain '*'"},
      {"DoubleStar", Policy(R"([{"match":"registry.example/**","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): scope \"registry.example/**\": component 2 (\"**\") is not valid: use "
       "lowercase letters, digits, '.', '-', '_' and single '*' (one or more characters within a component)"},
      {"GlobWithoutHost", Policy(R"([{"match":"library/*","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): scope \"library/*\": the first component must be a registry host "
       "(docker.io/library/*, not library/*)"},
      {"EmptyMatch", Policy(R"([{"match":"","require":"reject"}])"),
       "/scopes/0/match (line 1, column 79): must not be empty"},
      {"DuplicateScope",
       Policy(R"([{"match":"registry.example/a","require":"reject"},{"match":"registry.example/a","require":"accept"}])"),
       "/scopes/1/match (line 1, column 129): scope \"registry.example/a\" is already defined at /scopes/0"},
      {"BadNamespaceName", Policy(R"([{"match":"registry.example","require":"reject","namespaces":{"Dev":{"mode":"warn"}}}])"),
       "/scopes/0/namespaces/Dev (line 1, column 137): \"Dev\" is not a Kubernetes namespace name (a DNS-1123 "
       "label)"},
      {"EmptyNamespaceOverride", Policy(R"([{"match":"registry.example","require":"reject","namespaces":{"dev":{}}}])"),
       "/scopes/0/namespaces/dev (line 1, column 137): an override needs \"mode\", \"require\" or both"},
      {"NamespaceOverrideUnknownKey",
       Policy(R"([{"match":"registry.example","require":"reject","namespaces":{"dev":{"identity":{}}}}])"),
       "/scopes/0/namespaces/dev/identity (line 1, column 149): unknown field \"identity\" in a namespace override "
       "(expected one of: mode, require)"},
      {"NamespaceOverrideBadReference",
       Policy(R"([{"match":"registry.example","require":"reject","namespaces":{"dev":{"require":{"allOf":["nope"]}}}}])"),
       "/scopes/0/namespaces/dev/require/allOf/0 (line 1, column 158): unknown verifier \"nope\" (declare it under "
       "\"verifiers\", or use \"accept\" or \"reject\")"},
      {"BreakGlassBadDigest", Policy("[]", "{}", R"(,"breakGlass":[{"digest":"sha256:abc","reason":"r","expires":"2026-01-01T00:00:00Z"}])"),
       "/breakGlass/0/digest (line 1, column 96): \"sha256:abc\" is not a digest (sha256:<64 lowercase hex>)"},
      {"BreakGlassMissingReason",
       Policy("[]", "{}", std::string(R"(,"breakGlass":[{"digest":")") + kDigest + R"(","expires":"2026-01-01T00:00:00Z"}])"),
       "/breakGlass/0 (line 1, column 86): missing field \"reason\""},
      {"BreakGlassEmptyReason",
       Policy("[]", "{}", std::string(R"(,"breakGlass":[{"digest":")") + kDigest + R"(","reason":"","expires":"2026-01-01T00:00:00Z"}])"),
       "/breakGlass/0/reason (line 1, column 179): must not be empty"},
      {"BreakGlassBadExpiry",
       Policy("[]", "{}", std::string(R"(,"breakGlass":[{"digest":")") + kDigest + R"(","reason":"r","expires":"next week"}])"),
       "/breakGlass/0/expires (line 1, column 193): \"next week\" is not an RFC 3339 date-time such as "
       "2026-12-01T00:00:00Z"},
      {"BreakGlassUnknownKey",
       Policy("[]", "{}", std::string(R"(,"breakGlass":[{"digest":")") + kDigest + R"(","reason":"r","expires":"2026-01-01T00:00:00Z","by":"me"}])"),
       "/breakGlass/0/by (line 1, column 221): unknown field \"by\" in a break-glass entry (expected one of: digest, "
       "reason, expires)"},
      {"BreakGlassDuplicateDigest",
       Policy("[]", "{}", std::string(R"(,"breakGlass":[{"digest":")") + kDigest + R"(","reason":"r","expires":"2026-01-01T00:00:00Z"},{"digest":")" + kDigest + R"(","reason":"r","expires":"2026-01-01T00:00:00Z"}])"),
       "/breakGlass/1/digest (line 1, column 227): digest already listed at /breakGlass/0"},
      {"DuplicateJsonKey", R"({"version":1,"version":1,"default":{"require":"reject"}})",
       "duplicate key \"version\""},
      {"MalformedJson", R"({"version":1,)",
       "malformed JSON: parse error at line 1, column 14: syntax error while parsing object key - unexpected end of "
       "input; expected string literal"},
  };
}

class NativePolicyErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(NativePolicyErrors, NameThePointerAndWhatIsWrong) {
  auto p = ParseNative(GetParam().json);
  ASSERT_FALSE(p.ok()) << GetParam().json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(p.status().message());
  // Where "(line 1, column C)" points, to check the location by eye on failure.
  std::string at;
  if (size_t c = message.find("(line 1, column "); c != std::string::npos) {
    size_t column = std::stoul(message.substr(c + 16));
    at = GetParam().json.substr(column - 1, 24);
  }
  if (GetParam().message.ends_with("…")) {
    std::string prefix = GetParam().message.substr(0, GetParam().message.size() - std::string("…").size());
    EXPECT_TRUE(message.starts_with(prefix)) << message << "\nat: " << at;
  } else {
    EXPECT_EQ(message, GetParam().message) << GetParam().json << "\nat: " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, NativePolicyErrors, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(NativePolicyLoad, ErrorsGiveLineAndColumnInMultiLineFiles) {
  std::string json =
      "{\n"
      "  \"version\": 1,\n"
      "  \"default\": {\"require\": \"reject\"},\n"
      "  \"scopes\": [\n"
      "    {\"match\": \"registry.example\",\n"
      "     \"require\": {\"anyOf\": [\"accept\",\n"
      "                            \"team-kye\"]}}\n"
      "  ]\n"
      "}\n";
  auto p = ParseNative(json);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()),
            "/scopes/0/require/anyOf/1 (line 7, column 29): unknown verifier \"team-kye\" (declare it under "
            "\"verifiers\", or use \"accept\" or \"reject\")");
}

TEST(NativePolicyLoad, PointerTokensAreEscaped) {
  auto p = ParseNative(R"({"version":1,"default":{"require":"reject"},"a/b~c":1})");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(std::string(p.status().message()).starts_with("/a~1b~0c (line 1, column 53): unknown field"))
      << p.status();
}

TEST(NativePolicyLoad, MissingKeyFileIsAnErrorAtItsPointer) {
  auto p = ParseNative(Policy(kOneScope, R"({"k":{"type":"cosignKey","keyPaths":["absent.pem"]}})"));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(std::string(p.status().message())
                  .starts_with("/verifiers/k/keyPaths/0 (line 1, column 63): cannot read key file \"" + CryptoDir() +
                               "/absent.pem\": No such file or directory"))
      << p.status();
}

TEST(NativePolicyLoad, RejectedKeyTypeIsAnErrorAtItsPointer) {
  auto p = ParseNative(Policy(kOneScope, R"({"k":{"type":"cosignKey","keyPaths":["rsa1024.pub.pem"]}})"));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(std::string(p.status().message()).starts_with("/verifiers/k/keyPaths/0 (line 1, column 63): key file"))
      << p.status();
}

TEST(NativePolicyLimits, RefusesPoliciesLargerThanOneMebibyte) {
  std::string json = Policy("[]");
  json.insert(json.size() - 1, std::string(kMaxNativePolicyBytes, ' '));
  auto p = ParseNative(json);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()), "policy is larger than 1048576 bytes");
}

TEST(NativePolicyLimits, RefusesDeepNesting) {
  std::string req = "\"accept\"";
  for (int i = 0; i < 40; ++i) req = R"({"anyOf":[)" + req + "]}";
  auto p = ParseNative(R"({"version":1,"default":{"require":)" + req + "}}");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()), "JSON nested deeper than 32 levels");
}

TEST(NativePolicyLimits, AcceptsNestingWithinTheBound) {
  std::string req = "\"accept\"";
  for (int i = 0; i < 14; ++i) req = R"({"anyOf":[)" + req + "]}";
  EXPECT_NE(MustParseNative(R"({"version":1,"default":{"require":)" + req + "}}"), nullptr);
}

TEST(NativePolicyLimits, RefusesTooManyScopes) {
  std::string scopes = "[";
  for (size_t i = 0; i <= kMaxNativeScopes; ++i) {
    scopes += (i ? "," : "") + std::string(R"({"match":"registry.example/r)") + std::to_string(i) +
              R"(","require":"reject"})";
  }
  auto p = ParseNative(Policy(scopes + "]"));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(std::string(p.status().message()).ends_with("more than 4096 scopes")) << p.status();
}

TEST(NativePolicyLimits, RefusesLongRegexes) {
  std::string regex(kMaxNativeRegexLength + 1, 'a');
  auto p = ParseNative(Policy(kOneScope, R"({"k":{"type":"keyless","issuer":"i","subjectRegex":")" + regex +
                                             R"(","trustedRoot":"r"}})"));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(std::string(p.status().message()).ends_with("/verifiers/k/subjectRegex (line 1, column 70): longer than 256 characters") ||
              std::string(p.status().message()).find("longer than 256 characters") != std::string::npos)
      << p.status();
  std::string ok(kMaxNativeRegexLength, 'a');
  EXPECT_NE(MustParseNative(Policy(kOneScope, R"({"k":{"type":"keyless","issuer":"i","subjectRegex":")" + ok +
                                                  R"(","trustedRoot":"r"}})")),
            nullptr);
}

TEST(NativePolicyLimits, RefusesLongScopePatterns) {
  std::string pattern = "registry.example/" + std::string(kMaxNativeScopePatternLength, 'a');
  auto p = ParseNative(Policy(R"([{"match":")" + pattern + R"(","require":"reject"}])"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("longer than 512 characters"), std::string::npos) << p.status();
}

TEST(NativePolicyHash, IgnoresWhitespaceAndKeyOrder) {
  auto a = MustParseNative(R"({"version":1,"default":{"require":"reject","mode":"warn"}})");
  auto b = MustParseNative("{ \"default\" : { \"mode\":\"warn\", \"require\":\"reject\" },\n \"version\" : 1 }");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->Hash(), b->Hash());
  EXPECT_TRUE(a->Hash().starts_with("sha256:"));
  EXPECT_EQ(a->Hash().size(), 7u + 64u);
}

TEST(NativePolicyHash, ChangesWithContent) {
  auto a = MustParseNative(R"({"version":1,"default":{"require":"reject","mode":"warn"}})");
  auto b = MustParseNative(R"({"version":1,"default":{"require":"reject","mode":"audit"}})");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->Hash(), b->Hash());
}

TEST(NativePolicyHash, ChangesWithTheKeyBehindAName) {
  std::string json = Policy(kOneScope, R"({"k":{"type":"cosignKey","keys":["team.pub"]}})");
  NativePolicyOptions other = testing_util::TestOptions();
  auto a = NativePolicy::Parse(json, other);
  // Same text, a trust store whose team.pub is another key.
  other.trust_store_dir = NativeDir() + "/truststore-rotated";
  auto b = NativePolicy::Parse(json, other);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*a)->Hash(), (*b)->Hash());
}

TEST(LocatePointer, FindsValuesThroughEscapedKeysAndNestedArrays) {
  std::string text = "{\"a\\\"b\": [1, {\"c\": [true, \"x]\", {\"d\": null}]}]}";
  auto lc = native_internal::LocatePointer(text, {"a\"b", "1", "c", "2", "d"});
  ASSERT_TRUE(lc.has_value());
  EXPECT_EQ(lc->first, 1u);
  EXPECT_EQ(text.substr(lc->second - 1, 4), "null");
  EXPECT_FALSE(native_internal::LocatePointer(text, {"a\"b", "5"}).has_value());
  EXPECT_FALSE(native_internal::LocatePointer(text, {"zz"}).has_value());
}

}  // namespace
}  // namespace pullsentry::trust
