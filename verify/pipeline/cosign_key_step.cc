#include "verify/pipeline/cosign_key_step.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/cosign/simple_signing.h"

namespace pullsentry::verify {
namespace {

// Failures seen across layers, most informative last.
enum class Failure {
  kNone = 0,
  kLayerUnusable,      // payload blob missing, too large or corrupt
  kUntrustedKey,       // no key verifies the signature
  kMalformedPayload,   // a trusted key signed something that is not a payload
  kIdentityMismatch,   // signed for another reference
  kDigestMismatch,     // signed for another manifest
};

struct Worst {
  Failure failure = Failure::kNone;
  std::string reason;
  void Note(Failure f, std::string r) {
    if (f > failure) {
      failure = f;
      reason = std::move(r);
    }
  }
};

std::string KeySources(const std::vector<trust::NamedKey>& keys) {
  std::string out;
  for (const trust::NamedKey& k : keys) {
    if (!out.empty()) out += ", ";
    out += k.source;
  }
  return out;
}

bool LayerLevelBlobError(absl::StatusCode code) {
  return code == absl::StatusCode::kNotFound || code == absl::StatusCode::kDataLoss ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kInvalidArgument;
}

}  // namespace

absl::StatusOr<StepResult> CheckCosignKeySignatures(registry::RegistryClient& registry,
                                                    const registry::PullContext& context,
                                                    const reference::ImageReference& image,
                                                    std::string_view manifest_digest,
                                                    const trust::Requirement& requirement) {
  if (requirement.type != trust::Requirement::Type::kSigstoreSigned || requirement.keys.empty()) {
    return absl::InvalidArgumentError("cosign key check needs a sigstoreSigned requirement with public keys");
  }
  auto tag = cosign::SignatureTag(manifest_digest);
  if (!tag.ok()) return tag.status();

  auto manifest = registry.GetManifest(image, *tag, context);
  if (!manifest.ok()) {
    if (manifest.status().code() == absl::StatusCode::kNotFound) {
      return StepResult{false, absl::StrCat("no signature found (no tag ", *tag, " in ", image.Name(), ")"), ""};
    }
    return absl::Status(manifest.status().code(),
                        absl::StrCat("fetch signature manifest ", *tag, ": ", std::string(manifest.status().message())));
  }

  auto layers = cosign::ParseSignatureManifest(manifest->body);
  if (!layers.ok()) {
    return StepResult{false,
                      absl::StrCat("signature manifest ", *tag, " is unusable: ", std::string(layers.status().message())),
                      ""};
  }
  if (layers->empty()) {
    return StepResult{false, absl::StrCat("signature manifest ", *tag, " holds no cosign key signatures"), ""};
  }

  Worst worst;
  for (size_t i = 0; i < layers->size(); ++i) {
    const cosign::SignatureLayer& layer = (*layers)[i];
    auto payload = registry.GetBlob(image, layer.payload_digest, cosign::kMaxPayloadBytes, context);
    if (!payload.ok()) {
      if (!LayerLevelBlobError(payload.status().code())) {
        return absl::Status(payload.status().code(), absl::StrCat("fetch signature payload ", layer.payload_digest,
                                                                  ": ", std::string(payload.status().message())));
      }
      worst.Note(Failure::kLayerUnusable, absl::StrCat("signature payload ", layer.payload_digest,
                                                        " is unusable: ", std::string(payload.status().message())));
      continue;
    }

    // The signature first: nothing from an unauthenticated payload is parsed.
    const trust::NamedKey* signer = nullptr;
    for (const trust::NamedKey& key : requirement.keys) {
      if (key.key->Verify(*payload, layer.signature).ok()) {
        signer = &key;
        break;
      }
    }
    if (signer == nullptr) {
      worst.Note(Failure::kUntrustedKey, absl::StrCat("signed by an untrusted key: no signature verifies with ",
                                                       KeySources(requirement.keys)));
      continue;
    }

    auto parsed = cosign::ParseSimpleSigningPayload(*payload);
    if (!parsed.ok()) {
      worst.Note(Failure::kMalformedPayload, absl::StrCat("signed payload ", layer.payload_digest, " is malformed: ",
                                                           std::string(parsed.status().message())));
      continue;
    }
    if (parsed->docker_manifest_digest != manifest_digest) {
      worst.Note(Failure::kDigestMismatch, absl::StrCat("signed digest ", parsed->docker_manifest_digest,
                                                         " does not match ", std::string(manifest_digest)));
      continue;
    }
    absl::Status identity = trust::CheckSignedIdentity(requirement.signed_identity, image, parsed->docker_reference);
    if (!identity.ok()) {
      worst.Note(Failure::kIdentityMismatch, std::string(identity.message()));
      continue;
    }
    return StepResult{
        true, "", absl::StrCat(signer->source, " (", signer->key->Description(), " ", signer->key->Fingerprint(), ")")};
  }
  return StepResult{false, worst.reason, ""};
}

}  // namespace pullsentry::verify
