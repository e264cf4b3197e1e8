// Notation trust policy documents: what loads, what each rule refuses (one
// change to a valid document per case), DN parsing and policy selection.
#include "trust/notation_trust_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::Ref;

// The spec's second example, trimmed of comments.
constexpr char kSpecExample[] = R"({
  "version": "1.0",
  "trustPolicies": [
    {
      "name": "wabbit-networks-images",
      "registryScopes": ["registry.acme-rockets.io/software/net-monitor", "registry.acme-rockets.io/software/net-logger"],
      "signatureVerification": {"level": "strict"},
      "trustStores": ["ca:wabbit-networks"],
      "trustedIdentities": ["x509.subject: C=US, ST=WA, L=Seattle, O=wabbit-networks.io, OU=Security Tools"]
    },
    {
      "name": "unsigned-image",
      "registryScopes": ["registry.wabbit-networks.io/software/unsigned/net-utils"],
      "signatureVerification": {"level": "skip"}
    },
    {
      "name": "use-expired-image",
      "registryScopes": ["registry.acme-rockets.io/software/legacy/metrics"],
      "signatureVerification": {"level": "strict", "override": {"expiry": "log", "revocation": "skip"}},
      "trustStores": ["ca:acme-rockets"],
      "trustedIdentities": ["*"]
    },
    {
      "name": "global-policy-for-all-other-images",
      "registryScopes": ["*"],
      "signatureVerification": {"level": "audit", "verifyTimestamp": "afterCertExpiry"},
      "trustStores": ["ca:acme-rockets", "ca:acme-rockets-ca2", "tsa:acme-tsa"],
      "trustedIdentities": ["x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder"]
    }
  ]
})";

// One policy; `fields` replaces its body after "name".
std::string One(const std::string& fields) {
  return R"({"version":"1.0","trustPolicies":[{"name":"p",)" + fields + "}]}";
}
constexpr char kGood[] =
    R"("registryScopes":["r.example/app"],"signatureVerification":{"level":"strict"},)"
    R"("trustStores":["ca:s"],"trustedIdentities":["*"])";

std::string WithIds(const std::string& ids) {
  return One(R"("registryScopes":["r.example/app"],"signatureVerification":{"level":"strict"},)"
             R"("trustStores":["ca:s"],"trustedIdentities":)" + ids);
}

TEST(NotationTrustPolicy, LoadsTheSpecExample) {
  auto doc = NotationTrustPolicyDocument::Parse(kSpecExample);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const auto& ps = (*doc)->policies();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0].registry_scopes.size(), 2u);
  EXPECT_EQ(ps[0].trust_stores[0].type, NotationTrustStore::Type::kCa);
  EXPECT_EQ(ps[0].trust_stores[0].name, "wabbit-networks");
  const NotationIdentity& id = ps[0].trusted_identities[0];
  EXPECT_EQ(id.prefix, "x509.subject");
  EXPECT_EQ(id.subject.at("OU"), "Security Tools");
  EXPECT_EQ(id.subject.at("C"), "US");
  EXPECT_EQ(id.subject.size(), 5u);
  EXPECT_TRUE(ps[1].trust_stores.empty());
  EXPECT_EQ(ps[1].signature_verification.level, NotationLevel::kSkip);
  EXPECT_TRUE(ps[2].trusted_identities[0].any);
  EXPECT_EQ(ps[2].signature_verification.Action(NotationCheck::kExpiry), NotationAction::kLog);
  EXPECT_EQ(ps[2].signature_verification.Action(NotationCheck::kRevocation), NotationAction::kSkip);
  EXPECT_EQ(ps[2].signature_verification.Action(NotationCheck::kAuthenticity), NotationAction::kEnforce);
  EXPECT_TRUE(ps[3].global);
  EXPECT_EQ(ps[3].trust_stores[2].type, NotationTrustStore::Type::kTsa);
  EXPECT_EQ(ps[3].signature_verification.verify_timestamp, NotationTimestamp::kAfterCertExpiry);
  EXPECT_EQ((*doc)->global(), &ps[3]);
}

