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

}  // namespace

absl::StatusOr<Verdict> ImageVerifier::Verify(const trust::ContainersPolicy& policy,
                                              const reference::ImageReference& image,
                                              const registry::PullContext& context) const {
  Verdict verdict;
  verdict.image = image.String();
  trust::ScopeMatch match = policy.Match(image);
  verdict.scope = match.scope;
  verdict.checks.push_back("policy scope: " + ScopeName(match.scope));
  if (match.requirements == nullptr || match.requirements->empty()) {
    // The parser refuses empty requirement lists; refuse here too rather than
    // treat "nothing required" as a yes.
    verdict.reason = "policy has no requirements for scope " + ScopeName(match.scope);
    verdict.action = "refused";
    return verdict;
  }

  // A reject needs no network: decide before touching the registry.
  for (const Requirement& requirement : *match.requirements) {
    if (requirement.type == Requirement::Type::kReject) {
      verdict.reason = "policy rejects images in scope " + ScopeName(match.scope);
      verdict.action = "refused";
      verdict.checks.push_back("reject: refused");
      return verdict;
    }
  }

  absl::StatusOr<std::string> digest = ResolveDigest(image, context, &verdict);
  if (!digest.ok()) return digest.status();

  std::string signers;
  for (const Requirement& requirement : *match.requirements) {
    switch (requirement.type) {
      case Requirement::Type::kInsecureAcceptAnything:
        verdict.checks.push_back("insecureAcceptAnything: accepted without signature");
        break;
      case Requirement::Type::kReject:
        break;  // handled above
      case Requirement::Type::kSigstoreSigned: {
        absl::StatusOr<StepResult> step =
            CheckCosignKeySignatures(*registry_, context, image, verdict.digest, requirement);
        if (!step.ok()) return WithContext(step.status(), "check signatures of " + image.NameWithDigest(verdict.digest));
        verdict.checks.push_back(std::string("sigstoreSigned (cosign key): ") +
                                 (step->satisfied ? "verified, " + step->signer : "failed, " + step->reason));
        if (!step->satisfied) {
          verdict.reason = step->reason;
          verdict.action = "refused";
          return verdict;
        }
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

}  // namespace pullsentry::verify

namespace pullsentry::verify {

absl::StatusOr<std::string> ImageVerifier::ResolveDigest(const reference::ImageReference& image,
                                                         const registry::PullContext& context,
                                                         Verdict* verdict) const {
  // Resolve what the reference names now; everything after this point is
  // about this digest only, and only this digest is handed to the runtime.
  if (image.HasDigest()) {
    verdict->digest = image.digest;
    verdict->checks.push_back("digest given in reference: " + verdict->digest);
    return verdict->digest;
  }
  absl::StatusOr<registry::FetchedManifest> manifest = registry_->GetManifest(image, image.tag, context);
  if (!manifest.ok()) return WithContext(manifest.status(), "resolve " + image.String());
  verdict->digest = manifest->digest;
  verdict->checks.push_back("resolved tag " + image.tag + " to " + verdict->digest);
  return verdict->digest;
}

absl::StatusOr<Verdict> ImageVerifier::Verify(const trust::LoadedPolicy& policy,
                                              const reference::ImageReference& image,
                                              std::optional<std::string_view> ns,
                                              const registry::PullContext& context) const {
  absl::StatusOr<Verdict> verdict = policy.native ? Verify(*policy.native, image, ns, context)
                                                  : Verify(*policy.containers, image, context);
  if (verdict.ok()) {
    verdict->policy_hash = policy.hash;
    if (ns) verdict->kube_namespace = std::string(*ns);
  }
  return verdict;
}

}  // namespace pullsentry::verify
