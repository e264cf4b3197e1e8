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
// The entries are kept in a journal in the state directory: a header line,
// then one JSON line per stored entry, each with its own checksum. Store
// appends its line with one write and returns once it is synced (stores
// arriving during a sync share the next one), so a store costs one entry's
// work however big the cache is. When dead lines (replaced, evicted,
// expired, flushed) outnumber the live entries, the live entries are
// written as a fresh journal that atomically replaces the old one (fsync,
// rename); Flush and DropOtherPolicies do that at once.
//
// On open the lines are replayed. A torn last line is what a crash in the
// middle of an append leaves; its store never returned, so the line is
// dropped (and logged) and the rest is used. Any other damage (a bad line
// before the last, a tampered or self-contradicting entry, a file too large
// or unreadable) sets the whole file aside (`<path>.damaged-<unix time>`)
// and nothing in it is trusted: the cost is a re-verification, never an
// admission.
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
  ~VerdictCache();
  VerdictCache(const VerdictCache&) = delete;
  VerdictCache& operator=(const VerdictCache&) = delete;

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

  // Replays the journal; "" when it was usable, else what is wrong with it.
  // Sets `torn` to what was dropped from its end, if anything.
  std::string LoadLocked(const std::string& text, std::string* torn);
  void EraseLocked(std::list<VerdictCacheEntry>::iterator it);
  void DropExpiredLocked(std::chrono::system_clock::time_point now);
  void PutLocked(VerdictCacheEntry entry);
  bool NeedsCompactionLocked() const;
  // Replaces the journal with the live entries and reopens it for appends.
  // Needs sync_mu_ and mu_ held.
  absl::Status CompactLocked();
  // Makes sure every line up to append number `seq` is on disk.
  absl::Status SyncUpTo(uint64_t seq);

  const std::string path_;
  const VerdictCacheOptions options_;
  const Clock clock_;

  mutable std::mutex mu_;
  std::list<VerdictCacheEntry> lru_;  // most recently used first
  std::map<VerdictCacheKey, std::list<VerdictCacheEntry>::iterator> index_;
  std::chrono::system_clock::time_point next_sweep_{};  // when expired entries are next swept out

  // The journal, guarded by mu_ (fd_ is also kept stable by sync_mu_).
  int fd_ = -1;                // open for appends; -1 until a journal is written
  bool rewrite_ = true;        // the journal must be rewritten before the next append
  size_t journal_lines_ = 0;   // entry lines in the journal, live or dead
  size_t journal_bytes_ = 0;
  uint64_t appended_ = 0;      // entry lines appended so far

  std::mutex sync_mu_;         // one sync or rewrite at a time; taken before mu_
  uint64_t synced_ = 0;        // appended_ as of the last completed sync

  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_VERDICT_CACHE_H_
