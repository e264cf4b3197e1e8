#include "verify/pipeline/image_verifier.h"

#include <string>

#include "absl/status/status.h"
#include "verify/pipeline/cosign_key_step.h"

namespace pullsentry::verify {
namespace {

using trust::Requirement;

std::string ScopeName(const std::string& scope) { return scope.empty() ? "docker transport default" : scope; }

absl::Status WithContext(const absl::Status& status, std::string_view context) {
  return absl::Status(status.code(), std::string(context) + ": " + std::string(status.message()));
}

// The start of every containers-policy verdict: the image and its scope.
Verdict ScopedVerdict(const trust::ScopeMatch& match, const reference::ImageReference& image) {
  Verdict verdict;
  verdict.image = image.String();
  verdict.scope = match.scope;
  verdict.checks.push_back("policy scope: " + ScopeName(match.scope));
  return verdict;
}

}  // namespace

std::string DigestCheck(const reference::ImageReference& image, std::string_view digest) {
  if (image.HasDigest()) return "digest given in reference: " + std::string(digest);
  return "resolved tag " + image.tag + " to " + std::string(digest);
}

std::optional<Verdict> ImageVerifier::DecideWithoutRegistry(const trust::ContainersPolicy& policy,
                                                            const reference::ImageReference& image) const {
  trust::ScopeMatch match = policy.Match(image);
  if (match.requirements == nullptr || match.requirements->empty()) {
    // The parser refuses empty requirement lists; refuse here too rather than
    // treat "nothing required" as a yes.
    Verdict verdict = ScopedVerdict(match, image);
    verdict.reason = "policy has no requirements for scope " + ScopeName(match.scope);
    verdict.action = "refused";
    return verdict;
  }
  // A reject needs no network: decide before touching the registry.
  for (const Requirement& requirement : *match.requirements) {
    if (requirement.type == Requirement::Type::kReject) {
      Verdict verdict = ScopedVerdict(match, image);
      verdict.reason = "policy rejects images in scope " + ScopeName(match.scope);
      verdict.action = "refused";
      verdict.signature_kinds.push_back("reject");
      verdict.checks.push_back("reject: refused");
      return verdict;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Verdict> ImageVerifier::VerifyDigest(const trust::ContainersPolicy& policy,
                                                    const reference::ImageReference& image, std::string_view digest,
                                                    const registry::PullContext& context) const {
  if (std::optional<Verdict> early = DecideWithoutRegistry(policy, image)) {
    early->digest = std::string(digest);
    return *early;
  }
  trust::ScopeMatch match = policy.Match(image);
  Verdict verdict = ScopedVerdict(match, image);
  verdict.digest = std::string(digest);
  verdict.checks.push_back(DigestCheck(image, digest));

  std::string signers;
  for (const Requirement& requirement : *match.requirements) {
    switch (requirement.type) {
      case Requirement::Type::kInsecureAcceptAnything:
        verdict.signature_kinds.push_back("none");
        verdict.checks.push_back("insecureAcceptAnything: accepted without signature");
        break;
      case Requirement::Type::kReject:
        break;  // decided without the registry above
      case Requirement::Type::kSigstoreSigned: {
        verdict.signature_kinds.push_back("cosign-key");
        absl::StatusOr<StepResult> step =
            CheckCosignKeySignatures(*registry_, context, image, verdict.digest, requirement);
        if (!step.ok()) return WithContext(step.status(), "check signatures of " + image.NameWithDigest(verdict.digest));
        verdict.checks.push_back(std::string("sigstoreSigned (cosign key): ") +
                                 (step->satisfied ? "verified, " + step->signer : "failed, " + step->reason));
        if (!step->satisfied) {
          verdict.reason = step->reason;
          verdict.action = "refused";
          verdict.signers.clear();
          return verdict;
        }
        verdict.signers.push_back("key " + step->signer);
        if (!signers.empty()) signers += "; ";
        signers += step->signer;
        break;
      }
    }
  }
  verdict.admitted = true;
  verdict.action = "verified";
  verdict.reason = signers.empty() ? "admitted without signature by policy scope " + ScopeName(match.scope)
                                   : "signed by " + signers;
  return verdict;
}

absl::StatusOr<Verdict> ImageVerifier::Verify(const trust::ContainersPolicy& policy,
                                              const reference::ImageReference& image,
                                              const registry::PullContext& context) const {
  if (std::optional<Verdict> early = DecideWithoutRegistry(policy, image)) return *early;
  absl::StatusOr<std::string> digest = ResolveDigest(image, context);
  if (!digest.ok()) return digest.status();
  return VerifyDigest(policy, image, *digest, context);
}

absl::StatusOr<std::string> ImageVerifier::ResolveDigest(const reference::ImageReference& image,
                                                         const registry::PullContext& context) const {
  // Resolve what the reference names now; everything after this point is
  // about this digest only, and only this digest is handed to the runtime.
  if (image.HasDigest()) return image.digest;
  absl::StatusOr<registry::FetchedManifest> manifest = registry_->GetManifest(image, image.tag, context);
  if (!manifest.ok()) return WithContext(manifest.status(), "resolve " + image.String());
  return manifest->digest;
}

std::optional<Verdict> ImageVerifier::DecideWithoutRegistry(const trust::LoadedPolicy& policy,
                                                            const reference::ImageReference& image,
                                                            std::optional<std::string_view> ns) const {
  std::optional<Verdict> verdict =
      policy.native ? DecideWithoutRegistry(*policy.native, image, ns) : DecideWithoutRegistry(*policy.containers, image);
  if (verdict) {
    verdict->policy_hash = policy.hash;
    if (ns) verdict->kube_namespace = std::string(*ns);
  }
  return verdict;
}

absl::StatusOr<Verdict> ImageVerifier::VerifyDigest(const trust::LoadedPolicy& policy,
                                                    const reference::ImageReference& image, std::string_view digest,
                                                    std::optional<std::string_view> ns,
                                                    const registry::PullContext& context) const {
  // Only a sha256 digest can be checked against signatures, and a reference
  // naming another digest must never be decided by this one.
  if (!digest.starts_with("sha256:") || !reference::IsValidDigest(digest))
    return absl::InvalidArgumentError("not a sha256 manifest digest: \"" + std::string(digest) + "\"");
  if (image.HasDigest() && image.digest != digest)
    return absl::InvalidArgumentError(image.String() + " names a different digest than " + std::string(digest));
  absl::StatusOr<Verdict> verdict = policy.native ? VerifyDigest(*policy.native, image, digest, ns, context)
                                                  : VerifyDigest(*policy.containers, image, digest, context);
  if (verdict.ok()) {
    verdict->policy_hash = policy.hash;
    if (ns) verdict->kube_namespace = std::string(*ns);
  }
  return verdict;
}

absl::StatusOr<Verdict> ImageVerifier::Verify(const trust::LoadedPolicy& policy,
                                              const reference::ImageReference& image,
                                              std::optional<std::string_view> ns,
                                              const registry::PullContext& context) const {
  if (std::optional<Verdict> early = DecideWithoutRegistry(policy, image, ns)) return *early;
  absl::StatusOr<std::string> digest = ResolveDigest(image, context);
  if (!digest.ok()) return digest.status();
  return VerifyDigest(policy, image, *digest, ns, context);
}

}  // namespace pullsentry::verify
