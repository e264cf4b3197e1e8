#include "plugin/pull_decider.h"

#include <condition_variable>

#include "absl/status/status.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {

struct PullDecider::Flight {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  absl::StatusOr<verify::Verdict> result = absl::InternalError("verification did not finish");
};

namespace {

// Publishes the leader's result to the waiters however the leader leaves,
// and then retires the flight.
class FlightPublisher {
 public:
  explicit FlightPublisher(std::function<void()> publish) : publish_(std::move(publish)) {}
  FlightPublisher(const FlightPublisher&) = delete;
  FlightPublisher& operator=(const FlightPublisher&) = delete;
  ~FlightPublisher() { publish_(); }

 private:
  std::function<void()> publish_;
};

}  // namespace

PullDecider::Pipeline PullDecider::PipelineOf(std::shared_ptr<const verify::ImageVerifier> verifier) {
  Pipeline pipeline;
  pipeline.decide_without_registry = [verifier](const trust::LoadedPolicy& policy,
                                                const reference::ImageReference& image,
                                                std::optional<std::string_view> ns) {
    return verifier->DecideWithoutRegistry(policy, image, ns);
  };
  pipeline.resolve_digest = [verifier](const reference::ImageReference& image, const registry::PullContext& context) {
    return verifier->ResolveDigest(image, context);
  };
  pipeline.verify_digest = [verifier](const trust::LoadedPolicy& policy, const reference::ImageReference& image,
                                      std::string_view digest, std::optional<std::string_view> ns,
                                      const registry::PullContext& context) {
    return verifier->VerifyDigest(policy, image, digest, ns, context);
  };
  return pipeline;
}

PullDecider::PullDecider(const PolicyHolder* policy, Pipeline pipeline, VerdictCache* cache, Clock clock)
    : policy_(policy), pipeline_(std::move(pipeline)), cache_(cache), clock_(std::move(clock)) {
  // Entries read back from disk under another policy can never match.
  ForgetReplacedPolicies();
}

void PullDecider::AddObserver(DecisionObserver* observer) {
  std::lock_guard lock(observers_mu_);
  observers_.push_back(observer);
}

void PullDecider::Notify(const DecisionRecord& record) {
  std::vector<DecisionObserver*> observers;
  {
    std::lock_guard lock(observers_mu_);
    observers = observers_;
  }
  for (DecisionObserver* observer : observers) observer->OnDecision(record);
}

void PullDecider::ForgetReplacedPolicies() {
  if (cache_ == nullptr) return;
  // The holder's current policy, not this decision's snapshot: snapshots
  // taken before and after a reload interleave, the holder only moves on.
  std::string current = policy_->Get()->hash;
  {
    std::lock_guard lock(policy_seen_mu_);
    if (current == policy_seen_) return;
    policy_seen_ = current;
  }
  if (size_t dropped = cache_->DropOtherPolicies(current); dropped > 0)
    LogInfo("verdict cache: dropped " + std::to_string(dropped) + " verdicts of replaced policies");
}

absl::StatusOr<verify::Verdict> PullDecider::Decide(const reference::ImageReference& image,
                                                    std::optional<std::string_view> ns,
                                                    const registry::PullContext& context, std::string_view requested,
                                                    std::string_view origin) {
  const auto started = std::chrono::steady_clock::now();
  DecisionRecord record{.time = clock_(),
                        .requested = requested.empty() ? image.String() : std::string(requested),
                        .origin = std::string(origin),
                        .verdict = absl::UnknownError("undecided")};
  ForgetReplacedPolicies();
  // One snapshot for the whole decision: a reload never changes the rules mid-way.
  std::shared_ptr<const trust::LoadedPolicy> policy = policy_->Get();

  if (std::optional<verify::Verdict> early = pipeline_.decide_without_registry(*policy, image, ns)) {
    record.verdict = std::move(*early);
  } else if (absl::StatusOr<std::string> digest = pipeline_.resolve_digest(image, context); !digest.ok()) {
    record.verdict = digest.status();
  } else {
    record.verdict = DecideAt(*policy, image, *digest, ns, context, &record.cache_hit);
  }
  record.elapsed = std::chrono::steady_clock::now() - started;
  Notify(record);
  return record.verdict;
}

