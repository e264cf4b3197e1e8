#include "verify/notation/identity.h"

#include "gtest/gtest.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::LoadCert;

TEST(IdentityTest, ParsesRfc4514) {
  auto dn = ParseDistinguishedName(R"(CN = Acme \+ Friends , O=Acme\, Inc.,ST=WA,C=US,L=\20Seattle\20 )");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->at("CN"), "Acme + Friends");
  EXPECT_EQ(dn->at("O"), "Acme, Inc.");
  EXPECT_EQ(dn->at("L"), " Seattle ");
  auto hex = ParseDistinguishedName(R"(C=US,ST=WA,O=\41cme)");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(hex->at("O"), "Acme");
  // "S" is notation's alias for ST.
  auto alias = ParseDistinguishedName("C=US,S=WA,O=Acme");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->at("ST"), "WA");
}

TEST(IdentityTest, RefusesWhatNotationRefuses) {
  for (const char* bad : {"", "C=US,ST=WA", "C=US,ST=WA,O=", "C=US,ST=WA,O=A,O=B", "C=US+ST=WA,O=A",
                          "C=US,ST=WA,O=#414243", "C=US,ST=WA,O=A,", "C=US,ST=WA,O", "C=US,ST=WA,O=A\\",
                          "C=US,ST=WA,O=a\"b", "C=US,ST=WA,O=A,S=B"}) {
    EXPECT_FALSE(ParseDistinguishedName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseDistinguishedName(std::string(5000, 'a')).ok());
}

TEST(IdentityTest, TrustedIdentityForms) {
  auto any = ParseTrustedIdentity("*");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->any);
  EXPECT_TRUE(ParseTrustedIdentity("x509.subject:C=US,ST=WA,O=Acme").ok());
  EXPECT_FALSE(ParseTrustedIdentity("x509.subject:CN=only").ok());
  EXPECT_FALSE(ParseTrustedIdentity("com.example.plugin:anything").ok());
  EXPECT_FALSE(ParseTrustedIdentity("").ok());
}

TEST(IdentityTest, CertificateSubjectAndMatching) {
  auto cert = LoadCert("leaf_ec384");
  auto subject = CertificateSubject(cert.get());
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->at("O"), "Acme, Inc.");
  EXPECT_EQ(subject->at("CN"), "Acme + Friends");
  EXPECT_EQ(SubjectString(cert.get()), R"(CN=Acme \+ Friends,O=Acme\, Inc.,ST=WA,C=US)");

  auto policy = ParseDistinguishedName(R"(C=US,ST=WA,O=Acme\, Inc.)");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(SubjectMatches(*policy, *subject));
  auto wrong_case = ParseDistinguishedName(R"(C=US,ST=WA,O=acme\, inc.)");
  EXPECT_FALSE(SubjectMatches(*wrong_case, *subject));  // values compare exactly
  auto extra = ParseDistinguishedName(R"(C=US,ST=WA,O=Acme\, Inc.,L=Seattle)");
  EXPECT_FALSE(SubjectMatches(*extra, *subject));  // L is not in the certificate

  EXPECT_TRUE(MatchesAnyIdentity(cert.get(), {*ParseTrustedIdentity("*")}));
  EXPECT_FALSE(MatchesAnyIdentity(cert.get(), {}));
  EXPECT_TRUE(MatchesAnyIdentity(
      cert.get(), {*ParseTrustedIdentity("x509.subject:C=US,ST=WA,O=Other"),
                   *ParseTrustedIdentity(R"(x509.subject:C=US,ST=WA,O=Acme\, Inc.,CN=Acme \+ Friends)")}));
}

}  // namespace
}  // namespace pullsentry::notation
