// A linter for pullsentry's native policy format (native_policy.md): every
// problem at once, each with its JSON pointer (RFC 6901) and line:column,
// where NativePolicy::Parse stops at the first.
//
// Errors are exactly what makes NativePolicy::Parse fail, in the same words
// after the location and at the same line and column
// (native_policy_lint_test.cc checks that on every fixture and on one-change
// mutations). Warnings are for a policy that loads but may not do what its
// author meant, or that needs attention before it is rolled out:
//   - a declared verifier that no requirement uses;
//   - a keyless or notation verifier: declared, but not verifiable yet, so
//     every requirement that names one refuses;
//   - a scope, default or namespace override whose requirement is satisfied
//     without any verification (`accept`);
//   - a scope, default or override in `warn` or `audit` mode, which admits
//     what it would refuse (a rollout step that should end in `enforce`);
//   - a scope that can never win for any image beneath it, because a
//     `<pattern>/*` glob covers all of them and is more specific;
//   - a break-glass entry that has expired (it admits nothing), or that
//     expires more than kMaxBreakGlassLifetime after `now` (a standing
//     exception is not break-glass: it belongs in a scope).
#ifndef PULLSENTRY_TRUST_NATIVE_POLICY_LINT_H_
#define PULLSENTRY_TRUST_NATIVE_POLICY_LINT_H_

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "trust/containers_policy_lint.h"
#include "trust/native_policy.h"

namespace pullsentry::trust {

// Longer than this from `now`, a break-glass entry draws a warning.
inline constexpr std::chrono::hours kMaxBreakGlassLifetime{24 * 30};

// True when `text` is a JSON object with a top-level "version" member: the
// native format (containers-policy.json has no such member). Decided by a
// lenient scan, so that a native policy with a syntax error elsewhere is
// still recognised as native. Never throws.
bool LooksLikeNativePolicy(std::string_view text);

// Lints a native policy document. Keys are resolved and read as
// NativePolicy::Parse does with `options`. `now` is only used for the
// break-glass warnings; this reads no clock. Findings are sorted by position
// (document order), errors first at equal positions; a finding on the whole
// document has pointer "". Never throws.
std::vector<LintFinding> LintNativePolicy(std::string_view json, const NativePolicyOptions& options,
                                          std::chrono::system_clock::time_point now);

// An RFC 3339 date-time as the policy's "expires" accepts it (for --now).
std::optional<std::chrono::system_clock::time_point> ParsePolicyTime(std::string_view text);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_NATIVE_POLICY_LINT_H_
