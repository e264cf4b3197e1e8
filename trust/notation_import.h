// Conversion of a Notation trust policy document (trustpolicy.json or
// trustpolicy.oci.json) into the native policy format, choosing the same
// trust policy for every image.
#ifndef PULLSENTRY_TRUST_NOTATION_IMPORT_H_
#define PULLSENTRY_TRUST_NOTATION_IMPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::trust {

struct NotationImport {
  std::string native_json;  // version 1, two-space indented, ends with a newline
  // Things an operator must know about the result, one line each (a skip
  // policy admitting images unverified, …). Never errors.
  std::vector<std::string> warnings;
};

// Returns native policy JSON equivalent to the Notation document `json`
// (see native_policy.md, "Converting a Notation trust policy"):
//   - each trust policy that verifies becomes a "notation" verifier named
//     after it, carrying its name (trustPolicy), signatureVerification,
//     trustStores and trustedIdentities unchanged;
//   - each registry scope R becomes a scope "R" requiring that verifier, and
//     a scope "R/*" requiring what the global policy requires: Notation
//     matches the repository exactly, a native prefix would also cover
//     R/sub, which Notation sends to the global policy;
//   - the global policy ("*") becomes "default"; with none, default is
//     "reject" (Notation: no applicable policy, the artifact is untrusted);
//   - level skip becomes the built-in "accept" (a warning says so);
//   - every scope is in mode "enforce", whatever the level: Notation's
//     audit and permissive still refuse an unsigned image or a broken
//     signature, which the native "audit" mode would admit. The level
//     travels with the verifier, which applies it when it checks.
// InvalidArgument when `json` is not a valid Notation trust policy (the
// NotationTrustPolicyDocument::Parse error, unchanged) or a scope has no
// native form. The output is checked with NativePolicy::Parse before it is
// returned.
absl::StatusOr<NotationImport> ImportNotationTrustPolicy(std::string_view json);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_NOTATION_IMPORT_H_
