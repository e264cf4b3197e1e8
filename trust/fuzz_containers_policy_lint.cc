// libFuzzer entry point for the containers-policy.json linter, and a
// differential check against the loader: lint reports an error exactly when
// ContainersPolicy::Parse fails, and Parse's message is among lint's errors.
// Relative key paths resolve under a directory that does not exist.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trust/containers_policy.h"
#include "trust/containers_policy_lint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pullsentry::trust::LintFinding;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string base_dir = "/nonexistent-pullsentry-fuzz";
  auto parsed = pullsentry::trust::ContainersPolicy::Parse(text, base_dir);
  auto findings = pullsentry::trust::LintContainersPolicy(text, base_dir);
  bool lint_error = false;
  bool message_found = false;
  std::string message = parsed.ok() ? "" : std::string(parsed.status().message());
  for (const LintFinding& f : findings) {
    if (f.severity != LintFinding::Severity::kError) continue;
    lint_error = true;
    message_found = message_found || std::string_view(message).ends_with(f.message);
  }
  if (lint_error == parsed.ok() || (!parsed.ok() && !message_found)) {
    std::fprintf(stderr, "lint and Parse disagree; Parse: %s\n", message.c_str());
    std::abort();
  }
  return 0;
}
