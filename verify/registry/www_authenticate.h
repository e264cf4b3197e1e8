// Parser for the WWW-Authenticate response header (RFC 9110 §11.6.1, §11.2):
//   Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"
//   Basic realm="Registry"
// The input comes from the registry (or whoever answers in its place), so the
// parser is bounded (registry_limits.h) and never trusts a length or a quote.
#ifndef PULLSENTRY_VERIFY_REGISTRY_WWW_AUTHENTICATE_H_
#define PULLSENTRY_VERIFY_REGISTRY_WWW_AUTHENTICATE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::registry {

struct Challenge {
  std::string scheme;                         // lower-case: "bearer", "basic", …
  std::map<std::string, std::string> params;  // names lower-case, values unquoted
  std::string token68;                        // the token68 form ("Negotiate abc=="), rarely used

  // The value of `name` (lower-case), or "" when absent.
  std::string Param(std::string_view name) const;
};

// Parses one header value, which may hold several comma-separated challenges.
// InvalidArgument when the value is longer than kMaxChallengeBytes, holds more
// than kMaxChallenges challenges or kMaxChallengeParams parameters in one,
// repeats a parameter, or breaks the grammar (e.g. an unterminated quote).
// The error message never quotes the input.
absl::StatusOr<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view header);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_WWW_AUTHENTICATE_H_
