#include "verify/pipeline/cosign_key_step.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "verify/cosign/simple_signing.h"
#include "verify/crypto/digest.h"
#include "verify/crypto/public_key.h"
#include "verify/pipeline/image_verifier.h"

namespace pullsentry::verify {
namespace {

// Keys, payloads and signatures from tests/fixtures/make_crypto_fixtures.py
// (python3-cryptography), never from the code under test.
#include "tests/fixtures/crypto/step_fixtures.inc"

constexpr char kDigest[] = "sha256:abababababababababababababababababababababababababababababababab";
constexpr char kOtherDigest[] = "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
constexpr char kSigTag[] = "sha256-abababababababababababababababababababababababababababababababab.sig";

// An in-memory registry: manifests by tag, blobs by digest. Like the real
// client it refuses a blob that does not match its digest (DataLoss).
class FakeRegistry : public registry::RegistryClient {
 public:
  absl::StatusOr<registry::FetchedManifest> GetManifest(const reference::ImageReference& repo,
                                                        std::string_view tag_or_digest,
                                                        const registry::PullContext&) override {
    manifest_requests.push_back(repo.Name() + ":" + std::string(tag_or_digest));
    if (manifest_error.has_value()) return *manifest_error;
    auto it = manifests.find(std::string(tag_or_digest));
    if (it == manifests.end()) return absl::NotFoundError("manifest unknown");
    return registry::FetchedManifest{crypto::Sha256Digest(it->second), "application/vnd.oci.image.manifest.v1+json",
                                     it->second};
  }

  absl::StatusOr<std::string> GetBlob(const reference::ImageReference& repo, std::string_view digest,
                                      size_t max_bytes, const registry::PullContext&) override {
    blob_requests.push_back(repo.Name() + "@" + std::string(digest));
    if (blob_error.has_value()) return *blob_error;
    auto it = blobs.find(std::string(digest));
    if (it == blobs.end()) return absl::NotFoundError("blob unknown");
    if (it->second.size() > max_bytes) return absl::ResourceExhaustedError("blob too large");
    if (!crypto::MatchesDigest(it->second, digest)) return absl::DataLossError("blob does not match its digest");
    return it->second;
  }

