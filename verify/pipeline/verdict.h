// The outcome of verifying one image: admitted or refused, and why.
// A verdict is a decision; a failure to decide (registry unreachable, a
// malformed answer) is an error status instead, which callers also refuse.
#ifndef PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_
#define PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_

#include <chrono>
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

  // Who signed, when admitted on signatures: one entry per satisfied
  // requirement, e.g. "key cosign.pub (ecdsa-p256 SHA256:…)". Audit records
  // and metrics read these; they never carry registry credentials.
  std::vector<std::string> signers;
  // The signature kinds checked, e.g. "cosign-key", "none" (no signature
  // required), "reject". Metrics label latency by the first one.
  std::vector<std::string> signature_kinds;
  // The earliest expiry of anything the verdict relied on (certificates,
  // CRLs, trust metadata, break-glass entries); max() when nothing expires.
  // A cached verdict is never used after this.
  std::chrono::system_clock::time_point valid_until = std::chrono::system_clock::time_point::max();
};

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_
