// Just enough TOML to read the handful of containerd settings `pullsentry
// doctor` looks at, without a TOML library (Debian 12 packages none for C++).
//
// Understood: comments, [table] and [[array.of.tables]] headers, bare and
// quoted ("…", '…') dotted keys, and values kept as raw text — single-line
// strings, numbers, booleans, arrays (also spread over several lines) and
// inline tables. Not understood: multi-line strings ("""…""", '''…'''),
// whose lines are skipped, and keys inside inline tables, which stay part
// of the raw value. That is enough for containerd's own config files
// (`containerd config default`); a file that needs more is reported as
// unreadable rather than guessed at.
#ifndef PULLSENTRY_PLUGIN_CONTROL_MINIMAL_TOML_H_
#define PULLSENTRY_PLUGIN_CONTROL_MINIMAL_TOML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::control {

inline constexpr size_t kMaxTomlBytes = 1 << 20;

struct TomlEntry {
  std::vector<std::string> key;  // full path: table components, then the key's
  std::string value;             // raw text after '=' (trimmed); empty for a table header
  bool is_table = false;         // a [table] header rather than key = value
  int line = 0;                  // 1-based, where it starts
};

// Every table header and key/value pair, in file order. InvalidArgument
// naming the line for what cannot be read.
absl::StatusOr<std::vector<TomlEntry>> ReadTomlEntries(std::string_view text);

// Interpretations of a raw value; nullopt when it is not of that type.
std::optional<bool> TomlBool(std::string_view raw);
std::optional<long long> TomlInteger(std::string_view raw);
std::optional<std::string> TomlString(std::string_view raw);  // basic or literal, one line
std::optional<std::vector<std::string>> TomlStringArray(std::string_view raw);

// "plugins.\"io.containerd.cri.v1.images\".registry": for messages.
std::string TomlKeyString(const std::vector<std::string>& key);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_MINIMAL_TOML_H_
