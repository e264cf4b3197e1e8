#include "verify/sigstore/bundle.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"
#include "verify/sigstore/dsse.h"
#include "verify/sigstore/set.h"
#include "verify/sigstore/test_util.h"
#include "verify/sigstore/tlog_entry.h"

namespace pullsentry::sigstore {
namespace {

using testing_util::Fixture;

absl::StatusOr<Bundle> FixtureBundle(const std::string& name) {
  return ParseBundle(Fixture("bundles/" + name + ".json"));
}

TEST(Bundle, ParsesAV02CertificateChainMessageSignature) {
  absl::StatusOr<Bundle> b = FixtureBundle("v02_chain_message");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->version, BundleVersion::kV0_2);
  EXPECT_EQ(b->material, Bundle::Material::kCertificateChain);
  ASSERT_EQ(b->certificates_der.size(), 1u);
  ASSERT_EQ(b->tlog_entries.size(), 1u);
  const TlogEntry& e = b->tlog_entries[0];
  EXPECT_EQ(e.log_index, 1013);
  EXPECT_EQ(e.kind, "hashedrekord");
  EXPECT_EQ(e.version, "0.0.1");
  EXPECT_EQ(e.integrated_time, 1740830400);
  EXPECT_TRUE(e.signed_entry_timestamp.has_value());
  ASSERT_TRUE(e.inclusion_proof.has_value());
  EXPECT_EQ(e.inclusion_proof->log_index, 13);
  EXPECT_EQ(e.inclusion_proof->tree_size, 21);
  EXPECT_EQ(e.inclusion_proof->root_hash.size(), 32u);
  EXPECT_EQ(e.inclusion_proof->hashes.size(), 5u);
  EXPECT_TRUE(e.inclusion_proof->checkpoint.has_value());
  const auto& m = std::get<MessageSignature>(b->content);
  EXPECT_EQ(m.digest_algorithm, "SHA2_256");
  EXPECT_EQ("sha256:" + HexEncode(m.digest), crypto::Sha256Digest(Fixture("artifact.txt")));
}

TEST(Bundle, ParsesAV03RekorV2DsseBundle) {
  absl::StatusOr<Bundle> b = FixtureBundle("v03_rekor_v2_dsse");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->version, BundleVersion::kV0_3);
  EXPECT_EQ(b->material, Bundle::Material::kCertificate);
  EXPECT_EQ(b->tlog_entries[0].integrated_time, 0);
  EXPECT_FALSE(b->tlog_entries[0].signed_entry_timestamp.has_value());
  const auto& d = std::get<DsseEnvelope>(b->content);
  EXPECT_EQ(d.payload_type, "application/vnd.in-toto+json");
  EXPECT_NE(d.payload.find("https://sigstore.dev/cosign/sign/v1"), std::string::npos);
  auto key = LeafCertificateKey(*b);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*key)->Description(), "ecdsa-p256");
}

TEST(Bundle, KeyHintBundleHasNoCertificateKey) {
  absl::StatusOr<Bundle> b = FixtureBundle("v01_key_set_only");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->public_key_hint, "signer");
  EXPECT_EQ(LeafCertificateKey(*b).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Bundle, AcceptsTheProtobufJsonSpellingsOfIntegersAndBytes) {
  nlohmann::json doc = nlohmann::json::parse(Fixture("bundles/v02_chain_message.json"));
  auto& entry = doc["verificationMaterial"]["tlogEntries"][0];
  entry["logIndex"] = 1013;  // a number instead of a string
  std::string body = entry["canonicalizedBody"];
  while (!body.empty() && body.back() == '=') body.pop_back();  // unpadded
  entry["canonicalizedBody"] = body;
  absl::StatusOr<Bundle> b = ParseBundle(doc.dump());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->tlog_entries[0].log_index, 1013);
  entry["logIndex"] = "01013";
  EXPECT_FALSE(ParseBundle(doc.dump()).ok());
  entry["logIndex"] = "9223372036854775808";
  EXPECT_FALSE(ParseBundle(doc.dump()).ok());
}

