// The verdict cache: decisions already reached, so a pull of a digest that
// was just verified under the same policy is not verified again.
//
// An entry is keyed by everything the decision depended on besides the
// digest: the reference as requested (its repository selects the scope,
// and its tag is what matchExact / matchRepoDigestOrExact compare signed
// identities with), the Kubernetes namespace (namespace rules), and the
// policy and trust material hash. A reloaded policy has a new hash, so old
// entries stop matching and age out.
//
// Only decisions are cached (admitted and refused); a failure to decide
// never is. An entry lives no longer than its TTL (short for refusals, so a
// newly pushed signature is seen soon) and never past the verdict's
// `valid_until`. The cache is bounded; the least recently used entry goes
// first.
//
// The entries are kept in one JSON file in the state directory, rewritten
// atomically (fsync, rename) before Store returns, with a checksum over the
// entries. A file that is damaged, tampered with, too large or unreadable is
// set aside (`<path>.damaged-<unix time>`) and never trusted: the cost is a
// re-verification, never an admission.
//
// Thread-safe.
#ifndef PULLSENTRY_PLUGIN_VERDICT_CACHE_H_
#define PULLSENTRY_PLUGIN_VERDICT_CACHE_H_

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/pipeline/verdict.h"

namespace pullsentry::plugin {

struct VerdictCacheKey {
  std::string reference;       // normalised reference as requested: name, and tag and/or digest
  std::string digest;          // the manifest digest decided on
  std::string kube_namespace;  // "" when the pull named none
  std::string policy_hash;     // LoadedPolicy::hash
  auto operator<=>(const VerdictCacheKey&) const = default;
};

struct VerdictCacheEntry {
  VerdictCacheKey key;
  verify::Verdict verdict;
  std::chrono::system_clock::time_point stored;
  std::chrono::system_clock::time_point expires;
};

struct VerdictCacheOptions {
  size_t max_entries = 10'000;                           // 0: cache nothing
  std::chrono::seconds admitted_ttl = std::chrono::hours(24);
  std::chrono::seconds refused_ttl = std::chrono::minutes(5);
};

class VerdictCache {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Bounds on what is read back from disk.
  static constexpr size_t kMaxFileBytes = 64u << 20;
  static constexpr size_t kMaxStringBytes = 8192;
  static constexpr size_t kMaxListItems = 256;

  // Opens the cache kept at `path` ("" keeps it in memory only). A damaged
  // file is set aside and reported through `warning`; only an I/O error
  // that leaves the state directory unusable is an error.
  static absl::StatusOr<std::unique_ptr<VerdictCache>> Open(std::string path, VerdictCacheOptions options,
                                                            Clock clock, std::string* warning);

  // The verdict stored for `key`, if any and not expired. Counts a hit or
  // a miss.
  std::optional<verify::Verdict> Lookup(const VerdictCacheKey& key);

  // Stores a decision and persists it before returning. The entry is kept
  // in memory even when persisting fails (the error says so).
  absl::Status Store(const VerdictCacheKey& key, const verify::Verdict& verdict);

  // Every live entry, most recently used first.
  std::vector<VerdictCacheEntry> List() const;

  // Forgets every entry (also on disk); returns how many there were.
  size_t Flush();

  // Forgets the entries of every policy but `policy_hash` (after a reload
  // they can no longer match); returns how many.
  size_t DropOtherPolicies(const std::string& policy_hash);

  size_t Size() const;
  uint64_t hits() const { return hits_.load(); }
  uint64_t misses() const { return misses_.load(); }
  const VerdictCacheOptions& options() const { return options_; }

 private:
  VerdictCache(std::string path, VerdictCacheOptions options, Clock clock)
      : path_(std::move(path)), options_(options), clock_(std::move(clock)) {}

  // Reads the file; "" when it was usable, else what is wrong with it.
  std::string LoadLocked(const std::string& text);
  void EraseLocked(std::list<VerdictCacheEntry>::iterator it);
  void DropExpiredLocked(std::chrono::system_clock::time_point now);
  std::string SerializeLocked() const;
  // Makes sure generation `generation` (or a later one) is on disk.
  absl::Status Persist(uint64_t generation);

  const std::string path_;
  const VerdictCacheOptions options_;
  const Clock clock_;

  mutable std::mutex mu_;
  std::list<VerdictCacheEntry> lru_;  // most recently used first
  std::map<VerdictCacheKey, std::list<VerdictCacheEntry>::iterator> index_;
  uint64_t generation_ = 0;  // bumped by every change to persist

  std::mutex persist_mu_;   // one writer of the file at a time; taken before mu_
  uint64_t persisted_ = 0;  // the generation on disk

  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_VERDICT_CACHE_H_
