#include "plugin/control/daemon_handlers.h"

#include <ctime>

#include "trust/policy_file.h"
#include "trust/trust_store.h"

namespace pullsentry::control {
namespace {

std::string Rfc3339(std::chrono::system_clock::time_point when) {
  if (when == std::chrono::system_clock::time_point::max()) return "never";
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace

nlohmann::json CacheEntryToJson(const plugin::VerdictCacheEntry& entry) {
  return {{"reference", entry.key.reference},
          {"digest", entry.key.digest},
          {"namespace", entry.key.kube_namespace},
          {"policy_hash", entry.key.policy_hash},
          {"admitted", entry.verdict.admitted},
          {"action", entry.verdict.action},
          {"reason", entry.verdict.reason},
          {"stored", Rfc3339(entry.stored)},
          {"expires", Rfc3339(entry.expires)}};
}

ControlHandlers MakeDaemonHandlers(const DaemonControlParts& parts) {
  ControlHandlers handlers;
  handlers.status = [parts] {
    StatusReport status;
    status.version = parts.version;
    status.listen = parts.listen;
    status.trust_store = parts.trust_store;
    std::shared_ptr<const trust::LoadedPolicy> policy = parts.policy->Get();
    status.policy_path = policy->path;
    status.policy_format = std::string(trust::PolicyFormatName(policy->format));
    status.policy_hash = policy->hash;
    if (policy->trust_store) status.trust_hash = policy->trust_store->Hash();
    status.uptime_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - parts.started).count();
    if (parts.counters != nullptr) status.counters = parts.counters->Snapshot();
    if (parts.cache != nullptr) {
      status.cache_entries = parts.cache->Size();
      status.counters["cache_hits"] = parts.cache->hits();
      status.counters["cache_misses"] = parts.cache->misses();
    }
    return status;
  };
  if (parts.cache != nullptr) {
    handlers.cache_list = [cache = parts.cache]() -> absl::StatusOr<nlohmann::json> {
      nlohmann::json entries = nlohmann::json::array();
      for (const plugin::VerdictCacheEntry& entry : cache->List()) entries.push_back(CacheEntryToJson(entry));
      return entries;
    };
    handlers.cache_flush = [cache = parts.cache]() -> absl::StatusOr<uint64_t> { return cache->Flush(); };
  }
  handlers.verify = [decider = parts.decider,
                     timeout = parts.verify_timeout](const VerifyQuery& query) -> absl::StatusOr<VerifyAnswer> {
    registry::PullContext context;  // no credentials: containerd passes none to verifiers
    context.deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<std::string_view> ns;
    if (query.kube_namespace) ns = *query.kube_namespace;
    absl::StatusOr<verify::Verdict> verdict =
        decider->DecideDigest(query.name, query.digest, ns, "containerd-verifier", context);
    if (!verdict.ok()) return verdict.status();
    return VerifyAnswer{verdict->admitted, verdict->reason, verdict->digest, verdict->scope};
  };
  return handlers;
}

}  // namespace pullsentry::control
