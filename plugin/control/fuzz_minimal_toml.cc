// libFuzzer target: the minimal TOML reader `pullsentry doctor` uses on
// containerd's config.toml, and its value interpretations, on arbitrary
// bytes. Nothing may crash; every entry must point at a line of the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugin/control/minimal_toml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pullsentry::control;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<TomlEntry>> entries = ReadTomlEntries(text);
  if (!entries.ok()) return 0;
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  for (const TomlEntry& entry : *entries) {
    if (entry.line < 1 || entry.line > lines || entry.key.empty()) std::abort();
    (void)TomlBool(entry.value);
    (void)TomlInteger(entry.value);
    (void)TomlString(entry.value);
    (void)TomlStringArray(entry.value);
    (void)TomlKeyString(entry.key);
  }
  return 0;
}
