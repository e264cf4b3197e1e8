// Helpers shared by the native_policy*.cc files; not API.
#ifndef PULLSENTRY_TRUST_NATIVE_POLICY_INTERNAL_H_
#define PULLSENTRY_TRUST_NATIVE_POLICY_INTERNAL_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trust/native_policy.h"

namespace pullsentry::trust::native_internal {

// Classifies and validates a scope pattern, filling scope->kind and
// scope->components. The error message names no location.
absl::Status ParseScopePattern(std::string_view pattern, NativeScope* scope);

// The key an exact-reference scope is stored under, and the key an image is
// looked up by (name@digest when it has a digest, else name:tag).
std::string ExactKey(const reference::ImageReference& image);

// kPrefix/kGlob: whether `scope` covers the repository `name_components`.
bool ScopeCoversName(const NativeScope& scope, const std::vector<std::string>& name_components);

// For two prefix/glob scopes that both cover some repository: > 0 when `a`
// is more specific, < 0 when `b` is, 0 when equally specific.
int CompareSpecificity(const NativeScope& a, const NativeScope& b);

// For two prefix/glob scopes with CompareSpecificity == 0: whether some
// repository is covered by both.
bool ScopesOverlap(const NativeScope& a, const NativeScope& b);

// Whether a glob component ('*' = one or more characters, no '/') matches `text`.
bool GlobComponentMatches(std::string_view glob, std::string_view text);

// Line and column (1-based, column in bytes) of the value at the JSON pointer
// `tokens` (unescaped) in `text`, which must be valid JSON.
std::optional<std::pair<size_t, size_t>> LocatePointer(std::string_view text, const std::vector<std::string>& tokens);

// RFC 3339 date-time ("2026-12-01T00:00:00Z", "…T01:00:00.5+01:00").
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// At most `limit` bytes of a regular file; the error names the file.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t limit, std::string_view what);

}  // namespace pullsentry::trust::native_internal

#endif  // PULLSENTRY_TRUST_NATIVE_POLICY_INTERNAL_H_
