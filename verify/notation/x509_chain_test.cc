#include "verify/notation/x509_chain.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "verify/notation/test_util.h"

namespace pullsentry::notation {
namespace {

using testing::CertDer;
using testing::ChainDer;
using testing::kNow;
using testing::Trusted;

absl::Status Verify(const std::vector<std::string>& names, const std::vector<std::string>& trusted_names,
                    std::optional<int64_t> at = kNow) {
  auto trusted = Trusted(trusted_names);
  return VerifyCertificateChain(ChainDer(names), trusted, at).status();
}

TEST(X509ChainTest, AcceptsLeafIntermediateRoot) {
  auto trusted = Trusted({"root"});
  auto chain = VerifyCertificateChain(ChainDer({"leaf_ec256", "intermediate", "root"}), trusted, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->leaf_subject, "CN=Acme Signer,O=Acme Rockets,L=Seattle,ST=WA,C=US");
  EXPECT_EQ(chain->certificates.size(), 3u);
  EXPECT_EQ(X509_cmp(chain->trust_anchor.get(), trusted[0].get()), 0);
  for (const char* leaf : {"leaf_rsa2048", "leaf_rsa3072", "leaf_ec384"}) {
    EXPECT_TRUE(Verify({leaf, "intermediate", "root"}, {"root"}).ok()) << leaf;
  }
}

TEST(X509ChainTest, TrustedIntermediateEndsThePath) {
  EXPECT_TRUE(Verify({"leaf_ec256", "intermediate", "root"}, {"intermediate"}).ok());
}

TEST(X509ChainTest, RefusesAChainToAnotherRoot) {
  auto st = Verify({"leaf_other_root", "other_root"}, {"root"});
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("trusted certificate"), std::string::npos) << st;
  EXPECT_FALSE(Verify({"leaf_ec256", "intermediate", "root"}, {}).ok());
}

TEST(X509ChainTest, RefusesWrongOrderAndMissingRoot) {
  auto st = Verify({"leaf_ec256", "root", "intermediate"}, {"root"});
  EXPECT_NE(st.message().find("not issued by the next certificate"), std::string::npos) << st;
  st = Verify({"intermediate", "leaf_ec256", "root"}, {"root"});
  EXPECT_FALSE(st.ok());
  st = Verify({"leaf_ec256", "intermediate"}, {"root"});
  EXPECT_NE(st.message().find("not a self-signed root"), std::string::npos) << st;
  st = Verify({"leaf_ec256", "intermediate", "other_root"}, {"root", "other_root"});
  EXPECT_FALSE(st.ok());
}

TEST(X509ChainTest, EnforcesTheCertificateRequirements) {
  struct {
    std::vector<std::string> chain;
    std::string reason;
  } cases[] = {
      {{"leaf_ds_not_critical", "intermediate", "root"}, "critical keyUsage with digitalSignature"},
      {{"leaf_server_auth", "intermediate", "root"}, "serverAuth"},
      {{"leaf_rsa1024", "intermediate", "root"}, "RSA-1024"},
      {{"leaf_sha1", "intermediate", "root"}, "SHA-1"},
      {{"leaf_under_bad_ca", "ca_no_certsign", "root"}, "keyCertSign"},
      // A CA certificate as the leaf.
      {{"intermediate", "root"}, "is a CA"},
  };
  for (const auto& c : cases) {
    auto st = Verify(c.chain, {"root"});
    EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << c.chain[0];
    EXPECT_NE(st.message().find(c.reason), std::string::npos) << c.chain[0] << ": " << st;
  }
}

TEST(X509ChainTest, VerificationTimeIsInjected) {
  // leaf_expired: 2020-01-01 .. 2021-01-01.
  EXPECT_FALSE(Verify({"leaf_expired", "intermediate", "root"}, {"root"}, kNow).ok());
  // The intermediate is not valid before 2024 either, so no time fits all:
  // the same chain without time checks passes.
  EXPECT_TRUE(Verify({"leaf_expired", "intermediate", "root"}, {"root"}, std::nullopt).ok());
  EXPECT_FALSE(Verify({"leaf_ec256", "intermediate", "root"}, {"root"}, 1600000000).ok());  // 2020
  EXPECT_FALSE(Verify({"leaf_ec256", "intermediate", "root"}, {"root"}, 2400000000).ok());  // 2046
}

TEST(X509ChainTest, CheckValidityAtNamesTheCertificate) {
  auto chain = ParseCertificateChain(ChainDer({"leaf_expired", "intermediate", "root"}));
  ASSERT_TRUE(chain.ok());
  auto st = CheckValidityAt(*chain, kNow);
  EXPECT_NE(st.message().find("leaf certificate"), std::string::npos) << st;
  EXPECT_NE(st.message().find("expired"), std::string::npos) << st;
  EXPECT_NE(CheckValidityAt(*chain, 1590000000).message().find("not yet valid"), std::string::npos);
  auto good = ParseCertificateChain(ChainDer({"leaf_ec256", "intermediate", "root"}));
  EXPECT_TRUE(CheckValidityAt(*good, kNow).ok());
}

TEST(X509ChainTest, ParseRefusesMalformedCertificates) {
  EXPECT_FALSE(ParseCertificateChain({}).ok());
  EXPECT_FALSE(ParseCertificateChain({"not a certificate"}).ok());
  std::string der = CertDer("leaf_ec256");
  EXPECT_FALSE(ParseCertificateChain({der + "x"}).ok());  // trailing bytes
  EXPECT_FALSE(ParseCertificateChain({der.substr(0, der.size() - 1)}).ok());
  EXPECT_FALSE(ParseCertificateChain(std::vector<std::string>(11, der)).ok());
}

}  // namespace
}  // namespace pullsentry::notation
