#include "plugin/verdict_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "plugin/atomic_file.h"
#include "plugin/logging.h"
#include "verify/crypto/digest.h"
#include "verify/json/strict_json.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::plugin {
namespace {

using json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

constexpr int kFormatVersion = 1;
constexpr TimePoint kNever = TimePoint::max();

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// Invalid UTF-8 (a registry's words in a reason) must not make the file
// unwritable; it is replaced, the same way every time, so checksums agree.
std::string Dump(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string Checksum(const json& entries) { return crypto::Sha256Digest(Dump(entries)); }

json StringList(const std::vector<std::string>& items) {
  json out = json::array();
  for (const std::string& item : items) out.push_back(item);
  return out;
}

json EntryToJson(const VerdictCacheEntry& entry) {
  const verify::Verdict& v = entry.verdict;
  return json{
      {"reference", entry.key.reference},
      {"digest", entry.key.digest},
      {"namespace", entry.key.kube_namespace},
      {"policy_hash", entry.key.policy_hash},
      {"stored_ms", ToMillis(entry.stored)},
      {"expires_ms", ToMillis(entry.expires)},
      {"verdict",
       {{"admitted", v.admitted},
        {"image", v.image},
        {"digest", v.digest},
        {"scope", v.scope},
        {"reason", v.reason},
        {"checks", StringList(v.checks)},
        {"mode", v.mode},
        {"action", v.action},
        {"namespace", v.kube_namespace},
        {"policy_hash", v.policy_hash},
        {"signers", StringList(v.signers)},
        {"signature_kinds", StringList(v.signature_kinds)},
        {"valid_until_ms", v.valid_until == kNever ? json(nullptr) : json(ToMillis(v.valid_until))}}}};
}

// Field readers for the file: each says what is wrong, or "" when fine.
std::string ReadString(const json& object, const char* field, std::string* out, bool may_be_empty = true) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return std::string(field) + " is not a string";
  *out = it->get<std::string>();
  if (out->size() > VerdictCache::kMaxStringBytes) return std::string(field) + " is too long";
  if (!may_be_empty && out->empty()) return std::string(field) + " is empty";
  return "";
}

std::string ReadStrings(const json& object, const char* field, std::vector<std::string>* out) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_array()) return std::string(field) + " is not a list";
  if (it->size() > VerdictCache::kMaxListItems) return std::string(field) + " has too many items";
  for (const json& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().size() > VerdictCache::kMaxStringBytes)
      return std::string(field) + " holds a bad item";
    out->push_back(item.get<std::string>());
  }
  return "";
}

std::string ReadMillis(const json& object, const char* field, TimePoint* out) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_number_integer()) return std::string(field) + " is not a whole number";
  *out = FromMillis(it->get<int64_t>());
  return "";
}

