#include "plugin/control/status_counters.h"

namespace pullsentry::control {

void StatusCounters::OnDecision(const plugin::DecisionRecord& record) {
  if (!record.verdict.ok()) {
    ++failed_;
  } else if (record.verdict->admitted) {
    ++admitted_;
  } else {
    ++refused_;
  }
  if (record.cache_hit) ++cache_hits_;
  if (record.origin == "containerd-verifier") ++from_hook_;
}

std::map<std::string, uint64_t> StatusCounters::Snapshot() const {
  return {{"decisions_admitted", admitted_.load()},
          {"decisions_refused", refused_.load()},
          {"decisions_failed", failed_.load()},
          {"decisions_from_cache", cache_hits_.load()},
          {"decisions_from_containerd_verifier", from_hook_.load()}};
}

}  // namespace pullsentry::control