// Spec "Signature Verification details", the table.
TEST(NotationTrustPolicy, LevelsFollowTheSpecTable) {
  using C = NotationCheck;
  using A = NotationAction;
  struct Row {
    NotationLevel level;
    A want[5];
  };
  const Row rows[] = {
      {NotationLevel::kStrict, {A::kEnforce, A::kEnforce, A::kEnforce, A::kEnforce, A::kEnforce}},
      {NotationLevel::kPermissive, {A::kEnforce, A::kEnforce, A::kLog, A::kLog, A::kLog}},
      {NotationLevel::kAudit, {A::kEnforce, A::kLog, A::kLog, A::kLog, A::kLog}},
      {NotationLevel::kSkip, {A::kSkip, A::kSkip, A::kSkip, A::kSkip, A::kSkip}},
  };
  const C checks[] = {C::kIntegrity, C::kAuthenticity, C::kAuthenticTimestamp, C::kExpiry, C::kRevocation};
  for (const Row& row : rows) {
    NotationSignatureVerification sv;
    sv.level = row.level;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(sv.Action(checks[i]), row.want[i]) << std::string(NotationLevelName(row.level)) << " " << std::string(NotationCheckName(checks[i]));
    }
  }
}

TEST(NotationTrustPolicy, SelectsExactScopeThenGlobalThenNothing) {
  auto doc = NotationTrustPolicyDocument::Parse(kSpecExample);
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto name = [&](const std::string& ref) {
    const NotationTrustPolicy* p = (*doc)->Match(Ref(ref));
    return p == nullptr ? std::string("(none)") : p->name;
  };
  EXPECT_EQ(name("registry.acme-rockets.io/software/net-monitor:v1"), "wabbit-networks-images");
  EXPECT_EQ(name("registry.acme-rockets.io/software/net-logger@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            "wabbit-networks-images");
  EXPECT_EQ(name("registry.wabbit-networks.io/software/unsigned/net-utils"), "unsigned-image");
  // Exact repository only: neither a child nor a parent matches.
  EXPECT_EQ(name("registry.acme-rockets.io/software/net-monitor/sub:v1"), "global-policy-for-all-other-images");
  EXPECT_EQ(name("registry.acme-rockets.io/software:v1"), "global-policy-for-all-other-images");
  EXPECT_EQ(name("nginx"), "global-policy-for-all-other-images");

  auto no_global = NotationTrustPolicyDocument::Parse(One(kGood));
  ASSERT_TRUE(no_global.ok()) << no_global.status();
  EXPECT_EQ((*no_global)->Match(Ref("r.example/app:v1"))->name, "p");
  EXPECT_EQ((*no_global)->Match(Ref("r.example/other:v1")), nullptr);
  EXPECT_EQ((*no_global)->Match("*"), nullptr);  // "*" is not a repository
}

TEST(NotationTrustPolicy, AcceptsPluginIdentitiesAndPorts) {
  auto doc = NotationTrustPolicyDocument::Parse(One(
      R"("registryScopes":["localhost:5000/net-monitor","123456789012.dkr.ecr.us-west-2.amazonaws.com/a__b/c-d.e"],)"
      R"("signatureVerification":{"level":"permissive","override":{}},)"
      R"("trustStores":["signingAuthority:aws-signer-ts"],)"
      R"("trustedIdentities":["arn:aws:signer:us-west-2:123456789012:/signing-profiles/p"])"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  const NotationIdentity& id = (*doc)->policies()[0].trusted_identities[0];
  EXPECT_EQ(id.prefix, "arn");
  EXPECT_TRUE(id.subject.empty());
}

struct ErrorCase {
  std::string name;
  std::string json;
  std::string error;
};

std::vector<ErrorCase> ErrorCases() {
  const std::string sv = R"("signatureVerification":{"level":"strict"},)";
  return {
      {"NotJson", "{", ""},
      {"NotAnObject", "[]", "(root) (line 1, column 1): expected a JSON object, got an array"},
      {"MissingVersion", R"({"trustPolicies":[]})", "(root) (line 1, column 1): missing field \"version\" (this pullsentry reads \"1.0\")"},
      {"NumericVersion", R"({"version":1.0,"trustPolicies":[]})",
       "/version (line 1, column 12): unsupported version 1.0 (this pullsentry reads \"1.0\")"},
      {"Version11", R"({"version":"1.1","trustPolicies":[]})",
       "/version (line 1, column 12): unsupported version \"1.1\" (this pullsentry reads \"1.0\")"},
      {"UnknownTopLevel", R"({"version":"1.0","trustPolicies":[],"extra":1})",
       "/extra (line 1, column 45): unknown field \"extra\" in the trust policy document (expected one of: "
       "version, trustPolicies)"},
      {"NoPolicies", R"({"version":"1.0","trustPolicies":[]})",
       "/trustPolicies (line 1, column 34): a trust policy document needs at least one trust policy"},
      {"DuplicateJsonKey", R"({"version":"1.0","version":"1.0","trustPolicies":[]})", "duplicate"},
      {"MisspeltField", One(std::string(kGood) + R"(,"trustedIdentites":["*"])"),
       "/trustPolicies/0/trustedIdentites (line 1, column 193): unknown field \"trustedIdentites\" in a trust policy "
       "(expected one of: name, registryScopes, signatureVerification, trustStores, trustedIdentities)"},
      {"BlobPolicy", R"({"version":"1.0","trustPolicies":[{"name":"b","globalPolicy":true}]})",
       "/trustPolicies/0/globalPolicy (line 1, column 62): this is not an OCI trust policy (trustpolicy.blob.json or "
       "a later version?): image pulls use trustpolicy.json / trustpolicy.oci.json with \"registryScopes\""},
      {"MissingName", R"({"version":"1.0","trustPolicies":[{)" + std::string(kGood) + "}]}",
       "/trustPolicies/0 (line 1, column 35): missing field \"name\": every trust policy needs a name"},
      {"EmptyName", R"({"version":"1.0","trustPolicies":[{"name":"",)" + std::string(kGood) + "}]}",
       "/trustPolicies/0/name (line 1, column 43): must not be empty"},
      {"DuplicateName",
       R"({"version":"1.0","trustPolicies":[{"name":"p",)" + std::string(kGood) + R"(},{"name":"p",)" +
           R"("registryScopes":["r.example/b"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"]}]})",
       "/trustPolicies/1/name (line 1, column 183): trust policy name \"p\" is already used by /trustPolicies/0; "
       "names must be unique"},
      {"ScopeInTwoPolicies",
       R"({"version":"1.0","trustPolicies":[{"name":"p",)" + std::string(kGood) + R"(},{"name":"q",)" +
           R"("registryScopes":["r.example/app"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"]}]})",
       "/trustPolicies/1/registryScopes/0 (line 1, column 205): registry scope \"r.example/app\" is also in trust "
       "policy \"p\" (/trustPolicies/0); a scope may belong to one policy only"},
      {"TwoGlobalPolicies",
       R"({"version":"1.0","trustPolicies":[{"name":"p","registryScopes":["*"],)" + sv +
           R"("trustStores":["ca:s"],"trustedIdentities":["*"]},{"name":"q","registryScopes":["*"],)" + sv +
           R"("trustStores":["ca:s"],"trustedIdentities":["*"]}]})",
       "/trustPolicies/1/registryScopes/0 (line 1, column 193): trust policy \"p\" (/trustPolicies/0) already has the "
       "global scope \"*\"; only one policy may"},
      {"NoScopes", One(R"("registryScopes":[],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/registryScopes (line 1, column 64): needs at least one registry scope"},
      {"WildcardWithOthers",
       One(R"("registryScopes":["*","r.example/app"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/registryScopes/0 (line 1, column 65): the global scope \"*\" cannot be combined with other "
       "scopes"},
      {"GlobScope", One(R"("registryScopes":["r.example/*"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/registryScopes/0 (line 1, column 65): registry scope \"r.example/*\" holds a wildcard: only "
       "the single value \"*\" (global scope) is allowed; write a fully qualified repository without scheme, tag or "
       "digest, e.g. registry.example/acme/app (docker.io/library/nginx, not nginx)"},
      {"ShortName", One(R"("registryScopes":["nginx"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/registryScopes/0 (line 1, column 65): registry scope \"nginx\" is not valid: write a fully "
       "qualified repository without scheme, tag or digest, e.g. registry.example/acme/app (docker.io/library/nginx, "
       "not nginx)"},
      {"ScopeWithTag", One(R"("registryScopes":["r.example/app:v1"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "registry scope \"r.example/app:v1\" is not valid"},
      {"UppercaseRepository", One(R"("registryScopes":["r.example/App"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "registry scope \"r.example/App\" is not valid"},
      {"TripleUnderscore", One(R"("registryScopes":["r.example/a___b"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "registry scope \"r.example/a___b\" is not valid"},
      {"ScopeListedTwice",
       One(R"("registryScopes":["r.example/a","r.example/a"],)" + sv + R"("trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/registryScopes/1 (line 1, column 79): registry scope \"r.example/a\" is listed twice"},
      {"MissingLevel", One(R"("registryScopes":["r.example/a"],"signatureVerification":{},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/signatureVerification (line 1, column 104): missing field \"level\" (strict, permissive, "
       "audit, skip)"},
      {"UnknownLevel", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"lax"},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/signatureVerification/level (line 1, column 113): unknown verification level \"lax\" "
       "(strict, permissive, audit, skip)"},
      {"OverrideIntegrity", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict","override":{"integrity":"log"}},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/signatureVerification/override/integrity (line 1, column 146): integrity is always enforced "
       "and cannot be overridden"},
      {"SkipAuthenticity", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict","override":{"authenticity":"skip"}},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/signatureVerification/override/authenticity (line 1, column 149): authenticity cannot be "
       "skipped (only revocation can; use \"log\")"},
      {"UnknownCheck", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict","override":{"expiryDate":"log"}},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "unknown check \"expiryDate\""},
      {"UnknownAction", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict","override":{"expiry":"warn"}},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "unknown action \"warn\" (enforce, log, skip)"},
      {"OverrideOnSkip", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"skip","override":{"expiry":"log"}})"),
       "/trustPolicies/0/signatureVerification/override (line 1, column 131): level \"skip\" cannot be customised "
       "with an override"},
      {"BadVerifyTimestamp", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict","verifyTimestamp":"never"},"trustStores":["ca:s"],"trustedIdentities":["*"])"),
       "unknown verifyTimestamp \"never\" (always, afterCertExpiry)"},
      {"SkipWithStores", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"skip"},"trustStores":["ca:s"])"),
       "/trustPolicies/0/trustStores (line 1, column 135): level \"skip\" verifies nothing: remove trustStores and "
       "trustedIdentities"},
      {"SkipWithIdentities", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"skip"},"trustedIdentities":["*"])"),
       "level \"skip\" verifies nothing"},
      {"SkipGlobal", One(R"("registryScopes":["*"],"signatureVerification":{"level":"skip"})"),
       "/trustPolicies/0/signatureVerification (line 1, column 94): level \"skip\" cannot be used with the global "
       "scope \"*\" (it would admit every image unverified); list the repositories to skip"},
      {"StrictWithoutStores", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustedIdentities":["*"])"),
       "/trustPolicies/0 (line 1, column 35): level \"strict\" needs \"trustStores\" (at least one, e.g. "
       "\"ca:acme-rockets\")"},
      {"AuditWithoutIdentities", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"audit"},"trustStores":["ca:s"],"trustedIdentities":[])"),
       "/trustPolicies/0 (line 1, column 35): level \"audit\" needs \"trustedIdentities\" (\"*\" or x509.subject DNs)"},
      {"NullStores", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustStores":null,"trustedIdentities":["*"])"),
       "/trustPolicies/0/trustStores (line 1, column 137): expected a list of strings, got null"},
      {"StoreWithoutType", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustStores":["acme"],"trustedIdentities":["*"])"),
       "/trustPolicies/0/trustStores/0 (line 1, column 138): trust store \"acme\" is not TYPE:NAME (e.g. "
       "\"ca:acme-rockets\")"},
      {"StoreUnknownType", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustStores":["x509:acme"],"trustedIdentities":["*"])"),
       "unknown trust store type \"x509\" in \"x509:acme\" (ca, signingAuthority, tsa)"},
      {"StoreNameWithSlash", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustStores":["ca:../etc"],"trustedIdentities":["*"])"),
       "trust store name \"../etc\" in \"ca:../etc\" is not valid: letters, digits, '_', '.' and '-' only"},
      {"StoreNameDotDot", One(R"("registryScopes":["r.example/a"],"signatureVerification":{"level":"strict"},"trustStores":["ca:.."],"trustedIdentities":["*"])"),
       "trust store name \"..\" is not valid"},
      {"WildcardIdentityWithOthers", WithIds(R"(["*","x509.subject: C=US, ST=WA, O=a"])"),
       "/trustPolicies/0/trustedIdentities/0 (line 1, column 169): the wildcard identity \"*\" cannot be combined "
       "with other identities"},
      {"EmptyIdentity", WithIds(R"([""])"), "a trusted identity must not be empty"},
      {"IdentityWithoutPrefix", WithIds(R"(["C=US, ST=WA, O=a"])"),
       "trusted identity \"C=US, ST=WA, O=a\" has no ':' (write \"x509.subject: C=US, ST=WA, O=acme\" or \"*\")"},
      {"EmptySubject", WithIds(R"(["x509.subject:"])"), "trusted identity \"x509.subject:\" has no value"},
      {"SubjectWithoutOrganization", WithIds(R"(["x509.subject: C=US, ST=WA, CN=a"])"),
       "/trustPolicies/0/trustedIdentities/0 (line 1, column 169): distinguished name (DN) \" C=US, ST=WA, CN=a\" is "
       "not valid: it has no O attribute; C, ST and O are required at a minimum"},
      {"SubjectRepeatedAttribute", WithIds(R"(["x509.subject: C=US, ST=WA, O=a, O=b"])"),
       "attribute \"O\" appears twice; each attribute may appear once"},
      {"SubjectMultiValued", WithIds(R"(["x509.subject: C=US+ST=WA, O=a"])"),
       "it has a multi-valued RDN ('+'); multi-valued RDNs are not supported"},
      {"SubjectHexValue", WithIds(R"(["x509.subject: C=US, ST=WA, O=#0403616263"])"),
       "hex-encoded (#…) attribute values are not supported"},
      {"SubjectBadEscape", WithIds(R"(["x509.subject: C=US, ST=WA, O=a\\q"])"), "invalid escape '\\q'"},
      {"SubjectTrailingSeparator", WithIds(R"(["x509.subject: C=US, ST=WA, O=a,"])"), "it ends with a separator"},
      {"SubjectNoEquals", WithIds(R"(["x509.subject: C=US, ST=WA, O"])"), "an attribute has no '='"},
      {"SubjectBadType", WithIds(R"(["x509.subject: C=US, ST=WA, O=a, 1x=b"])"), "attribute type \"1x\" is not valid"},
      {"OverlappingSubjects",
       WithIds(R"(["x509.subject: C=US, ST=WA, O=wabbit-network.io, OU=org1", "x509.subject: C=US, ST=WA, O=wabbit-network.io"])"),
       "/trustPolicies/0/trustedIdentities/1 (line 1, column 228): trusted identities \"x509.subject: C=US, ST=WA, "
       "O=wabbit-network.io\" and \"x509.subject: C=US, ST=WA, O=wabbit-network.io, OU=org1\" overlap: a certificate "
       "matching the first also matches the second"},
      {"EqualSubjectsWrittenDifferently",
       WithIds(R"(["x509.subject: C=US, ST=WA, O=a", "x509.subject:C=US;ST=WA;O=a"])"), "overlap"},
      {"TooDeep", std::string(40, '[') + std::string(40, ']'), "nest"},
  };
}

class NotationErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(NotationErrors, RefusesWithPointer) {
  auto doc = NotationTrustPolicyDocument::Parse(GetParam().json);
  ASSERT_FALSE(doc.ok()) << GetParam().json;
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(doc.status().message());
  if (GetParam().error.find("(line ") != std::string::npos || GetParam().error.starts_with("(root)")) {
    EXPECT_EQ(message, GetParam().error);
  } else {
    EXPECT_NE(message.find(GetParam().error), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, NotationErrors, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(NotationTrustPolicy, RefusesOversizeInput) {
  std::string big = One(kGood);
  big.insert(big.size() - 1, std::string(kMaxNotationPolicyBytes, ' '));
  auto doc = NotationTrustPolicyDocument::Parse(big);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(std::string(doc.status().message()), "trust policy is larger than 1048576 bytes");
}

TEST(NotationDistinguishedName, UnescapesAndTrimsAsRfc4514) {
  auto dn = ParseNotationDistinguishedName(R"( C=US , ST=WA,O=Acme\, Inc.;OU=\ padded\ ,CN=a\\b\2Cc\3bd, L=x\#y)");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->at("C"), "US");
  EXPECT_EQ(dn->at("ST"), "WA");
  EXPECT_EQ(dn->at("O"), "Acme, Inc.");
  EXPECT_EQ(dn->at("OU"), " padded ");
  EXPECT_EQ(dn->at("CN"), "a\\b,c;d");
  EXPECT_EQ(dn->at("L"), "x#y");
}

TEST(NotationDistinguishedName, AcceptsOidTypesAndUtf8Escapes) {
  auto dn = ParseNotationDistinguishedName(R"(C=DE, ST=Bayern, O=M\C3\BCnchen, 2.5.4.5=42)");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->at("O"), "M\xC3\xBCnchen");
  EXPECT_EQ(dn->at("2.5.4.5"), "42");
}

TEST(NotationDistinguishedName, RefusesEmpty) {
  EXPECT_FALSE(ParseNotationDistinguishedName("   ").ok());
  EXPECT_FALSE(ParseNotationDistinguishedName("C=US, ST=WA, O=").ok());  // O present but empty
  EXPECT_FALSE(ParseNotationDistinguishedName("C=US, ST=WA, O=a\\").ok());
}

TEST(NotationRegistryScope, FollowsNotationGrammar) {
  for (const char* ok : {"r.example/a", "localhost/a", "localhost:5000/a/b/c", "R-1.example/a.b_c__d---e/f",
                         "127.0.0.1:5000/x"}) {
    EXPECT_TRUE(ValidateNotationRegistryScope(ok).ok()) << ok;
  }
  for (const char* bad : {"", "/a", "r.example/", "r.example", "r.example/a/", "r.example//a", "-r.example/a",
                          "r.example:/a", "r.example:50x/a", "r.example/a..b", "r.example/a._b", "r.example/_a",
                          "r.example/a-", "https://r.example/a", "r.example/a@sha256:00", "[::1]:5000/a"}) {
    EXPECT_FALSE(ValidateNotationRegistryScope(bad).ok()) << bad;
  }
}

TEST(NotationTrustPolicy, LoadRefusesSymlinksAndNamesTheFile) {
  std::string dir = ::testing::TempDir();
  std::string file = dir + "/notation-trustpolicy-test.json";
  std::string link = dir + "/notation-trustpolicy-test-link.json";
  {
    FILE* f = fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::string text = One(kGood);
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
  }
  unlink(link.c_str());
  ASSERT_EQ(symlink(file.c_str(), link.c_str()), 0);
  EXPECT_TRUE(NotationTrustPolicyDocument::Load(file).ok());
  auto via_link = NotationTrustPolicyDocument::Load(link);
  ASSERT_FALSE(via_link.ok());
  EXPECT_NE(std::string(via_link.status().message()).find("symlink"), std::string::npos) << via_link.status();
  auto missing = NotationTrustPolicyDocument::Load(dir + "/does-not-exist.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("does-not-exist.json"), std::string::npos);
  unlink(link.c_str());
  unlink(file.c_str());
}

}  // namespace
}  // namespace pullsentry::trust
