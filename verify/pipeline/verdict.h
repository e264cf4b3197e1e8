// The outcome of verifying one image: admitted or refused, and why.
// A verdict is a decision; a failure to decide (registry unreachable, a
// malformed answer) is an error status instead, which callers also refuse.
#ifndef PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_
#define PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_

#include <string>
#include <vector>

namespace pullsentry::verify {

struct Verdict {
  bool admitted = false;
  std::string image;   // the reference as requested, normalised
  std::string digest;  // the manifest digest the verdict is about ("" if never resolved)
  std::string scope;   // the policy scope that decided
  std::string reason;  // one line: who signed when admitted, what failed when refused
  std::vector<std::string> checks;  // every check performed, in order, with its outcome

  // How the decision was reached (pullsentry's native policy format; a
  // containers-policy.json decision is always "enforce").
  std::string mode = "enforce";  // enforce, warn, audit
  // verified, break-glass, warn (admitted, would refuse), audit (admitted,
  // would refuse), refused
  std::string action;
  std::string kube_namespace;  // the pod's namespace, when the pull named one
  std::string policy_hash;     // the policy and trust material that decided
};

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_