absl::StatusOr<verify::Verdict> PullDecider::DecideDigest(std::string_view name, std::string_view digest,
                                                          std::optional<std::string_view> ns, std::string_view origin,
                                                          const registry::PullContext& context) {
  const auto started = std::chrono::steady_clock::now();
  DecisionRecord record{.time = clock_(),
                        .requested = std::string(name),
                        .origin = std::string(origin),
                        .verdict = absl::UnknownError("undecided")};
  ForgetReplacedPolicies();
  std::shared_ptr<const trust::LoadedPolicy> policy = policy_->Get();

  absl::StatusOr<reference::ImageReference> image = reference::ParseNormalized(name);
  if (!image.ok()) {
    record.verdict = absl::InvalidArgumentError("image name \"" + std::string(name) +
                                                "\": " + std::string(image.status().message()));
  } else if (!digest.starts_with("sha256:") || !reference::IsValidDigest(digest)) {
    record.verdict = absl::InvalidArgumentError("not a sha256 manifest digest: \"" + std::string(digest) + "\"");
  } else if (image->HasDigest() && image->digest != digest) {
    // The name pins one digest and the runtime is about to pull another.
    record.verdict = absl::InvalidArgumentError(image->String() + " names a different digest than " +
                                                std::string(digest));
  } else if (std::optional<verify::Verdict> early = pipeline_.decide_without_registry(*policy, *image, ns)) {
    early->digest = std::string(digest);
    record.verdict = std::move(*early);
  } else {
    record.verdict = DecideAt(*policy, *image, std::string(digest), ns, context, &record.cache_hit);
  }
  record.elapsed = std::chrono::steady_clock::now() - started;
  Notify(record);
  return record.verdict;
}

absl::StatusOr<verify::Verdict> PullDecider::DecideAt(const trust::LoadedPolicy& policy,
                                                      const reference::ImageReference& image,
                                                      const std::string& digest, std::optional<std::string_view> ns,
                                                      const registry::PullContext& context, bool* cache_hit) {
  VerdictCacheKey key{image.String(), digest, ns ? std::string(*ns) : std::string(), policy.hash};
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    // The cache is asked under the same lock that finds flights, and a
    // leader stores before it retires its flight: a caller never misses
    // both a finished verification's entry and its flight.
    std::lock_guard lock(flights_mu_);
    if (cache_ != nullptr) {
      if (std::optional<verify::Verdict> cached = cache_->Lookup(key)) {
        *cache_hit = true;
        cached->image = image.String();
        LogDebug("verdict cache hit for " + image.NameWithDigest(digest));
        return *cached;
      }
    }
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }

  if (!leader) {
    std::unique_lock lock(flight->mu);
    ++waiting_;
    bool finished = context.deadline == std::chrono::steady_clock::time_point::max()
                        ? (flight->done_cv.wait(lock, [&] { return flight->done; }), true)
                        : flight->done_cv.wait_until(lock, context.deadline, [&] { return flight->done; });
    --waiting_;
    if (!finished) {
      return absl::DeadlineExceededError("deadline passed while waiting for a concurrent verification of " +
                                         image.NameWithDigest(digest));
    }
    absl::StatusOr<verify::Verdict> shared = flight->result;
    if (shared.ok()) shared->image = image.String();
    return shared;
  }

  absl::StatusOr<verify::Verdict> result = absl::InternalError("verification of " + image.NameWithDigest(digest) +
                                                               " ended without a result");
  {
    // However the verification ends, waiters are released and the flight retired.
    FlightPublisher publisher([&] {
      {
        std::lock_guard lock(flight->mu);
        flight->result = result;
        flight->done = true;
      }
      flight->done_cv.notify_all();
      std::lock_guard lock(flights_mu_);
      flights_.erase(key);
    });
    result = pipeline_.verify_digest(policy, image, digest, ns, context);
    // Only decisions are cached: a failure to decide is asked again next time.
    if (result.ok() && cache_ != nullptr) {
      if (absl::Status stored = cache_->Store(key, *result); !stored.ok())
        LogWarning("verdict cache: " + std::string(stored.message()) + " (the verdict stands, uncached)");
    }
  }
  return result;
}

}  // namespace pullsentry::plugin
