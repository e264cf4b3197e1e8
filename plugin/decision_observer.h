// What the daemon learns from each pull decision, for whoever records it
// (metrics, the audit log). Observers are called on the pulling thread after
// the decision and must not block for long or throw.
#ifndef PULLSENTRY_PLUGIN_DECISION_OBSERVER_H_
#define PULLSENTRY_PLUGIN_DECISION_OBSERVER_H_

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "verify/pipeline/verdict.h"

namespace pullsentry::plugin {

struct DecisionRecord {
  std::chrono::system_clock::time_point time;  // when the decision was made
  std::string requested;                       // the image exactly as the caller named it
  std::string origin;                          // "cri" or "containerd-verifier"
  // The verdict, or the error that prevented one (which refuses the pull).
  absl::StatusOr<verify::Verdict> verdict;
  std::chrono::duration<double> elapsed{0};  // time spent deciding
  bool cache_hit = false;                    // decided from the verdict cache
};

class DecisionObserver {
 public:
  virtual ~DecisionObserver() = default;
  virtual void OnDecision(const DecisionRecord& record) = 0;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_DECISION_OBSERVER_H_
