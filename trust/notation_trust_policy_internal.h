// Pieces of the Notation trust policy parser that the native policy's
// "notation" verifier reuses, so that both apply the same rules with the
// same words. Not API.
#ifndef PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_INTERNAL_H_
#define PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_INTERNAL_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trust/notation_trust_policy.h"

namespace pullsentry::trust::notation_internal {

using Pointer = std::vector<std::string>;
// Makes the caller's error for a location (an unescaped JSON pointer).
using ErrorFn = std::function<absl::Status(const Pointer& where, const std::string& what)>;

// RFC 6901: "/a/b~1c"; "(root)" for the empty pointer.
std::string FormatPointer(const Pointer& p);

// `signatureVerification`: {"level", "override"?, "verifyTimestamp"?}.
// Checks the override rules (spec "Custom Verification Level").
absl::StatusOr<NotationSignatureVerification> SignatureVerification(const nlohmann::json& v, const Pointer& where,
                                                                    const ErrorFn& error);

// `trustStores`: a list of "type:name". Empty lists are returned empty; the
// caller decides whether that is allowed.
absl::StatusOr<std::vector<NotationTrustStore>> TrustStores(const nlohmann::json& v, const Pointer& where,
                                                            const ErrorFn& error);

// `trustedIdentities`: "*" alone, or "prefix:value" entries; x509.subject
// DNs parsed and checked for overlap. An empty list is returned empty.
absl::StatusOr<std::vector<NotationIdentity>> TrustedIdentities(const nlohmann::json& v, const Pointer& where,
                                                                const ErrorFn& error);

}  // namespace pullsentry::trust::notation_internal

#endif  // PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_INTERNAL_H_
