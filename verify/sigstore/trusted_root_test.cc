#include "verify/sigstore/trusted_root.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"
#include "verify/sigstore/test_util.h"

namespace pullsentry::sigstore {
namespace {

using testing_util::Fixture;
using testing_util::ReadFile;

Time At(const char* rfc3339) { return *internal::ParseRfc3339(rfc3339, false); }

std::shared_ptr<const TrustedRoot> FixtureRoot() {
  auto root = TrustedRoot::Parse(Fixture("trusted_root.json"));
  EXPECT_TRUE(root.ok()) << root.status();
  return root.ok() ? *root : nullptr;
}

nlohmann::json FixtureJson() { return nlohmann::json::parse(Fixture("trusted_root.json")); }

absl::Status ParseEdited(const nlohmann::json& doc) { return TrustedRoot::Parse(doc.dump()).status(); }

TEST(TrustedRoot, ParsesEveryListOfTheFixture) {
  auto root = FixtureRoot();
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(root->tlogs().size(), 3u);
  EXPECT_EQ(root->ctlogs().size(), 1u);
  ASSERT_EQ(root->certificate_authorities().size(), 1u);
  EXPECT_EQ(root->certificate_authorities()[0].certificates.size(), 2u);
  EXPECT_EQ(root->certificate_authorities()[0].common_name, "fixture root");
  EXPECT_EQ(root->timestamp_authorities().size(), 1u);
  EXPECT_EQ(root->tlogs()[1].key->Description(), "ecdsa-p256");
  EXPECT_TRUE(root->tlogs()[2].ed25519);
  EXPECT_EQ(root->tlogs()[2].HostName(), "log2.fixture.test");
}

TEST(TrustedRoot, FindsALogKeyOnlyInsideItsInclusiveWindow) {
  auto root = FixtureRoot();
  ASSERT_NE(root, nullptr);
  const std::string& retired = root->tlogs()[0].log_id;
  // The window ends at 23:59:59.999, which counts as 23:59:59, inclusive.
  EXPECT_TRUE(root->FindTlog(retired, At("2024-06-30T23:59:59Z")).ok());
  EXPECT_TRUE(root->FindTlog(retired, At("2023-01-01T00:00:00Z")).ok());
  absl::StatusOr<const TransparencyLog*> late = root->FindTlog(retired, At("2024-07-01T00:00:00Z"));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(late.status().message().find("was not valid at 2024-07-01T00:00:00Z"), std::string::npos)
      << late.status();
  EXPECT_FALSE(root->FindTlog(retired, At("2022-12-31T23:59:59Z")).ok());
  // A start of 00:00:00.5 rounds up: 00:00:00 is still outside.
  const std::string& current = root->tlogs()[1].log_id;
  EXPECT_FALSE(root->FindTlog(current, At("2024-06-01T00:00:00Z")).ok());
  EXPECT_TRUE(root->FindTlog(current, At("2024-06-01T00:00:01Z")).ok());
  EXPECT_TRUE(root->FindTlog(current, At("2099-01-01T00:00:00Z")).ok());  // no end: open
  EXPECT_TRUE(root->FindTlog(current, std::nullopt).ok());
}

TEST(TrustedRoot, LogIdOfARekorV1KeyIsTheHashOfItsKey) {
  auto root = FixtureRoot();
  ASSERT_NE(root, nullptr);
  const TransparencyLog& log = root->tlogs()[1];
  EXPECT_EQ("sha256:" + HexEncode(log.log_id), crypto::Sha256Digest(log.public_key_der));
  EXPECT_EQ(log.key->Fingerprint(), crypto::Sha256Digest(log.public_key_der));
}

TEST(TrustedRoot, UnknownLogIdIsNotFoundAndNamed) {
  auto root = FixtureRoot();
  ASSERT_NE(root, nullptr);
  absl::StatusOr<const TransparencyLog*> log = root->FindTlog(std::string(32, '\x42'), std::nullopt);
  EXPECT_EQ(log.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(log.status().message().find("4242424242"), std::string::npos);
  // A CT log is no transparency log.
  EXPECT_FALSE(root->FindTlog(root->ctlogs()[0].log_id, std::nullopt).ok());
  EXPECT_TRUE(root->FindCtlog(root->ctlogs()[0].log_id, std::nullopt).ok());
}

TEST(TrustedRoot, AcceptsEveryMediaTypeOfTheFormat) {
  for (const char* media : {"application/vnd.dev.sigstore.trustedroot.v0.1+json",
                            "application/vnd.dev.sigstore.trustedroot.v0.2+json"}) {
    nlohmann::json doc = FixtureJson();
    doc["mediaType"] = media;
    EXPECT_TRUE(ParseEdited(doc).ok()) << media;
  }
}

struct Edit {
  const char* name;
  void (*apply)(nlohmann::json&);
  const char* want;  // part of the error message
};

class RefusedEdit : public testing::TestWithParam<Edit> {};

TEST_P(RefusedEdit, IsRefusedWithAReason) {
  nlohmann::json doc = FixtureJson();
  GetParam().apply(doc);
  absl::Status s = ParseEdited(doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(GetParam().want), std::string::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(
    TrustedRoot, RefusedEdit,
    testing::Values(
        Edit{"MediaType", [](nlohmann::json& d) { d["mediaType"] = "application/json"; }, "/mediaType"},
        Edit{"NoMediaType", [](nlohmann::json& d) { d.erase("mediaType"); }, "/mediaType: required"},
        Edit{"HashAlgorithm", [](nlohmann::json& d) { d["tlogs"][0]["hashAlgorithm"] = "SHA2_384"; },
             "/tlogs/0/hashAlgorithm"},
        Edit{"KeyDetailsUnknown",
             [](nlohmann::json& d) { d["tlogs"][1]["publicKey"]["keyDetails"] = "PKIX_ECDSA_P999"; },
             "/tlogs/1/publicKey/keyDetails"},
        Edit{"KeyDetailsDisagree",
             [](nlohmann::json& d) { d["tlogs"][1]["publicKey"]["keyDetails"] = "PKIX_ED25519"; },
             "but keyDetails says"},
        Edit{"KeyNotDer", [](nlohmann::json& d) { d["tlogs"][0]["publicKey"]["rawBytes"] = "AAAA"; },
             "/tlogs/0/publicKey/rawBytes"},
        Edit{"KeyNotBase64", [](nlohmann::json& d) { d["tlogs"][0]["publicKey"]["rawBytes"] = "!!"; },
             "not valid base64"},
        Edit{"NoLogId", [](nlohmann::json& d) { d["tlogs"][2].erase("logId"); }, "/tlogs/2/logId"},
        Edit{"BadTime",
             [](nlohmann::json& d) { d["tlogs"][0]["publicKey"]["validFor"]["start"] = "2023-01-01 00:00:00"; },
             "not an RFC 3339 time"},
        Edit{"BadDay",
             [](nlohmann::json& d) { d["tlogs"][0]["publicKey"]["validFor"]["start"] = "2023-02-30T00:00:00Z"; },
             "not an RFC 3339 time"},
        Edit{"EndBeforeStart",
             [](nlohmann::json& d) { d["tlogs"][0]["publicKey"]["validFor"]["end"] = "2022-01-01T00:00:00Z"; },
             "end is before start"},
        Edit{"CertificateNotDer",
             [](nlohmann::json& d) { d["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"] =
                                         "MIIB"; },
             "/certificateAuthorities/0/certChain/certificates/0/rawBytes"},
        Edit{"EmptyChain",
             [](nlohmann::json& d) { d["certificateAuthorities"][0]["certChain"]["certificates"] =
                                         nlohmann::json::array(); },
             "empty"},
        Edit{"ListNotArray", [](nlohmann::json& d) { d["ctlogs"] = nlohmann::json::object(); }, "/ctlogs: want array"},
        Edit{"TooManyLogs",
             [](nlohmann::json& d) {
               for (int i = 0; i < 70; ++i) d["tlogs"].push_back(d["tlogs"][0]);
             },
             "exceed the limit"}),
    [](const testing::TestParamInfo<Edit>& info) { return info.param.name; });

TEST(TrustedRoot, RefusesDuplicateKeysAndDeepNesting) {
  std::string text = Fixture("trusted_root.json");
  EXPECT_FALSE(TrustedRoot::Parse("{\"mediaType\":\"a\",\"mediaType\":\"b\"}").ok());
  std::string deep(100, '[');
  EXPECT_FALSE(TrustedRoot::Parse(deep).ok());
  EXPECT_FALSE(TrustedRoot::Parse("[]").ok());
}

TEST(TrustedRoot, IgnoresFieldsItDoesNotUse) {
  nlohmann::json doc = FixtureJson();
  doc["tlogs"][2]["checkpointKeyId"] = {{"keyId", "AAAA"}};
  doc["certificateAuthorities"][0]["operator"] = "fixture operator";
  EXPECT_TRUE(ParseEdited(doc).ok());
}

// The Sigstore public-good root shipped with the package.
TEST(TrustedRoot, ParsesThePackagedPublicGoodRoot) {
  std::string path = std::string(PULLSENTRY_PACKAGING_DIR) + "/sigstore/trusted_root.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no packaged trusted root at " << path;
  auto root = TrustedRoot::Parse(ReadFile(path));
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_FALSE((*root)->tlogs().empty());
  // Rekor v1's log id is the hash of its key; the Rekor v2 (Ed25519) log's is
  // the signed-note key id of its host name.
  bool saw_v1 = false, saw_v2 = false;
  for (const TransparencyLog& log : (*root)->tlogs()) {
    if (log.ed25519) {
      saw_v2 = true;
      std::string raw = log.public_key_der.substr(log.public_key_der.size() - 32);
      std::string note_id = log.HostName() + "\n\x01" + raw;
      EXPECT_EQ("sha256:" + HexEncode(log.log_id), crypto::Sha256Digest(note_id)) << log.base_url;
    } else {
      saw_v1 = true;
      EXPECT_EQ("sha256:" + HexEncode(log.log_id), crypto::Sha256Digest(log.public_key_der)) << log.base_url;
    }
  }
  EXPECT_TRUE(saw_v1);
  EXPECT_TRUE(saw_v2);
  EXPECT_FALSE((*root)->certificate_authorities().empty());
  EXPECT_FALSE((*root)->ctlogs().empty());
}

}  // namespace
}  // namespace pullsentry::sigstore