std::string EntryFromJson(const json& in, VerdictCacheEntry* entry) {
  if (!in.is_object()) return "not an object";
  std::string problem;
  if (!(problem = ReadString(in, "reference", &entry->key.reference, false)).empty() ||
      !(problem = ReadString(in, "digest", &entry->key.digest, false)).empty() ||
      !(problem = ReadString(in, "namespace", &entry->key.kube_namespace)).empty() ||
      !(problem = ReadString(in, "policy_hash", &entry->key.policy_hash, false)).empty() ||
      !(problem = ReadMillis(in, "stored_ms", &entry->stored)).empty() ||
      !(problem = ReadMillis(in, "expires_ms", &entry->expires)).empty())
    return problem;
  if (!reference::IsValidDigest(entry->key.digest)) return "digest is malformed";
  if (!reference::ParseNormalized(entry->key.reference).ok()) return "reference is malformed";

  auto it = in.find("verdict");
  if (it == in.end() || !it->is_object()) return "verdict is not an object";
  const json& v = *it;
  verify::Verdict& out = entry->verdict;
  auto admitted = v.find("admitted");
  if (admitted == v.end() || !admitted->is_boolean()) return "verdict.admitted is not true or false";
  out.admitted = admitted->get<bool>();
  if (!(problem = ReadString(v, "image", &out.image)).empty() ||
      !(problem = ReadString(v, "digest", &out.digest)).empty() ||
      !(problem = ReadString(v, "scope", &out.scope)).empty() ||
      !(problem = ReadString(v, "reason", &out.reason)).empty() ||
      !(problem = ReadStrings(v, "checks", &out.checks)).empty() ||
      !(problem = ReadString(v, "mode", &out.mode)).empty() ||
      !(problem = ReadString(v, "action", &out.action)).empty() ||
      !(problem = ReadString(v, "namespace", &out.kube_namespace)).empty() ||
      !(problem = ReadString(v, "policy_hash", &out.policy_hash)).empty() ||
      !(problem = ReadStrings(v, "signers", &out.signers)).empty() ||
      !(problem = ReadStrings(v, "signature_kinds", &out.signature_kinds)).empty())
    return "verdict." + problem;
  auto valid_until = v.find("valid_until_ms");
  if (valid_until == v.end()) return "verdict.valid_until_ms is missing";
  if (valid_until->is_null()) {
    out.valid_until = kNever;
  } else if (valid_until->is_number_integer()) {
    out.valid_until = FromMillis(valid_until->get<int64_t>());
  } else {
    return "verdict.valid_until_ms is not a whole number or null";
  }

  // The verdict must be about exactly this key, and say yes or no in one way.
  static const std::set<std::string, std::less<>> kAdmitActions = {"verified", "break-glass", "warn", "audit"};
  if (out.digest != entry->key.digest || out.policy_hash != entry->key.policy_hash ||
      out.kube_namespace != entry->key.kube_namespace)
    return "verdict does not match its key";
  if (out.admitted ? !kAdmitActions.contains(out.action) : out.action != "refused")
    return "verdict.action \"" + out.action + "\" contradicts verdict.admitted";
  if (entry->expires > out.valid_until) return "expires after the verdict's valid_until";
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<VerdictCache>> VerdictCache::Open(std::string path, VerdictCacheOptions options,
                                                                 Clock clock, std::string* warning) {
  std::unique_ptr<VerdictCache> cache(new VerdictCache(std::move(path), options, std::move(clock)));
  if (cache->path_.empty()) return cache;
  struct stat st {};
  if (::lstat(cache->path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return cache;
    return absl::InternalError("stat " + cache->path_ + ": " + std::strerror(errno));
  }

  std::string problem;
  if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    problem = "larger than " + std::to_string(kMaxFileBytes) + " bytes";
  } else {
    std::ifstream in(cache->path_, std::ios::binary);
    if (!in) return absl::InternalError("open " + cache->path_ + ": " + std::strerror(errno));
    std::string text;
    // Bounded even if the file grows after the stat: one byte more than it
    // had tells that it did.
    text.resize(static_cast<size_t>(st.st_size) + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > static_cast<size_t>(st.st_size)) {
      problem = "changed while being read";
    } else {
      std::lock_guard lock(cache->mu_);
      problem = cache->LoadLocked(text);
    }
  }
  if (problem.empty()) return cache;

  // Never trust part of a damaged cache: set it aside whole and start empty.
  {
    std::lock_guard lock(cache->mu_);
    cache->lru_.clear();
    cache->index_.clear();
  }
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(cache->clock_().time_since_epoch()).count();
  std::string aside = cache->path_ + ".damaged-" + std::to_string(now_s);
  if (::rename(cache->path_.c_str(), aside.c_str()) != 0)
    return absl::InternalError("set aside damaged verdict cache " + cache->path_ + ": " + std::strerror(errno));
  if (warning != nullptr) {
    *warning = "verdict cache " + cache->path_ + " is damaged (" + problem + "); moved to " + aside +
               " and starting empty: images will be verified again";
  }
  return cache;
}

std::string VerdictCache::LoadLocked(const std::string& text) {
  absl::StatusOr<json> doc = pullsentry::json::ParseStrictJson(text);
  if (!doc.ok()) return "not valid JSON: " + std::string(doc.status().message());
  if (!doc->is_object() || !doc->contains("version") || (*doc)["version"] != kFormatVersion ||
      !doc->contains("checksum") || !(*doc)["checksum"].is_string() || !doc->contains("entries") ||
      !(*doc)["entries"].is_array())
    return "unknown format (want {\"version\":1,\"checksum\":…,\"entries\":[…]})";
  const json& entries = (*doc)["entries"];
  // Bit rot and hand edits both show up here; a partly changed file is not
  // partly trusted.
  if ((*doc)["checksum"].get<std::string>() != Checksum(entries)) return "checksum mismatch";

  const TimePoint now = clock_();
  size_t index = 0;
  for (const json& item : entries) {
    VerdictCacheEntry entry;
    if (std::string problem = EntryFromJson(item, &entry); !problem.empty())
      return "entry " + std::to_string(index) + ": " + problem;
    ++index;
    if (index_.contains(entry.key)) return "entry " + std::to_string(index - 1) + " repeats a key";
    // Today's limits apply to yesterday's entries, and a clock that went
    // back does not stretch a lifetime.
    std::chrono::seconds ttl = entry.verdict.admitted ? options_.admitted_ttl : options_.refused_ttl;
    entry.expires = std::min({entry.expires, entry.stored + ttl, now + ttl});
    if (entry.expires <= now || lru_.size() >= options_.max_entries) continue;
    lru_.push_back(std::move(entry));  // the file lists the most recently used first
    index_[lru_.back().key] = std::prev(lru_.end());
  }
  return "";
}

void VerdictCache::EraseLocked(std::list<VerdictCacheEntry>::iterator it) {
  index_.erase(it->key);
  lru_.erase(it);
}

void VerdictCache::DropExpiredLocked(TimePoint now) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->expires <= now) EraseLocked(it);
    it = next;
  }
}

