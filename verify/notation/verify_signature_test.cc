// One case per fixture envelope: each tampered variant differs from a good
// envelope in one thing and must fail exactly the validation the spec's
// table assigns to that thing.
#include "verify/notation/verify_signature.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::Artifact;
using testing::kNow;
using testing::ReadFixture;
using testing::Trusted;

struct Case {
  std::string file;  // under tests/fixtures/notation/
  // The first validation that is not passed, or nullopt when all but
  // revocation pass.
  std::optional<Validation> first_failure;
  std::string reason_part;  // a fragment the reason must contain
};

SignatureVerification Verify(const std::string& file, const std::vector<crypto::X509Ptr>& trusted,
                             const std::vector<TrustedIdentity>& identities, int64_t now = kNow) {
  std::string bytes = ReadFixture(file);
  VerifyRequest req;
  req.envelope = bytes;
  req.media_type = file.ends_with(".jws") ? kJwsMediaType : kCoseMediaType;
  req.artifact = Artifact();
  req.trusted = &trusted;
  req.identities = identities;
  req.now = now;
  return VerifySignature(req);
}

std::vector<TrustedIdentity> AnyIdentity() { return {*ParseTrustedIdentity("*")}; }

class VerifySignatureCases : public ::testing::TestWithParam<Case> {};

TEST_P(VerifySignatureCases, FailsTheRightValidation) {
  const Case& c = GetParam();
  auto trusted = Trusted({"root"});
  SignatureVerification v = Verify(c.file, trusted, AnyIdentity());
  std::optional<Validation> first;
  for (const ValidationResult& r : v.results) {
    if (r.outcome != Outcome::kPassed && r.validation != Validation::kRevocation) {
      first = r.validation;
      break;
    }
  }
  EXPECT_EQ(first.has_value(), c.first_failure.has_value()) << v.reason;
  if (first && c.first_failure) {
    EXPECT_EQ(ValidationName(*first), ValidationName(*c.first_failure)) << v.reason;
  }
  EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << "reason: " << v.reason;
  // Revocation is never claimed as checked.
  EXPECT_EQ(v.Result(Validation::kRevocation).outcome, Outcome::kNotChecked);
  // A reason is one line.
  EXPECT_EQ(v.reason.find('\n'), std::string::npos);
}

const Validation kInt = Validation::kIntegrity;
const Validation kAuth = Validation::kAuthenticity;
const Validation kTime = Validation::kAuthenticTimestamp;
const Validation kExp = Validation::kExpiry;

INSTANTIATE_TEST_SUITE_P(
    Jws, VerifySignatureCases,
    ::testing::Values(
        Case{"jws/good_es256.jws", std::nullopt, "revocation"}, Case{"jws/good_ps256.jws", std::nullopt, "revocation"},
        Case{"jws/good_ps384.jws", std::nullopt, "revocation"}, Case{"jws/good_es384.jws", std::nullopt, "revocation"},
        Case{"jws/good_signing_authority.jws", std::nullopt, "revocation"},
        Case{"jws/good_expiry_future.jws", std::nullopt, "revocation"},
        Case{"jws/good_unknown_noncritical.jws", std::nullopt, "revocation"},
        Case{"jws/expired_signature.jws", kExp, "expired at 2025-12-01T00:00:00Z"},
        Case{"jws/expiry_not_critical.jws", kInt, "must be listed in crit"},
        Case{"jws/payload_digest.jws", kInt, "digest"}, Case{"jws/payload_size.jws", kInt, "size"},
        Case{"jws/payload_media_type.jws", kInt, "media type"}, Case{"jws/payload_not_json.jws", kInt, "payload"},
        Case{"jws/alg_mismatch.jws", kInt, "does not fit"}, Case{"jws/alg_rs256.jws", kInt, "RS256"},
        Case{"jws/cty_wrong.jws", kInt, "content type"},
        Case{"jws/crit_missing_scheme.jws", kInt, "signingScheme must be listed in crit"},
        Case{"jws/crit_absent.jws", kInt, "crit"}, Case{"jws/crit_unknown.jws", kInt, "not understood"},
        Case{"jws/crit_not_present.jws", kInt, "not in the protected header"},
        Case{"jws/missing_signing_time.jws", kInt, "requires io.cncf.notary.signingTime"},
        Case{"jws/scheme_unknown.jws", kInt, "signing scheme"},
        Case{"jws/plugin_required.jws", kInt, "plugin"}, Case{"jws/signature_byte.jws", kInt, "does not verify"},
        Case{"jws/protected_padded.jws", kInt, "base64url"}, Case{"jws/extra_member.jws", kInt, "signatures"},
        Case{"jws/protected_swapped.jws", kInt, "content type"},
        Case{"jws/with_timestamp.jws", kTime, "timestamp"},
        Case{"jws/chain_wrong_order.jws", kInt, "does not fit the signing key"},
        Case{"jws/chain_without_root.jws", kAuth, "self-signed root"},
        Case{"jws/untrusted_root.jws", kAuth, "trusted certificate"},
        Case{"jws/leaf_ds_not_critical.jws", kAuth, "digitalSignature"},
        Case{"jws/leaf_server_auth.jws", kAuth, "serverAuth"}, Case{"jws/leaf_sha1.jws", kAuth, "SHA-1"},
        Case{"jws/leaf_expired.jws", kTime, "expired"}, Case{"jws/ca_no_certsign.jws", kAuth, "keyCertSign"}));