TEST(Bundle, EnforcesItsLimits) {
  nlohmann::json doc = nlohmann::json::parse(Fixture("bundles/v02_chain_message.json"));
  nlohmann::json many = doc;
  for (int i = 0; i < 70; ++i) {
    many["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"].push_back(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  }
  absl::Status s = ParseBundle(many.dump()).status();
  EXPECT_NE(s.message().find("exceed the limit"), std::string::npos) << s;
  many = doc;
  for (int i = 0; i < 10; ++i) many["verificationMaterial"]["tlogEntries"].push_back(doc["verificationMaterial"]["tlogEntries"][0]);
  EXPECT_FALSE(ParseBundle(many.dump()).ok());
  many = doc;
  for (int i = 0; i < 11; ++i) {
    many["verificationMaterial"]["x509CertificateChain"]["certificates"].push_back(
        doc["verificationMaterial"]["x509CertificateChain"]["certificates"][0]);
  }
  EXPECT_FALSE(ParseBundle(many.dump()).ok());
  EXPECT_FALSE(ParseBundle(std::string(5u << 20, ' ')).ok());
  EXPECT_FALSE(ParseBundle(std::string(200, '[') + std::string(200, ']')).ok());
}

// --- The whole corpus: every bundle, good and tampered ----------------------

// The checks of this folder in the order a verifier runs them; the name of
// the first that fails, or "ok".
std::string FirstFailingCheck(const std::string& name, const TrustedRoot& root, std::string* detail) {
  absl::StatusOr<Bundle> b = FixtureBundle(name);
  if (!b.ok()) {
    *detail = b.status().ToString();
    return "parse";
  }
  for (const TlogEntry& entry : b->tlog_entries) {
    absl::StatusOr<TlogEntryCheck> check =
        VerifyTlogEntry(entry, root, /*require_inclusion_proof=*/b->version != BundleVersion::kV0_1);
    if (!check.ok()) {
      *detail = check.status().ToString();
      std::string msg(check.status().message());
      if (check.status().code() == absl::StatusCode::kNotFound) return "tlog";
      if (msg.starts_with("signed entry timestamp")) return "set";
      if (msg.find("inclusion proof:") != std::string::npos) return "proof";
      if (msg.find("checkpoint:") != std::string::npos) return "checkpoint";
      return "tlog?";
    }
  }
  std::shared_ptr<const crypto::PublicKey> key;
  if (b->material == Bundle::Material::kPublicKey) {
    EXPECT_EQ(b->public_key_hint, "signer");
    key = *crypto::PublicKey::FromPem(Fixture("signer.pub.pem"));
  } else {
    absl::StatusOr<std::shared_ptr<const crypto::PublicKey>> leaf = LeafCertificateKey(*b);
    if (!leaf.ok()) {
      *detail = leaf.status().ToString();
      return "signature";
    }
    key = *leaf;
  }
  absl::Status s;
  if (const auto* m = std::get_if<MessageSignature>(&b->content)) {
    std::string artifact = Fixture("artifact.txt");
    s = key->Verify(artifact, m->signature);
    if (s.ok() && "sha256:" + HexEncode(m->digest) != crypto::Sha256Digest(artifact)) {
      s = absl::PermissionDeniedError("message digest differs");
    }
  } else {
    s = VerifyDsseEnvelope(std::get<DsseEnvelope>(b->content), *key);
  }
  if (!s.ok()) {
    *detail = s.ToString();
    return "signature";
  }
  return "ok";
}

TEST(BundleCorpus, EveryCaseFailsAtTheExpectedCheck) {
  auto root = TrustedRoot::Parse(Fixture("trusted_root.json"));
  ASSERT_TRUE(root.ok()) << root.status();
  nlohmann::json cases = nlohmann::json::parse(Fixture("cases.json"));
  ASSERT_GT(cases.size(), 40u);
  int ok = 0;
  for (const auto& [name, expect] : cases.items()) {
    std::string detail;
    std::string got = FirstFailingCheck(name, **root, &detail);
    EXPECT_EQ(got, expect.get<std::string>()) << name << ": " << detail;
    ok += got == "ok";
  }
  EXPECT_GE(ok, 8);
}

TEST(BundleCorpus, TheSetPayloadIsCanonicalJson) {
  absl::StatusOr<Bundle> b = FixtureBundle("v01_key_set_only");
  ASSERT_TRUE(b.ok());
  absl::StatusOr<std::string> payload = SignedEntryTimestampPayload(b->tlog_entries[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_TRUE(payload->starts_with("{\"body\":\"")) << *payload;
  EXPECT_NE(payload->find("\",\"integratedTime\":1740830400,\"logID\":\""), std::string::npos) << *payload;
  EXPECT_TRUE(payload->ends_with(",\"logIndex\":1004}")) << *payload;
}

TEST(BundleCorpus, RekorV2EntryReportsNoTrustedTime) {
  auto root = TrustedRoot::Parse(Fixture("trusted_root.json"));
  ASSERT_TRUE(root.ok());
  absl::StatusOr<Bundle> b = FixtureBundle("v03_rekor_v2_message");
  ASSERT_TRUE(b.ok());
  absl::StatusOr<TlogEntryCheck> check = VerifyTlogEntry(b->tlog_entries[0], **root, true);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->inclusion_proven);
  EXPECT_FALSE(check->integrated_time.has_value());
  EXPECT_TRUE(check->log->ed25519);
}

TEST(BundleCorpus, SetOnlyEntryReportsItsTrustedTime) {
  auto root = TrustedRoot::Parse(Fixture("trusted_root.json"));
  ASSERT_TRUE(root.ok());
  absl::StatusOr<Bundle> b = FixtureBundle("v01_key_set_only");
  ASSERT_TRUE(b.ok());
  absl::StatusOr<TlogEntryCheck> check = VerifyTlogEntry(b->tlog_entries[0], **root, false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_FALSE(check->inclusion_proven);
  ASSERT_TRUE(check->integrated_time.has_value());
  EXPECT_EQ(check->integrated_time->time_since_epoch().count(), 1740830400);
  // The same entry when a policy demands an inclusion proof.
  EXPECT_EQ(VerifyTlogEntry(b->tlog_entries[0], **root, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pullsentry::sigstore
