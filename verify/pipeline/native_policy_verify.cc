// ImageVerifier under pullsentry's native policy format: resolve the rule,
// check each verifier of its requirement tree against the digest, combine
// under anyOf/allOf, apply break-glass and the scope's mode.
#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "verify/pipeline/cosign_key_step.h"
#include "verify/pipeline/image_verifier.h"

namespace pullsentry::verify {
namespace {

using trust::LeafOutcome;
using trust::RequirementNode;
using trust::Verifier;

void CollectVerifiers(const RequirementNode& node, std::vector<const Verifier*>* out, std::set<std::string>* seen) {
  if (node.kind == RequirementNode::Kind::kVerifier) {
    if (node.verifier && seen->insert(node.verifier->name).second) out->push_back(node.verifier.get());
    return;
  }
  for (const RequirementNode& child : node.children) CollectVerifiers(child, out, seen);
}

bool IsBareReject(const RequirementNode& node) {
  return node.kind == RequirementNode::Kind::kVerifier && node.verifier &&
         node.verifier->type == Verifier::Type::kReject;
}

std::string_view ActionName(trust::Decision::Action action) {
  switch (action) {
    case trust::Decision::Action::kAdmitVerified: return "verified";
    case trust::Decision::Action::kAdmitBreakGlass: return "break-glass";
    case trust::Decision::Action::kAdmitWarn: return "warn";
    case trust::Decision::Action::kAdmitAudit: return "audit";
    case trust::Decision::Action::kRefuse: return "refused";
  }
  return "refused";
}

std::string_view StateName(LeafOutcome::State state) {
  switch (state) {
    case LeafOutcome::State::kSatisfied: return "satisfied";
    case LeafOutcome::State::kNotSatisfied: return "not satisfied";
    case LeafOutcome::State::kIndeterminate: return "undecided";
  }
  return "?";
}

// The start of every native verdict: the image, its rule and mode.
Verdict RuleVerdict(const trust::ResolvedRule& rule, const reference::ImageReference& image) {
  Verdict verdict;
  verdict.image = image.String();
  verdict.scope = rule.scope->pattern;
  verdict.mode = std::string(trust::PolicyModeName(rule.mode));
  verdict.checks.push_back("policy scope: " + rule.scope->pattern + " (" + rule.why + ")" +
                           (rule.applied_namespace.empty() ? "" : ", namespace " + rule.applied_namespace) +
                           ", mode " + verdict.mode);
  return verdict;
}

// How metrics and audit records name a verifier's kind of signature.
std::string SignatureKind(Verifier::Type type) {
  switch (type) {
    case Verifier::Type::kAccept: return "none";
    case Verifier::Type::kReject: return "reject";
    case Verifier::Type::kCosignKey: return "cosign-key";
    case Verifier::Type::kKeyless: return "cosign-keyless";
    case Verifier::Type::kNotation: return "notation";
  }
  return "unknown";
}

}  // namespace

std::optional<Verdict> ImageVerifier::DecideWithoutRegistry(const trust::NativePolicy& policy,
                                                            const reference::ImageReference& image,
                                                            std::optional<std::string_view> ns) const {
  // A plain reject under enforce needs no network, unless a break-glass
  // entry might admit the digest it resolves to.
  trust::ResolvedRule rule = policy.Resolve(image, ns);
  if (!IsBareReject(*rule.requirement) || rule.mode != trust::PolicyMode::kEnforce || !policy.break_glass().empty())
    return std::nullopt;
  Verdict verdict = RuleVerdict(rule, image);
  verdict.action = "refused";
  verdict.reason = "policy rejects images in scope " + rule.scope->pattern;
  verdict.signature_kinds.push_back("reject");
  verdict.checks.push_back("reject: refused");
  return verdict;
}

absl::StatusOr<Verdict> ImageVerifier::Verify(const trust::NativePolicy& policy,
                                              const reference::ImageReference& image,
                                              std::optional<std::string_view> ns,
                                              const registry::PullContext& context) const {
  if (std::optional<Verdict> early = DecideWithoutRegistry(policy, image, ns)) return *early;
  absl::StatusOr<std::string> digest = ResolveDigest(image, context);
  if (!digest.ok()) return digest.status();
  return VerifyDigest(policy, image, *digest, ns, context);
}

absl::StatusOr<Verdict> ImageVerifier::VerifyDigest(const trust::NativePolicy& policy,
                                                    const reference::ImageReference& image, std::string_view digest_view,
                                                    std::optional<std::string_view> ns,
                                                    const registry::PullContext& context) const {
  if (std::optional<Verdict> early = DecideWithoutRegistry(policy, image, ns)) {
    early->digest = std::string(digest_view);
    return *early;
  }
  const std::string digest(digest_view);
  trust::ResolvedRule rule = policy.Resolve(image, ns);
  Verdict verdict = RuleVerdict(rule, image);
  verdict.digest = digest;
  verdict.checks.push_back(DigestCheck(image, digest));

  std::vector<const Verifier*> verifiers;
  std::set<std::string> seen;
  CollectVerifiers(*rule.requirement, &verifiers, &seen);
  trust::LeafOutcomes outcomes;
  absl::Status first_failure;  // the first failure to decide, for its code
  std::vector<std::string> signers;
  for (const Verifier* verifier : verifiers) {
    verdict.signature_kinds.push_back(SignatureKind(verifier->type));
    LeafOutcome outcome;
    switch (verifier->type) {
      case Verifier::Type::kAccept:
        outcome = {LeafOutcome::State::kSatisfied, "accepted without signature"};
        break;
      case Verifier::Type::kReject:
        outcome = {LeafOutcome::State::kNotSatisfied, "rejected by policy"};
        break;
      case Verifier::Type::kCosignKey: {
        trust::Requirement requirement;
        requirement.type = trust::Requirement::Type::kSigstoreSigned;
        requirement.keys = verifier->keys;
        requirement.signed_identity = trust::EffectiveIdentity(rule, *verifier);
        absl::StatusOr<StepResult> step = CheckCosignKeySignatures(*registry_, context, image, digest, requirement);
        if (!step.ok()) {
          outcome = {LeafOutcome::State::kIndeterminate, std::string(step.status().message())};
          if (first_failure.ok()) first_failure = step.status();
        } else if (step->satisfied) {
          outcome = {LeafOutcome::State::kSatisfied, "signed by " + step->signer};
          signers.push_back("key " + step->signer);
        } else {
          outcome = {LeafOutcome::State::kNotSatisfied, step->reason};
        }
        break;
      }
      case Verifier::Type::kKeyless:
      case Verifier::Type::kNotation:
        outcome = {LeafOutcome::State::kNotSatisfied,
                   "verifier type " + std::string(trust::VerifierTypeName(verifier->type)) +
                       " is not supported yet"};
        break;
    }
    verdict.checks.push_back("verifier " + verifier->name + " (" +
                             std::string(trust::VerifierTypeName(verifier->type)) + "): " +
                             std::string(StateName(outcome.state)) + ", " + outcome.detail);
    outcomes[verifier->name] = std::move(outcome);
  }

  trust::Evaluation evaluation = trust::Evaluate(*rule.requirement, outcomes);
  trust::BreakGlassCheck break_glass = policy.CheckBreakGlass(digest, clock_());
  if (!break_glass.message.empty()) verdict.checks.push_back("break-glass: " + break_glass.message);
  trust::Decision decision = trust::Decide(rule, evaluation, break_glass);
  verdict.checks.push_back("requirement " + trust::DescribeRequirement(*rule.requirement) + ": " +
                           (evaluation.satisfied ? "satisfied" : "not satisfied, " + evaluation.reason));

  // Refusing because a verifier could not decide is a failure to decide:
  // report it with the registry's error code so callers can retry.
  if (!decision.admitted && evaluation.indeterminate && !first_failure.ok()) {
    return absl::Status(first_failure.code(),
                        "check signatures of " + image.NameWithDigest(digest) + ": " + evaluation.reason);
  }
  verdict.admitted = decision.admitted;
  verdict.action = std::string(ActionName(decision.action));
  verdict.reason = decision.reason;
  // Signers only when the signatures are what admitted the image.
  if (decision.action == trust::Decision::Action::kAdmitVerified) verdict.signers = std::move(signers);
  // An admission by break-glass holds only until the entry expires; a cached
  // copy must not outlive it.
  if (decision.action == trust::Decision::Action::kAdmitBreakGlass && break_glass.entry != nullptr)
    verdict.valid_until = std::min(verdict.valid_until, break_glass.entry->expires);
  return verdict;
}

}  // namespace pullsentry::verify