INSTANTIATE_TEST_SUITE_P(
    Cose, VerifySignatureCases,
    ::testing::Values(
        Case{"cose/good_es256.cose", std::nullopt, "revocation"}, Case{"cose/good_ps256.cose", std::nullopt, "revocation"},
        Case{"cose/good_es384.cose", std::nullopt, "revocation"},
        Case{"cose/good_x5chain_protected.cose", std::nullopt, "revocation"},
        Case{"cose/good_signing_authority.cose", std::nullopt, "revocation"},
        Case{"cose/expired_signature.cose", kExp, "expired"}, Case{"cose/payload_digest.cose", kInt, "digest"},
        Case{"cose/payload_size.cose", kInt, "size"}, Case{"cose/alg_mismatch.cose", kInt, "ES384"},
        Case{"cose/alg_unknown.cose", kInt, "alg -8"}, Case{"cose/cty_wrong.cose", kInt, "content type"},
        Case{"cose/crit_unknown.cose", kInt, "not understood"},
        Case{"cose/crit_integer_label.cose", kInt, "not understood"},
        Case{"cose/missing_signing_time.cose", kInt, "signingTime"},
        Case{"cose/time_not_tagged.cose", kInt, "tag 1"}, Case{"cose/untagged.cose", kInt, "tag 18"},
        Case{"cose/wrong_tag.cose", kInt, "tag 18"}, Case{"cose/label_in_both_buckets.cose", kInt, "both"},
        Case{"cose/signed_attribute_unprotected.cose", kInt, "must be protected"},
        Case{"cose/untrusted_root.cose", kAuth, "trusted certificate"},
        Case{"cose/chain_wrong_order.cose", kInt, "does not fit the signing key"},
        Case{"cose/plugin_required.cose", kInt, "plugin"}, Case{"cose/signature_byte.cose", kInt, "does not verify"},
        Case{"cose/payload_swapped.cose", kInt, "does not verify"}));

TEST(VerifySignatureTest, GoodSignatureReportsWhatItSays) {
  auto trusted = Trusted({"root"});
  SignatureVerification v = Verify("jws/good_es256.jws", trusted, AnyIdentity());
  EXPECT_TRUE(v.Passed(Validation::kIntegrity));
  EXPECT_TRUE(v.Passed(Validation::kAuthenticity));
  EXPECT_EQ(v.signer, "CN=Acme Signer,O=Acme Rockets,L=Seattle,ST=WA,C=US");
  EXPECT_EQ(v.signing_time, 1748779200);
  EXPECT_EQ(v.annotations.at("io.wabbit-networks.buildId"), "123");
  EXPECT_EQ(v.signing_agent, "make_notation_fixtures/1.0");
  EXPECT_EQ(v.signing_scheme, SigningScheme::kX509);
}

