// The daemon's answers on the control socket: ControlHandlers bound to the
// policy in force, the pull decider (so containerd's verifier hook shares
// the CRI path's policy, cache and observers) and the verdict cache.
#ifndef PULLSENTRY_PLUGIN_CONTROL_DAEMON_HANDLERS_H_
#define PULLSENTRY_PLUGIN_CONTROL_DAEMON_HANDLERS_H_

#include <chrono>
#include <string>

#include "plugin/control/control_server.h"
#include "plugin/control/status_counters.h"
#include "plugin/policy_holder.h"
#include "plugin/pull_decider.h"
#include "plugin/verdict_cache.h"

namespace pullsentry::control {

struct DaemonControlParts {
  std::string version;
  std::string listen;       // the CRI endpoint served
  std::string trust_store;  // the trust store directory
  std::chrono::steady_clock::time_point started;
  // Not owned; each must outlive the control server. `cache` may be null
  // (cache turned off), `counters` may be null.
  const plugin::PolicyHolder* policy = nullptr;
  plugin::PullDecider* decider = nullptr;
  plugin::VerdictCache* cache = nullptr;
  const StatusCounters* counters = nullptr;
  // How long one `verify` may take; containerd stops waiting at 10 s.
  std::chrono::milliseconds verify_timeout = std::chrono::seconds(8);
};

ControlHandlers MakeDaemonHandlers(const DaemonControlParts& parts);

// One cached verdict as `cache-list` shows it.
nlohmann::json CacheEntryToJson(const plugin::VerdictCacheEntry& entry);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_DAEMON_HANDLERS_H_
