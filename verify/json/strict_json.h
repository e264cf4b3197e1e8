// JSON parsing for untrusted input, stricter than nlohmann's defaults:
// duplicate object keys are rejected (Go's encoding/json and nlohmann both
// keep one of them silently, and different parsers keep different ones) and
// nesting is bounded before it can exhaust memory or stack. Every parser of
// registry data and policy files goes through here.
#ifndef PULLSENTRY_VERIFY_JSON_STRICT_JSON_H_
#define PULLSENTRY_VERIFY_JSON_STRICT_JSON_H_

#include <nlohmann/json.hpp>

#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::json {

inline constexpr size_t kMaxJsonDepth = 32;

// InvalidArgument naming the line and column of a syntax error, the
// duplicated key, or the depth exceeded. Never throws.
absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text, size_t max_depth = kMaxJsonDepth);

// "object", "array", "string", …: for error messages.
const char* JsonTypeName(const nlohmann::json& value);

}  // namespace pullsentry::json

#endif  // PULLSENTRY_VERIFY_JSON_STRICT_JSON_H_
