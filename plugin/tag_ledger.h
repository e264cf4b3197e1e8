// The tag ledger: which tag pullsentryd verified and pinned to which digest.
//
// Runtimes record no tag for a pull by digest, so without this kubelet would
// find no image for "repo:tag" and pull again at every container start. The
// ledger answers "repo:tag -> digest" for ImageStatus, RemoveImage and the
// repo_tags of ImageStatus/ListImages answers.
//
// It lives in one JSON file in the state directory. Every change is written
// atomically (temporary file, fsync, rename, fsync of the directory), so a
// crash leaves either the old or the new ledger. A file that cannot be parsed
// is set aside and the ledger starts empty: the cost is a re-verification on
// the next pull, never an admission.
#ifndef PULLSENTRY_PLUGIN_TAG_LEDGER_H_
#define PULLSENTRY_PLUGIN_TAG_LEDGER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::plugin {

class TagLedger {
 public:
  // Bounds on what the ledger holds and reads back.
  static constexpr size_t kMaxEntries = 100'000;
  static constexpr size_t kMaxFileBytes = 64u << 20;

  // Opens (or creates) the ledger at `path`. A damaged file is renamed to
  // `<path>.damaged-<unix time>` and reported through `warning`; only I/O
  // errors that leave the ledger unusable are returned as errors.
  static absl::StatusOr<std::unique_ptr<TagLedger>> Open(std::string path, std::string* warning);

  // The digest recorded for `name` ("docker.io/library/nginx") and `tag`.
  std::optional<std::string> Lookup(std::string_view name, std::string_view tag) const;

  // All tags of `name` pinned to `digest`.
  std::vector<std::string> TagsFor(std::string_view name, std::string_view digest) const;

  // Records name:tag -> digest and persists it before returning.
  absl::Status Record(std::string_view name, std::string_view tag, std::string_view digest);

  // Forgets every tag of `name` pinned to `digest`, persisting the change.
  absl::Status Forget(std::string_view name, std::string_view digest);

  size_t size() const;

 private:
  explicit TagLedger(std::string path) : path_(std::move(path)) {}
  absl::Status SaveLocked() const;

  const std::string path_;
  mutable std::mutex mu_;
  // name -> tag -> digest
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> entries_;
  size_t count_ = 0;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_TAG_LEDGER_H_
