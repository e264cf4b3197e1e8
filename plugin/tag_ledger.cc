#include "plugin/tag_ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/status/status.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::plugin {
namespace {

using json = nlohmann::json;

constexpr int kFormatVersion = 1;

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(what + " " + path + ": " + std::strerror(errno));
}

// Writes `data` to `path` so that a crash at any point leaves either the old
// file or the complete new one.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("create", tmp);
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = ErrnoError("write", tmp);
      ::close(fd);
      return s;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status s = ErrnoError("fsync", tmp);
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return ErrnoError("close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("rename to", path);
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoError("open directory", dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return ErrnoError("fsync directory", dir);
  return absl::OkStatus();
}

bool ValidTag(const std::string& name, const std::string& tag) {
  auto ref = reference::ParseNormalized(name + ":" + tag);
  return ref.ok() && ref->Name() == name && ref->tag == tag && !ref->HasDigest();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TagLedger>> TagLedger::Open(std::string path, std::string* warning) {
  std::unique_ptr<TagLedger> ledger(new TagLedger(std::move(path)));
  struct stat st {};
  if (::stat(ledger->path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return ledger;
    return ErrnoError("stat", ledger->path_);
  }

  std::string problem;
  if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    problem = "larger than " + std::to_string(kMaxFileBytes) + " bytes";
  } else {
    std::ifstream in(ledger->path_, std::ios::binary);
    if (!in) return ErrnoError("open", ledger->path_);
    std::stringstream buffer;
    buffer << in.rdbuf();
    json doc = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      problem = "not valid JSON";
    } else if (!doc.contains("version") || doc["version"] != kFormatVersion || !doc.contains("tags") ||
               !doc["tags"].is_object()) {
      problem = "unknown format (want {\"version\":1,\"tags\":{…}})";
    } else {
      for (auto& [name, tags] : doc["tags"].items()) {
        if (!tags.is_object()) {
          problem = "entry " + name + " is not an object";
          break;
        }
        for (auto& [tag, digest] : tags.items()) {
          if (!digest.is_string() || !reference::IsValidDigest(digest.get<std::string>()) || !ValidTag(name, tag)) {
            problem = "entry " + name + ":" + tag + " is malformed";
            break;
          }
          if (++ledger->count_ > kMaxEntries) {
            problem = "more than " + std::to_string(kMaxEntries) + " entries";
            break;
          }
          ledger->entries_[name][tag] = digest.get<std::string>();
        }
        if (!problem.empty()) break;
      }
    }
  }
  if (problem.empty()) return ledger;

  // Never trust part of a damaged ledger: set it aside whole and start empty.
  ledger->entries_.clear();
  ledger->count_ = 0;
  std::string aside = ledger->path_ + ".damaged-" + std::to_string(std::time(nullptr));
  if (::rename(ledger->path_.c_str(), aside.c_str()) != 0) return ErrnoError("set aside damaged ledger", ledger->path_);
  if (warning != nullptr) {
    *warning = "tag ledger " + ledger->path_ + " is damaged (" + problem + "); moved to " + aside +
               " and starting empty: tagged images will be verified again on their next pull";
  }
  return ledger;
}

std::optional<std::string> TagLedger::Lookup(std::string_view name, std::string_view tag) const {
  std::lock_guard lock(mu_);
  auto repo = entries_.find(name);
  if (repo == entries_.end()) return std::nullopt;
  auto entry = repo->second.find(tag);
  if (entry == repo->second.end()) return std::nullopt;
  return entry->second;
}

std::vector<std::string> TagLedger::TagsFor(std::string_view name, std::string_view digest) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> tags;
  auto repo = entries_.find(name);
  if (repo == entries_.end()) return tags;
  for (const auto& [tag, d] : repo->second)
    if (d == digest) tags.push_back(tag);
  return tags;
}

absl::Status TagLedger::Record(std::string_view name, std::string_view tag, std::string_view digest) {
  std::lock_guard lock(mu_);
  auto& tags = entries_[std::string(name)];
  auto it = tags.find(tag);
  if (it != tags.end() && it->second == digest) return absl::OkStatus();
  std::optional<std::string> previous;
  if (it != tags.end()) {
    previous = it->second;
  } else {
    if (count_ >= kMaxEntries) return absl::ResourceExhaustedError("tag ledger is full");
    ++count_;
  }
  tags[std::string(tag)] = std::string(digest);
  absl::Status saved = SaveLocked();
  if (!saved.ok()) {
    // Keep memory and disk in agreement.
    if (previous) {
      tags[std::string(tag)] = *previous;
    } else {
      tags.erase(std::string(tag));
      --count_;
    }
  }
  return saved;
}

absl::Status TagLedger::Forget(std::string_view name, std::string_view digest) {
  std::lock_guard lock(mu_);
  auto repo = entries_.find(name);
  if (repo == entries_.end()) return absl::OkStatus();
  auto before = repo->second;
  size_t removed = std::erase_if(repo->second, [&](const auto& entry) { return entry.second == digest; });
  if (removed == 0) return absl::OkStatus();
  count_ -= removed;
  if (repo->second.empty()) entries_.erase(repo);
  absl::Status saved = SaveLocked();
  if (!saved.ok()) {
    entries_[std::string(name)] = std::move(before);
    count_ += removed;
  }
  return saved;
}

size_t TagLedger::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

absl::Status TagLedger::SaveLocked() const {
  json tags = json::object();
  for (const auto& [name, entries] : entries_) {
    json repo = json::object();
    for (const auto& [tag, digest] : entries) repo[tag] = digest;
    tags[name] = std::move(repo);
  }
  json doc = {{"version", kFormatVersion}, {"tags", std::move(tags)}};
  return WriteFileAtomically(path_, doc.dump(1) + "\n");
}

}  // namespace pullsentry::plugin
