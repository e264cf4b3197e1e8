// Notation (Notary Project) trust policies, read as notation reads them:
// `trustpolicy.json` and its newer name `trustpolicy.oci.json` (notation-go
// reads trustpolicy.oci.json first and falls back to trustpolicy.json; both
// hold the same document, version "1.0" with `registryScopes`).
// Spec: notaryproject/specifications specs/trust-store-trust-policy.md,
// "Trust Policy"; reference implementation notation-go
// verifier/trustpolicy (Validate, GetApplicableTrustPolicy).
//
// Parsed, validated whole, then immutable. Every rule of the spec and of
// notation-go's Validate holds for a document that exists: version "1.0";
// at least one policy; unique non-empty names; each policy with at least one
// registry scope, each a fully qualified repository (notation-go's
// distribution-derived grammar) or the single value "*"; a scope in at most
// one policy (so at most one global policy); a known level; override only on
// non-skip levels, never for integrity, skip only for revocation; skip level
// with no trust stores and no identities, and not on the global scope (a
// spec MUST that notation-go leaves unchecked: it would admit every image);
// any other level with both; trust
// stores "ca|signingAuthority|tsa:<[a-zA-Z0-9_.-]+>"; trusted identities "*"
// alone, or "<prefix>:<value>" where x509.subject values are RFC 4514 DNs
// with C, ST and O, no multi-valued RDNs, no repeated attribute, and no two
// DNs of one policy overlapping (one a subset of the other).
//
// Stricter than notation-go, on purpose: field names are exact (Go's
// encoding/json matches them case-insensitively and ignores unknown ones —
// here an unknown or misspelt field is an error), duplicate keys are errors,
// null is not accepted for a list, and the document is bounded in size and
// depth. Hex-encoded ("#…") DN values are refused.
//
// All methods are const and thread-safe.
#ifndef PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_H_
#define PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::trust {

// Bounds on the input, all in one place.
inline constexpr size_t kMaxNotationPolicyBytes = 1u << 20;
inline constexpr size_t kMaxNotationPolicyDepth = 16;  // a valid document nests 5 deep
inline constexpr size_t kMaxNotationTrustPolicies = 4096;
inline constexpr size_t kMaxNotationListEntries = 1024;  // scopes, stores or identities of one policy
inline constexpr size_t kMaxNotationIdentitiesX509 = 256;  // DN overlap check is quadratic
inline constexpr size_t kMaxNotationNameLength = 256;
inline constexpr size_t kMaxNotationStringLength = 4096;

// Spec "Signature Verification details": the five validations.
enum class NotationCheck { kIntegrity, kAuthenticity, kAuthenticTimestamp, kExpiry, kRevocation };
enum class NotationAction { kEnforce, kLog, kSkip };
enum class NotationLevel { kStrict, kPermissive, kAudit, kSkip };
// notation-go's signatureVerification.verifyTimestamp (absent = always).
enum class NotationTimestamp { kAlways, kAfterCertExpiry };

std::string_view NotationCheckName(NotationCheck check);     // "integrity", "authenticTimestamp", …
std::string_view NotationActionName(NotationAction action);  // "enforce", "log", "skip"
std::string_view NotationLevelName(NotationLevel level);     // "strict", …
std::string_view NotationTimestampName(NotationTimestamp t);  // "always", "afterCertExpiry"

struct NotationSignatureVerification {
  NotationLevel level = NotationLevel::kStrict;
  std::map<NotationCheck, NotationAction> override;  // as written
  std::optional<NotationTimestamp> verify_timestamp;  // as written

  // The spec's table for `level`, then `override`: what a failure of
  // `check` does.
  NotationAction Action(NotationCheck check) const;
};

struct NotationTrustStore {
  enum class Type { kCa, kSigningAuthority, kTsa };
  Type type = Type::kCa;
  std::string name;  // the named store: x509/<type>/<name>/
  std::string text;  // as written, "ca:acme-rockets"
};

struct NotationIdentity {
  std::string text;    // as written
  bool any = false;    // "*": any certificate chaining to the trust stores
  std::string prefix;  // before the first ':', e.g. "x509.subject" (others belong to plugins)
  std::string value;   // after it
  // prefix "x509.subject": attribute type → unescaped value.
  std::map<std::string, std::string> subject;
};

struct NotationTrustPolicy {
  std::string name;
  std::vector<std::string> registry_scopes;
  bool global = false;  // registryScopes is ["*"]
  NotationSignatureVerification signature_verification;
  std::vector<NotationTrustStore> trust_stores;        // empty for level skip
  std::vector<NotationIdentity> trusted_identities;    // empty for level skip
  std::string pointer;  // "/trustPolicies/2"
};

class NotationTrustPolicyDocument {
 public:
  // Parses and validates `json`. InvalidArgument on any error, as
  // "<JSON pointer> (line L, column C): <what is wrong>", e.g.
  // `/trustPolicies/1/registryScopes/0 (line 9, column 9): registry scope
  // "registry.example/a" is also in trust policy "team" (/trustPolicies/0)`;
  // "(root)" stands for the whole document.
  static absl::StatusOr<std::shared_ptr<const NotationTrustPolicyDocument>> Parse(std::string_view json);
  // Reads (a regular file, not a symlink — as notation-go — at most 1 MiB)
  // and parses `path`; errors name the file.
  static absl::StatusOr<std::shared_ptr<const NotationTrustPolicyDocument>> Load(const std::string& path);

  // Spec "Selecting a trust policy based on artifact URI": the policy whose
  // registryScopes contain `repository` exactly ("registry.example/acme/app",
  // no tag or digest, no normalisation), else the global policy, else null
  // (no applicable policy: the artifact is untrusted).
  const NotationTrustPolicy* Match(std::string_view repository) const;
  // Same for a normalised image reference (its Name()).
  const NotationTrustPolicy* Match(const reference::ImageReference& image) const;

  const std::vector<NotationTrustPolicy>& policies() const { return policies_; }
  const NotationTrustPolicy* global() const { return global_ < 0 ? nullptr : &policies_[global_]; }

 private:
  friend class NotationTrustPolicyParser;
  NotationTrustPolicyDocument() = default;

  std::vector<NotationTrustPolicy> policies_;
  std::map<std::string, size_t, std::less<>> by_scope_;  // repository → index
  long global_ = -1;
};

// notation-go's validateRegistryScopeFormat: "<domain>/<repository>" with
// the distribution grammar, no '*'. The error names no location.
absl::Status ValidateNotationRegistryScope(std::string_view scope);

// RFC 4514 DN as notation reads x509.subject values (go-ldap ParseDN, then
// notation's rules: no multi-valued RDN, no repeated attribute type, C, ST
// and O present and non-empty). Attribute type → unescaped value. The error
// names no location.
absl::StatusOr<std::map<std::string, std::string>> ParseNotationDistinguishedName(std::string_view dn);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_NOTATION_TRUST_POLICY_H_
