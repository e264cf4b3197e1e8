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
};

}  // namespace pullsentry::verify

#endif  // PULLSENTRY_VERIFY_PIPELINE_VERDICT_H_
