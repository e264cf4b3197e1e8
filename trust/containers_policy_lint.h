// A linter for containers-policy.json(5) as pullsentry reads it: every
// problem at once, each with its JSON pointer (RFC 6901) and line:column,
// where ContainersPolicy::Parse stops at the first.
//
// Errors are exactly what makes ContainersPolicy::Parse fail, with the same
// wording after the location (containers_policy_lint_test.cc checks both on
// every fixture). Warnings are for a policy that loads but probably does not
// do what its author meant:
//   - a docker scope that no image can ever match (containers/image does not
//     validate scope strings, so a typo silently never matches);
//   - a scope whose canonical spelling is also present (one shadows the other);
//   - a scope nested in another that accepts anything while the broader one
//     does not (requirements of nested scopes never combine: the most
//     specific scope alone applies);
//   - transports other than "docker", which a CRI pull never consults;
//   - a global default, or docker default "", of insecureAcceptAnything.
#ifndef PULLSENTRY_TRUST_CONTAINERS_POLICY_LINT_H_
#define PULLSENTRY_TRUST_CONTAINERS_POLICY_LINT_H_

#include <string>
#include <string_view>
#include <vector>

namespace pullsentry::trust {

struct LintFinding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  // JSON pointer of the offending value or member ("" for the whole
  // document); for an unknown or duplicate member, the member itself.
  std::string pointer;
  // 1-based; column counts bytes. 0 when the location is unknown.
  int line = 0;
  int column = 0;
  std::string message;
};

// Lints a policy document. Relative keyPath values resolve against
// `base_dir`, as in ContainersPolicy::Parse; key files are read and checked.
// Findings are sorted by position (document order), errors first at equal
// positions. Never throws.
std::vector<LintFinding> LintContainersPolicy(std::string_view json, const std::string& base_dir);

// RFC 6901 escaping of one reference token: "~" → "~0", "/" → "~1".
std::string JsonPointerToken(std::string_view token);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_CONTAINERS_POLICY_LINT_H_
