// Durable whole-file replacement for the daemon's state files: a crash at
// any point leaves either the old file or the complete new one.
#ifndef PULLSENTRY_PLUGIN_ATOMIC_FILE_H_
#define PULLSENTRY_PLUGIN_ATOMIC_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace pullsentry::plugin {

// Writes `data` to `<path>.tmp` (mode 0600), fsyncs it, renames it over
// `path` and fsyncs the directory. Internal errors name the step and path.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data);

// Removes `path` (absent is fine) and fsyncs the directory, so the removal
// survives a crash.
absl::Status RemoveFileDurably(const std::string& path);

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_ATOMIC_FILE_H_