std::optional<verify::Verdict> VerdictCache::Lookup(const VerdictCacheKey& key) {
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  auto it = found->second;
  if (it->expires <= clock_()) {
    // Not persisted now: the file is rewritten at the next Store, and an
    // expired entry read back is dropped anyway.
    EraseLocked(it);
    ++misses_;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++hits_;
  return it->verdict;
}

absl::Status VerdictCache::Store(const VerdictCacheKey& key, const verify::Verdict& verdict) {
  if (options_.max_entries == 0) return absl::OkStatus();
  if (verdict.digest != key.digest || verdict.policy_hash != key.policy_hash)
    return absl::InvalidArgumentError("verdict for " + verdict.digest + " stored under key for " + key.digest);
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_();
    std::chrono::seconds ttl = verdict.admitted ? options_.admitted_ttl : options_.refused_ttl;
    TimePoint expires = std::min(now + ttl, verdict.valid_until);
    if (expires <= now) return absl::OkStatus();  // nothing left to cache
    if (auto found = index_.find(key); found != index_.end()) EraseLocked(found->second);
    DropExpiredLocked(now);
    lru_.push_front(VerdictCacheEntry{key, verdict, now, expires});
    index_[key] = lru_.begin();
    while (lru_.size() > options_.max_entries) EraseLocked(std::prev(lru_.end()));
    if (path_.empty()) return absl::OkStatus();
    generation = ++generation_;
  }
  return Persist(generation);
}

std::vector<VerdictCacheEntry> VerdictCache::List() const {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_();
  std::vector<VerdictCacheEntry> out;
  for (const VerdictCacheEntry& entry : lru_)
    if (entry.expires > now) out.push_back(entry);
  return out;
}

size_t VerdictCache::Flush() {
  uint64_t generation = 0;
  size_t count = 0;
  {
    std::lock_guard lock(mu_);
    count = lru_.size();
    lru_.clear();
    index_.clear();
    if (path_.empty()) return count;
    generation = ++generation_;
  }
  if (absl::Status saved = Persist(generation); !saved.ok())
    LogError("verdict cache flushed in memory but not on disk: " + std::string(saved.message()));
  return count;
}

size_t VerdictCache::DropOtherPolicies(const std::string& policy_hash) {
  uint64_t generation = 0;
  size_t count = 0;
  {
    std::lock_guard lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
      auto next = std::next(it);
      if (it->key.policy_hash != policy_hash) {
        EraseLocked(it);
        ++count;
      }
      it = next;
    }
    if (count == 0 || path_.empty()) return count;
    generation = ++generation_;
  }
  if (absl::Status saved = Persist(generation); !saved.ok())
    LogWarning("verdict cache: " + std::string(saved.message()));
  return count;
}

size_t VerdictCache::Size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

std::string VerdictCache::SerializeLocked() const {
  json entries = json::array();
  for (const VerdictCacheEntry& entry : lru_) entries.push_back(EntryToJson(entry));
  std::string checksum = Checksum(entries);
  json doc = {{"version", kFormatVersion}, {"checksum", checksum}, {"entries", std::move(entries)}};
  return Dump(doc, 1) + "\n";
}

absl::Status VerdictCache::Persist(uint64_t generation) {
  std::lock_guard lock(persist_mu_);
  // A newer state, which includes this one's change, is already on disk.
  if (generation <= persisted_) return absl::OkStatus();
  // Write the latest state, not just this change: changes that queued
  // behind another write reach the disk together, in one write.
  std::string data;
  uint64_t latest = 0;
  {
    std::lock_guard state_lock(mu_);
    data = SerializeLocked();
    latest = generation_;
  }
  absl::Status written = WriteFileAtomically(path_, data);
  if (written.ok()) persisted_ = latest;
  return written;
}

}  // namespace pullsentry::plugin
