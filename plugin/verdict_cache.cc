#include "plugin/verdict_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// Version 1 was one JSON document rewritten whole on every store.
constexpr int kFormatVersion = 2;
constexpr char kFormatName[] = "pullsentry verdict cache journal";
constexpr TimePoint kNever = TimePoint::max();

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }
// Read back times must fit the clock's nanoseconds (about the years 1677 to
// 2262): a bigger number from the file would overflow the conversion.
constexpr int64_t kMaxMillis = 9'000'000'000'000;
bool MillisInRange(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>() <= static_cast<uint64_t>(kMaxMillis);
  return value.is_number_integer() && value.get<int64_t>() >= -kMaxMillis && value.get<int64_t>() <= kMaxMillis;
}

// Invalid UTF-8 (a registry's words in a reason) must not make the file
// unwritable; it is replaced, the same way every time, so checksums agree.
std::string Dump(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string Checksum(const json& entry) { return crypto::Sha256Digest(Dump(entry)); }

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
  if (!MillisInRange(*it)) return std::string(field) + " is out of range";
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
  } else if (valid_until->is_number_integer() && MillisInRange(*valid_until)) {
    out.valid_until = FromMillis(valid_until->get<int64_t>());
  } else {
    return "verdict.valid_until_ms is not a whole number in range or null";
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


std::string HeaderLine() { return Dump(json{{"format", kFormatName}, {"version", kFormatVersion}}) + "\n"; }

// One journal line: the entry and a checksum over its canonical dump (keys
// sorted, no spaces), so a changed byte anywhere in the line is noticed.
std::string PutLine(const VerdictCacheEntry& entry) {
  json put = EntryToJson(entry);
  std::string sum = Checksum(put);
  return Dump(json{{"put", std::move(put)}, {"sum", std::move(sum)}}) + "\n";
}

// Why a line is not a good entry line ("" when it is). `torn` is set when
// the line is unreadable or fails its checksum: what a cut-off append
// looks like.
std::string EntryFromLine(std::string_view line, VerdictCacheEntry* entry, bool* torn) {
  *torn = true;
  absl::StatusOr<json> doc = pullsentry::json::ParseStrictJson(line);
  if (!doc.ok()) return "not valid JSON: " + std::string(doc.status().message());
  if (!doc->is_object() || doc->size() != 2 || !doc->contains("put") || !doc->contains("sum") ||
      !(*doc)["sum"].is_string())
    return "not an entry line (want {\"put\":…,\"sum\":…})";
  // Bit rot and hand edits both show up here.
  if ((*doc)["sum"].get<std::string>() != Checksum((*doc)["put"])) return "checksum mismatch";
  *torn = false;
  return EntryFromJson((*doc)["put"], entry);
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

absl::StatusOr<std::unique_ptr<VerdictCache>> VerdictCache::Open(std::string path, VerdictCacheOptions options,
                                                                 Clock clock, std::string* warning) {
  std::unique_ptr<VerdictCache> cache(new VerdictCache(std::move(path), options, std::move(clock)));
  if (cache->path_.empty()) return cache;
  struct stat st {};
  if (::lstat(cache->path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return cache;
    return ErrnoError("stat", cache->path_);
  }

  std::string problem;
  std::string torn;
  if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    problem = "larger than " + std::to_string(kMaxFileBytes) + " bytes";
  } else {
    std::ifstream in(cache->path_, std::ios::binary);
    if (!in) return ErrnoError("open", cache->path_);
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
      problem = cache->LoadLocked(text, &torn);
    }
  }
  if (problem.empty()) {
    if (!torn.empty()) {
      // Rewritten before the next append, so no line ever follows the torn one.
      LogWarning("verdict cache " + cache->path_ + ": dropped its last line (" + torn +
                 "), left by a store cut off by a crash before it returned");
      return cache;
    }
    std::lock_guard lock(cache->mu_);
    cache->fd_ = ::open(cache->path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (cache->fd_ < 0) return ErrnoError("open for appending", cache->path_);
    cache->rewrite_ = false;
    return cache;
  }

  // Never trust part of a damaged cache: set it aside whole and start empty.
  {
    std::lock_guard lock(cache->mu_);
    cache->lru_.clear();
    cache->index_.clear();
    cache->journal_lines_ = cache->journal_bytes_ = 0;
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

VerdictCache::~VerdictCache() {
  if (fd_ >= 0) ::close(fd_);
}

std::string VerdictCache::LoadLocked(const std::string& text, std::string* torn) {
  std::string_view rest = text;
  size_t header_end = rest.find('\n');
  if (header_end == std::string_view::npos) return "no header line";
  absl::StatusOr<json> header = pullsentry::json::ParseStrictJson(rest.substr(0, header_end));
  if (!header.ok() || !header->is_object() || header->size() != 2 || !header->contains("format") ||
      (*header)["format"] != kFormatName || !header->contains("version") || (*header)["version"] != kFormatVersion)
    return "unknown format (want a first line {\"format\":\"" + std::string(kFormatName) + "\",\"version\":" +
           std::to_string(kFormatVersion) + "})";
  rest.remove_prefix(header_end + 1);
  journal_bytes_ = header_end + 1;

  const TimePoint now = clock_();
  size_t number = 1;  // line numbers as an editor shows them
  while (!rest.empty()) {
    ++number;
    size_t end = rest.find('\n');
    bool last = end == std::string_view::npos || end + 1 == rest.size();
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    VerdictCacheEntry entry;
    bool unreadable = false;
    std::string problem = EntryFromLine(line, &entry, &unreadable);
    if (end == std::string_view::npos) {
      // No newline: the append was cut off, whatever the bytes say.
      *torn = "line " + std::to_string(number) + " has no end";
      break;
    }
    if (!problem.empty()) {
      if (last && unreadable) {
        *torn = "line " + std::to_string(number) + ": " + problem;
        break;
      }
      return "line " + std::to_string(number) + ": " + problem;
    }
    ++journal_lines_;
    journal_bytes_ += line.size() + 1;
    // Today's limits apply to yesterday's entries, and a clock that went
    // back does not stretch a lifetime.
    std::chrono::seconds ttl = entry.verdict.admitted ? options_.admitted_ttl : options_.refused_ttl;
    entry.expires = std::min({entry.expires, entry.stored + ttl, now + ttl});
    // A later line replaces an earlier one for its key, even when expired.
    if (auto found = index_.find(entry.key); found != index_.end()) EraseLocked(found->second);
    if (entry.expires <= now || options_.max_entries == 0) continue;
    PutLocked(std::move(entry));
  }
  return "";
}

void VerdictCache::PutLocked(VerdictCacheEntry entry) {
  if (auto found = index_.find(entry.key); found != index_.end()) EraseLocked(found->second);
  lru_.push_front(std::move(entry));
  index_[lru_.front().key] = lru_.begin();
  while (lru_.size() > options_.max_entries) EraseLocked(std::prev(lru_.end()));
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
    // Not written to the journal: an expired entry read back is dropped.
    EraseLocked(it);
    ++misses_;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++hits_;
  return it->verdict;
}

bool VerdictCache::NeedsCompactionLocked() const {
  // Dead lines may at most match the live ones (plus some slack, so a small
  // cache is not rewritten all the time); rewriting then costs no more
  // than the appends since the last rewrite did.
  return journal_lines_ > std::max(2 * lru_.size(), lru_.size() + 1024) || journal_bytes_ > kMaxFileBytes / 2;
}

absl::Status VerdictCache::Store(const VerdictCacheKey& key, const verify::Verdict& verdict) {
  if (options_.max_entries == 0) return absl::OkStatus();
  if (verdict.digest != key.digest || verdict.policy_hash != key.policy_hash)
    return absl::InvalidArgumentError("verdict for " + verdict.digest + " stored under key for " + key.digest);
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_();
    std::chrono::seconds ttl = verdict.admitted ? options_.admitted_ttl : options_.refused_ttl;
    TimePoint expires = std::min(now + ttl, verdict.valid_until);
    if (expires <= now) return absl::OkStatus();  // nothing left to cache
    // Expired entries go at most once a second: a sweep walks every entry.
    if (now >= next_sweep_) {
      DropExpiredLocked(now);
      next_sweep_ = now + std::chrono::seconds(1);
    }
    PutLocked(VerdictCacheEntry{key, verdict, now, expires});
    if (path_.empty()) return absl::OkStatus();
    if (!rewrite_) {
      // One write(2) of the whole line to an O_APPEND descriptor: lines of
      // concurrent stores never interleave.
      std::string line = PutLine(lru_.front());
      ssize_t n = ::write(fd_, line.data(), line.size());
      if (n == static_cast<ssize_t>(line.size())) {
        seq = ++appended_;
        ++journal_lines_;
        journal_bytes_ += line.size();
        if (NeedsCompactionLocked()) rewrite_ = true;
      } else {
        // A short or failed write may have left part of a line: the next
        // step rewrites the journal whole, which also stores this entry.
        LogWarning("verdict cache: append to " + path_ + " failed (" +
                   (n < 0 ? std::string(std::strerror(errno)) : "short write") + "); rewriting it");
        rewrite_ = true;
      }
    }
  }
  if (seq != 0) {
    absl::Status synced = SyncUpTo(seq);
    std::lock_guard lock(mu_);
    if (!rewrite_) return synced;
    // A failed sync also asks for a rewrite, which may yet store the entry.
  }
  std::lock_guard sync_lock(sync_mu_);
  std::lock_guard lock(mu_);
  // Another store may have rewritten the journal meanwhile, with this entry.
  if (!rewrite_) return absl::OkStatus();
  return CompactLocked();
}

absl::Status VerdictCache::SyncUpTo(uint64_t seq) {
  std::lock_guard sync_lock(sync_mu_);
  // A sync that started after this line was written covered it: stores that
  // queued behind one sync share the next.
  if (synced_ >= seq) return absl::OkStatus();
  int fd = -1;
  uint64_t target = 0;
  {
    std::lock_guard lock(mu_);
    fd = fd_;
    target = appended_;
  }
  if (fd < 0) return absl::InternalError("verdict cache " + path_ + " is not open");
  if (::fdatasync(fd) != 0) {
    absl::Status error = ErrnoError("fdatasync", path_);
    // What reached the disk is unknown now: write it all again next time.
    std::lock_guard lock(mu_);
    rewrite_ = true;
    return error;
  }
  synced_ = target;
  return absl::OkStatus();
}

absl::Status VerdictCache::CompactLocked() {
  // Least recently used first, so a replay that puts each line in front
  // rebuilds the same order.
  const TimePoint now = clock_();
  std::string data = HeaderLine();
  size_t lines = 0;
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    if (it->expires <= now) continue;
    data += PutLine(*it);
    ++lines;
  }
  if (absl::Status written = WriteFileAtomically(path_, data); !written.ok()) {
    rewrite_ = true;
    return written;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) {
    rewrite_ = true;
    return ErrnoError("open for appending", path_);
  }
  rewrite_ = false;
  journal_lines_ = lines;
  journal_bytes_ = data.size();
  // Everything appended so far is in the new file, synced.
  synced_ = appended_;
  return absl::OkStatus();
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
  std::lock_guard sync_lock(sync_mu_);
  std::lock_guard lock(mu_);
  size_t count = lru_.size();
  lru_.clear();
  index_.clear();
  if (path_.empty()) return count;
  if (absl::Status saved = CompactLocked(); !saved.ok())
    LogError("verdict cache flushed in memory but not on disk: " + std::string(saved.message()));
  return count;
}

size_t VerdictCache::DropOtherPolicies(const std::string& policy_hash) {
  std::lock_guard sync_lock(sync_mu_);
  std::lock_guard lock(mu_);
  size_t count = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.policy_hash != policy_hash) {
      EraseLocked(it);
      ++count;
    }
    it = next;
  }
  if (count == 0 || path_.empty()) return count;
  if (absl::Status saved = CompactLocked(); !saved.ok()) LogWarning("verdict cache: " + std::string(saved.message()));
  return count;
}

size_t VerdictCache::Size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace pullsentry::plugin