TEST(VerifySignatureTest, WrongArtifactFailsIntegrity) {
  auto trusted = Trusted({"root"});
  std::string bytes = ReadFixture("cose/good_es256.cose");
  VerifyRequest req{bytes, kCoseMediaType, Artifact(), &trusted, AnyIdentity(), kNow};
  req.artifact.size = 1;
  SignatureVerification v = VerifySignature(req);
  EXPECT_EQ(v.Result(Validation::kIntegrity).outcome, Outcome::kFailed);
  EXPECT_EQ(v.Result(Validation::kAuthenticity).outcome, Outcome::kNotChecked);
}

TEST(VerifySignatureTest, MediaTypeDecidesTheParser) {
  auto trusted = Trusted({"root"});
  std::string bytes = ReadFixture("jws/good_es256.jws");
  for (std::string_view type : {kCoseMediaType, std::string_view("application/json")}) {
    VerifyRequest req{bytes, type, Artifact(), &trusted, AnyIdentity(), kNow};
    EXPECT_FALSE(VerifySignature(req).Passed(Validation::kIntegrity)) << type;
  }
}

TEST(VerifySignatureTest, TrustedIntermediateEndsThePath) {
  auto trusted = Trusted({"intermediate"});
  EXPECT_TRUE(Verify("jws/good_es256.jws", trusted, AnyIdentity()).Passed(Validation::kAuthenticity));
}

TEST(VerifySignatureTest, NoTrustedCertificatesFailsAuthenticity) {
  std::vector<crypto::X509Ptr> none;
  SignatureVerification v = Verify("jws/good_es256.jws", none, AnyIdentity());
  EXPECT_TRUE(v.Passed(Validation::kIntegrity));
  EXPECT_EQ(v.Result(Validation::kAuthenticity).outcome, Outcome::kFailed);
}

TEST(VerifySignatureTest, IdentityDecidesAuthenticity) {
  auto trusted = Trusted({"root"});
  auto matching = ParseTrustedIdentity("x509.subject:C=US, ST=WA, O=Acme Rockets, CN=Acme Signer");
  auto subset = ParseTrustedIdentity("x509.subject:C=US,ST=WA,O=Acme Rockets");
  auto other = ParseTrustedIdentity("x509.subject:C=US,ST=WA,O=Acme Rockets,CN=Somebody Else");
  ASSERT_TRUE(matching.ok() && subset.ok() && other.ok());
  EXPECT_TRUE(Verify("jws/good_es256.jws", trusted, {*matching}).Passed(Validation::kAuthenticity));
  EXPECT_TRUE(Verify("cose/good_es256.cose", trusted, {*other, *subset}).Passed(Validation::kAuthenticity));
  SignatureVerification v = Verify("jws/good_es256.jws", trusted, {*other});
  EXPECT_EQ(v.Result(Validation::kAuthenticity).outcome, Outcome::kFailed);
  EXPECT_NE(v.reason.find("matches no trusted identity"), std::string::npos) << v.reason;
  EXPECT_FALSE(Verify("jws/good_es256.jws", trusted, {}).Passed(Validation::kAuthenticity));
  // RFC 4514 escapes in the policy match the certificate's plain values.
  auto escaped = ParseTrustedIdentity(R"(x509.subject:C=US,ST=WA,O=Acme\, Inc.,CN=Acme \+ Friends)");
  ASSERT_TRUE(escaped.ok()) << escaped.status();
  EXPECT_TRUE(Verify("jws/good_es384.jws", trusted, {*escaped}).Passed(Validation::kAuthenticity));
}

TEST(VerifySignatureTest, TimeIsInjected) {
  auto trusted = Trusted({"root"});
  // Before the expiry of expired_signature: passes.
  EXPECT_TRUE(Verify("jws/expired_signature.jws", trusted, AnyIdentity(), 1735689600).Passed(Validation::kExpiry));
  // After the certificates' notAfter: the chain is no longer valid now.
  SignatureVerification late = Verify("jws/good_es256.jws", trusted, AnyIdentity(), 2400000000);
  EXPECT_EQ(late.Result(Validation::kAuthenticTimestamp).outcome, Outcome::kFailed);
  EXPECT_TRUE(late.Passed(Validation::kAuthenticity));  // path validation does not depend on the time
  // signingAuthority: the authentic signing time, not now, decides.
  EXPECT_TRUE(Verify("jws/good_signing_authority.jws", trusted, AnyIdentity(), 2400000000)
                  .Passed(Validation::kAuthenticTimestamp));
}

}  // namespace
}  // namespace pullsentry::notation