  std::map<std::string, std::string> manifests;
  std::map<std::string, std::string> blobs;
  std::optional<absl::Status> manifest_error;
  std::optional<absl::Status> blob_error;
  std::vector<std::string> manifest_requests;
  std::vector<std::string> blob_requests;
};

struct Signature {
  std::string payload;
  std::string signature_b64;
};

// Publishes a .sig manifest with one layer per signature, as cosign does.
void Publish(FakeRegistry& registry, const std::vector<Signature>& signatures) {
  std::string layers;
  for (const Signature& s : signatures) {
    std::string digest = crypto::Sha256Digest(s.payload);
    registry.blobs[digest] = s.payload;
    if (!layers.empty()) layers += ",";
    layers += R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
              std::to_string(s.payload.size()) + R"(,"digest":")" + digest +
              R"(","annotations":{"dev.cosignproject.cosign/signature":")" + s.signature_b64 + "\"}}";
  }
  registry.manifests[kSigTag] =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":)"
      R"("application/vnd.oci.image.config.v1+json","size":2,"digest":)"
      R"("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[)" +
      layers + "]}";
}

trust::NamedKey Key(const std::string& source, const char* pem) {
  auto key = crypto::PublicKey::FromPem(pem);
  EXPECT_TRUE(key.ok()) << key.status();
  return trust::NamedKey{source, *key};
}

trust::Requirement Requirement(std::vector<trust::NamedKey> keys,
                               trust::SignedIdentity::Kind kind = trust::SignedIdentity::Kind::kMatchRepoDigestOrExact) {
  trust::Requirement r;
  r.type = trust::Requirement::Type::kSigstoreSigned;
  r.keys = std::move(keys);
  r.signed_identity.kind = kind;
  return r;
}

trust::Requirement TrustP256() { return Requirement({Key("/etc/pullsentry/cosign.pub", kP256PubPem)}); }

reference::ImageReference Image(const std::string& text = "registry.example/acme/app:v1") {
  return *reference::ParseNormalized(text);
}

const Signature kGood{kPayload, kP256SigB64};
const Signature kUntrusted{kPayload, kP256OtherSigB64};
const Signature kOtherDigestSig{kPayloadOtherDigest, kP256PayloadOtherDigestSigB64};
const Signature kOtherIdentitySig{kPayloadOtherIdentity, kP256PayloadOtherIdentitySigB64};
const Signature kRepoOnlySig{kPayloadRepoOnly, kP256PayloadRepoOnlySigB64};

StepResult Check(FakeRegistry& registry, const trust::Requirement& requirement,
                 const reference::ImageReference& image = Image(), std::string_view digest = kDigest) {
  auto result = CheckCosignKeySignatures(registry, registry::PullContext{}, image, digest, requirement);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : StepResult{};
}

TEST(CosignKeyStep, ValidSignatureSatisfiesAndNamesTheSigner) {
  FakeRegistry registry;
  Publish(registry, {kGood});
  trust::Requirement req = TrustP256();
  StepResult r = Check(registry, req);
  EXPECT_TRUE(r.satisfied) << r.reason;
  EXPECT_EQ(r.signer, "/etc/pullsentry/cosign.pub (ecdsa-p256 " + req.keys[0].key->Fingerprint() + ")");
  EXPECT_EQ(registry.manifest_requests, std::vector<std::string>{"registry.example/acme/app:" + std::string(kSigTag)});
  ASSERT_EQ(registry.blob_requests.size(), 1u);
  EXPECT_EQ(registry.blob_requests[0], "registry.example/acme/app@" + crypto::Sha256Digest(kPayload));
}

TEST(CosignKeyStep, Ed25519KeyVerifies) {
  FakeRegistry registry;
  Publish(registry, {{kPayload, kEd25519SigB64}});
  EXPECT_TRUE(Check(registry, Requirement({Key("ed.pub", kEd25519PubPem)})).satisfied);
}

TEST(CosignKeyStep, AnyOfSeveralKeysSuffices) {
  FakeRegistry registry;
  Publish(registry, {kGood});
  StepResult r = Check(registry, Requirement({Key("other.pub", kP256OtherPubPem), Key("cosign.pub", kP256PubPem)}));
  EXPECT_TRUE(r.satisfied);
  EXPECT_TRUE(r.signer.starts_with("cosign.pub (ecdsa-p256 sha256:")) << r.signer;
}

TEST(CosignKeyStep, MissingSignatureTagIsNotSatisfied) {
  FakeRegistry registry;
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_EQ(r.reason, "no signature found (no tag " + std::string(kSigTag) + " in registry.example/acme/app)");
}

TEST(CosignKeyStep, RegistryFailureOnTheSignatureManifestIsAnError) {
  FakeRegistry registry;
  registry.manifest_error = absl::UnavailableError("registry.example: connection refused");
  auto r = CheckCosignKeySignatures(registry, {}, Image(), kDigest, TrustP256());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(r.status().message()).find("connection refused"), std::string::npos);
}

TEST(CosignKeyStep, RegistryFailureOnAPayloadIsAnError) {
  FakeRegistry registry;
  Publish(registry, {kGood});
  registry.blob_error = absl::DeadlineExceededError("deadline");
  EXPECT_EQ(CheckCosignKeySignatures(registry, {}, Image(), kDigest, TrustP256()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(CosignKeyStep, SignatureByAnUntrustedKeyIsNotSatisfied) {
  FakeRegistry registry;
  Publish(registry, {kUntrusted});
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_EQ(r.reason, "signed by an untrusted key: no signature verifies with /etc/pullsentry/cosign.pub");
}

TEST(CosignKeyStep, SignatureForAnotherDigestIsNotSatisfied) {
  FakeRegistry registry;
  Publish(registry, {kOtherDigestSig});
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_EQ(r.reason, std::string("signed digest ") + kOtherDigest + " does not match " + kDigest);
}

TEST(CosignKeyStep, SignatureForAnotherIdentityIsNotSatisfied) {
  FakeRegistry registry;
  Publish(registry, {kOtherIdentitySig});
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_EQ(r.reason,
            "signature names registry.example/acme/other:v1, policy requires registry.example/acme/app:v1 "
            "(matchRepoDigestOrExact)");
}

TEST(CosignKeyStep, CosignRepositoryOnlyIdentityNeedsMatchRepository) {
  FakeRegistry registry;
  Publish(registry, {kRepoOnlySig});
  StepResult exact = Check(registry, TrustP256());
  EXPECT_FALSE(exact.satisfied);
  EXPECT_NE(exact.reason.find("use matchRepository"), std::string::npos) << exact.reason;
  StepResult repo =
      Check(registry, Requirement({Key("cosign.pub", kP256PubPem)}, trust::SignedIdentity::Kind::kMatchRepository));
  EXPECT_TRUE(repo.satisfied) << repo.reason;
}

TEST(CosignKeyStep, ImageByDigestAcceptsATaggedSignatureOfItsRepository) {
  FakeRegistry registry;
  Publish(registry, {kGood});
  EXPECT_TRUE(Check(registry, TrustP256(), Image(std::string("registry.example/acme/app@") + kDigest)).satisfied);
}

TEST(CosignKeyStep, MostInformativeReasonWins) {
  FakeRegistry registry;
  Publish(registry, {kUntrusted, kOtherIdentitySig, kOtherDigestSig, kUntrusted});
  EXPECT_TRUE(Check(registry, TrustP256()).reason.starts_with("signed digest ")) << Check(registry, TrustP256()).reason;
  FakeRegistry registry2;
  Publish(registry2, {kUntrusted, kOtherIdentitySig, kUntrusted});
  EXPECT_TRUE(Check(registry2, TrustP256()).reason.starts_with("signature names ")) << Check(registry2, TrustP256()).reason;
}

TEST(CosignKeyStep, OneGoodLayerAmongBadOnesSatisfies) {
  FakeRegistry registry;
  Publish(registry, {kUntrusted, kOtherDigestSig, kGood});
  EXPECT_TRUE(Check(registry, TrustP256()).satisfied);
}

TEST(CosignKeyStep, TamperedPayloadDisqualifiesOnlyItsLayer) {
  FakeRegistry registry;
  Publish(registry, {kGood});
  registry.blobs[crypto::Sha256Digest(kPayload)] = kPayloadOtherDigest;  // served content differs
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_NE(r.reason.find("does not match its digest"), std::string::npos) << r.reason;
}

TEST(CosignKeyStep, SignatureOverOtherBytesDoesNotVerify) {
  // The payload of one signature with the signature of another.
  FakeRegistry registry;
  Publish(registry, {{kPayloadOtherDigest, kP256SigB64}});
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_TRUE(r.reason.starts_with("signed by an untrusted key")) << r.reason;
}

TEST(CosignKeyStep, MalformedSignatureManifestIsNotSatisfied) {
  FakeRegistry registry;
  registry.manifests[kSigTag] = "{not json";
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_NE(r.reason.find("is unusable"), std::string::npos) << r.reason;
}

TEST(CosignKeyStep, ManifestWithoutSignaturesIsNotSatisfied) {
  FakeRegistry registry;
  Publish(registry, {});
  StepResult r = Check(registry, TrustP256());
  EXPECT_FALSE(r.satisfied);
  EXPECT_EQ(r.reason, "signature manifest " + std::string(kSigTag) + " holds no cosign key signatures");
}

TEST(CosignKeyStep, RejectsARequirementWithoutKeys) {
  FakeRegistry registry;
  trust::Requirement r;
  r.type = trust::Requirement::Type::kInsecureAcceptAnything;
  EXPECT_EQ(CheckCosignKeySignatures(registry, {}, Image(), kDigest, r).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckCosignKeySignatures(registry, {}, Image(), kDigest, Requirement({})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.manifest_requests.empty());
}

// Through the whole verifier: an admission on a signature names its signer
// and kind, and nothing it relied on expires.
TEST(CosignKeyStep, VerifierVerdictNamesTheSignerAndKind) {
  auto registry = std::make_shared<FakeRegistry>();
  Publish(*registry, {kGood});
  auto native = trust::NativePolicy::Parse(
      R"({"version":1,"verifiers":{"team":{"type":"cosignKey","keyPaths":["p256.pub.pem"]}},)"
      R"("default":{"require":"team"}})",
      std::string(PULLSENTRY_FIXTURES_DIR) + "/crypto");
  ASSERT_TRUE(native.ok()) << native.status();
  trust::LoadedPolicy policy;
  policy.format = trust::PolicyFormat::kNative;
  policy.native = *native;
  policy.hash = (*native)->Hash();
  ImageVerifier verifier(registry);
  auto verdict = verifier.VerifyDigest(policy, Image(), kDigest, std::nullopt, registry::PullContext{});
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->admitted) << verdict->reason;
  ASSERT_EQ(verdict->signers.size(), 1u);
  EXPECT_TRUE(verdict->signers[0].starts_with("key ")) << verdict->signers[0];
  EXPECT_NE(verdict->signers[0].find("p256.pub.pem"), std::string::npos) << verdict->signers[0];
  EXPECT_EQ(verdict->signature_kinds, std::vector<std::string>{"cosign-key"});
  EXPECT_EQ(verdict->valid_until, std::chrono::system_clock::time_point::max());
}

}  // namespace
}  // namespace pullsentry::verify
