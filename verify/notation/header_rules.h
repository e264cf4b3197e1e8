// Rules on the protected header that JWS and COSE envelopes share (spec
// signature-specification.md, "Signed Attributes"; signature-envelope-jws.md
// and signature-envelope-cose.md, "Protected Headers"). Internal to
// verify/notation: each envelope parser fills a ProtectedHeader from its own
// encoding and calls FinishProtectedHeader.
#ifndef PULLSENTRY_VERIFY_NOTATION_HEADER_RULES_H_
#define PULLSENTRY_VERIFY_NOTATION_HEADER_RULES_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verify/notation/envelope.h"

namespace pullsentry::notation::internal {

struct ProtectedHeader {
  std::optional<SignatureAlgorithm> algorithm;
  std::optional<std::string> content_type;
  std::optional<std::vector<std::string>> critical;
  std::optional<std::string> signing_scheme;
  std::optional<int64_t> signing_time;
  std::optional<int64_t> authentic_signing_time;
  std::optional<int64_t> expiry;
  std::optional<std::string> verification_plugin;
  std::optional<std::string> verification_plugin_min_version;
  // Every extended (non-standard) header name present, known or not: crit
  // may only name headers that are present.
  std::set<std::string, std::less<>> extended_present;
};

// Checks the rules and copies the fields into `out`. InvalidArgument with a
// one-line reason: missing or unsupported alg; cty not the Notation payload;
// missing or unknown signing scheme, or the time it requires missing; crit
// missing, empty, repeated, naming a header that is absent or that
// pullsentry does not understand, or leaving out a header the spec requires
// to be critical (signingScheme always; expiry, authenticSigningTime and
// the plugin fields when present).
absl::Status FinishProtectedHeader(const ProtectedHeader& header, Envelope* out);

// RFC 3339 date-time ("2024-05-01T12:00:00Z", "…+02:00", fraction allowed,
// truncated to whole seconds) as seconds since the epoch.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// True for names Notation defines for the protected header.
bool IsKnownExtendedHeader(std::string_view name);

}  // namespace pullsentry::notation::internal

#endif  // PULLSENTRY_VERIFY_NOTATION_HEADER_RULES_H_
