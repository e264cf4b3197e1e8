// RFC 8785 JSON Canonicalization Scheme for the values Sigstore signs (the
// signed entry timestamp's payload): objects with keys sorted by UTF-16 code
// units, no whitespace, strings escaped as §3.2.2.2 says, integers in
// decimal. Numbers that are not integers of at most 2^53-1 in magnitude are
// refused instead of being rendered ES6-style: nothing here signs them, and
// refusing is simpler than getting double formatting exactly right.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_CANONICAL_JSON_H_
#define PULLSENTRY_VERIFY_SIGSTORE_CANONICAL_JSON_H_

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::sigstore {

// InvalidArgument for a float, an integer beyond ±(2^53-1), or nesting
// deeper than kMaxCanonicalJsonDepth.
absl::StatusOr<std::string> CanonicalizeJson(const nlohmann::json& value);

// Parses `text` strictly (duplicate keys refused) and canonicalises it.
absl::StatusOr<std::string> CanonicalizeJsonText(std::string_view text);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_CANONICAL_JSON_H_
