// Decision counters for `pullsentry status`: how many pulls were admitted,
// refused or could not be decided, and how many came from the cache. A
// DecisionObserver, so it sees exactly what the decider decided.
#ifndef PULLSENTRY_PLUGIN_CONTROL_STATUS_COUNTERS_H_
#define PULLSENTRY_PLUGIN_CONTROL_STATUS_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "plugin/decision_observer.h"

namespace pullsentry::control {

class StatusCounters final : public plugin::DecisionObserver {
 public:
  void OnDecision(const plugin::DecisionRecord& record) override;
  // "decisions_admitted", "decisions_refused", "decisions_failed",
  // "decisions_from_cache", "decisions_from_containerd_verifier".
  std::map<std::string, uint64_t> Snapshot() const;

 private:
  std::atomic<uint64_t> admitted_{0}, refused_{0}, failed_{0}, cache_hits_{0}, from_hook_{0};
};

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_STATUS_COUNTERS_H_
