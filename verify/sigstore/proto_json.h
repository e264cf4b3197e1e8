// Reading the protobuf-JSON form the Sigstore formats use (field names in
// lowerCamelCase, bytes as base64, 64-bit integers as decimal strings,
// Timestamps as RFC 3339). Internal to verify/sigstore: the helpers name the
// JSON path of whatever they refuse, so a parser's error says where.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_PROTO_JSON_H_
#define PULLSENTRY_VERIFY_SIGSTORE_PROTO_JSON_H_

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::sigstore {

// Whole seconds: Rekor's integratedTime and X.509 validity have no finer grain.
using Time = std::chrono::sys_seconds;

namespace internal {

// The member `key` of object `obj` (at JSON path `path`), or nullptr when
// absent. InvalidArgument when `obj` is not an object.
absl::StatusOr<const nlohmann::json*> Member(const nlohmann::json& obj, std::string_view path, std::string_view key);

// Required or optional members of a given type. Strings are bounded by
// `max_bytes`; an empty string counts as absent, as protobuf's JSON mapping
// writes no default values.
absl::StatusOr<std::string> RequiredString(const nlohmann::json& obj, std::string_view path, std::string_view key,
                                           size_t max_bytes);
absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& obj, std::string_view path,
                                                          std::string_view key, size_t max_bytes);
// A `bytes` field: base64, standard or URL-safe alphabet, padding optional
// (all spellings protobuf's JSON mapping accepts). `max_bytes` bounds the
// decoded size.
absl::StatusOr<std::string> RequiredBytes(const nlohmann::json& obj, std::string_view path, std::string_view key,
                                          size_t max_bytes);
absl::StatusOr<std::optional<std::string>> OptionalBytes(const nlohmann::json& obj, std::string_view path,
                                                         std::string_view key, size_t max_bytes);
// An int64 field: a decimal string or a JSON integer; refused when negative.
absl::StatusOr<int64_t> RequiredNonNegativeInt64(const nlohmann::json& obj, std::string_view path,
                                                 std::string_view key);
// An object member; nullptr when absent. InvalidArgument when not an object.
absl::StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& obj, std::string_view path,
                                                     std::string_view key);
absl::StatusOr<const nlohmann::json*> RequiredObject(const nlohmann::json& obj, std::string_view path,
                                                     std::string_view key);
// An array member (absent = empty) holding at most `max_items` items.
absl::StatusOr<const nlohmann::json*> OptionalArray(const nlohmann::json& obj, std::string_view path,
                                                    std::string_view key, size_t max_items);

// Decodes protobuf-JSON base64 (see RequiredBytes); nullopt when malformed.
std::optional<std::string> DecodeProtoBase64(std::string_view text);

// RFC 3339 date-time ("2021-03-07T03:20:29.000Z", "…+01:00"). Fractions of a
// second are dropped toward `round_up` (true: next whole second), so a
// validity window is never widened by the rounding.
std::optional<Time> ParseRfc3339(std::string_view text, bool round_up);

// "2021-03-07T03:20:29Z": for messages.
std::string FormatRfc3339(Time t);

// "/tlogs/0/publicKey"-style path joining.
std::string Join(std::string_view path, std::string_view key);
std::string Join(std::string_view path, size_t index);

}  // namespace internal
}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_PROTO_JSON_H_
