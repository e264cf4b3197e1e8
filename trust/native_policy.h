// pullsentry's native policy format (trust/native_policy.md, the future
// pullsentry-policy(5)): versioned JSON with scopes (exact reference,
// registry/repository prefix, glob), requirements composed with anyOf/allOf
// over named verifiers, identity rules, enforcement modes, Kubernetes
// namespace overrides and an expiring break-glass allow-list.
//
// Parsed, validated whole, then immutable: a NativePolicy that exists has
// only resolvable verifier names, loaded keys, compiled regexes, valid scope
// patterns and no two scopes that are equally specific for some image.
// All methods are const and thread-safe. Nothing here reads the wall clock:
// time enters as a `now` argument.
#ifndef PULLSENTRY_TRUST_NATIVE_POLICY_H_
#define PULLSENTRY_TRUST_NATIVE_POLICY_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "trust/notation_trust_policy.h"
#include "trust/trust_store.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::trust {

// Bounds on the policy input, all in one place.
inline constexpr size_t kMaxNativePolicyBytes = 1u << 20;
inline constexpr size_t kMaxNativePolicyDepth = 32;  // JSON nesting, which also bounds anyOf/allOf depth
inline constexpr size_t kMaxNativeScopes = 4096;
inline constexpr size_t kMaxNativeVerifiers = 1024;
inline constexpr size_t kMaxNativeKeysPerVerifier = 64;
inline constexpr size_t kMaxNativeNamespaceOverrides = 1024;  // per scope
inline constexpr size_t kMaxNativeBreakGlassEntries = 4096;
inline constexpr size_t kMaxNativeScopePatternLength = 512;
inline constexpr size_t kMaxNativeRegexLength = 256;
inline constexpr size_t kMaxNativeReasonLength = 1024;
inline constexpr size_t kMaxNativeNameLength = 63;  // verifier names; namespaces are DNS-1123 labels

enum class PolicyMode {
  kEnforce,  // refuse what the requirement does not admit
  kWarn,     // admit, log and count what it would have refused
  kAudit,    // admit, record only
};
std::string_view PolicyModeName(PolicyMode mode);  // "enforce", "warn", "audit"

// A named verifier from the "verifiers" object, or one of the built-ins
// "accept" and "reject".
struct Verifier {
  enum class Type {
    kAccept,     // built-in: always satisfied
    kReject,     // built-in: never satisfied
    kCosignKey,  // cosign key signature over the manifest digest
    kKeyless,    // declared, not verifiable yet
    kNotation,   // declared, not verifiable yet
  };
  // A keyless subject or issuer: an exact string, or an ECMAScript regex
  // that must match the whole value.
  struct Matcher {
    std::string text;
    bool is_regex = false;
    std::shared_ptr<const std::regex> regex;  // set when is_regex
    bool Matches(std::string_view value) const;
  };

  std::string name;
  Type type = Type::kReject;
  std::string pointer;  // JSON pointer of the declaration; "" for built-ins

  std::vector<NamedKey> keys;  // kCosignKey: any one suffices; loaded at parse time
  Matcher subject;             // kKeyless
  Matcher issuer;              // kKeyless
  std::string trusted_root;    // kKeyless: trust-store name of a Sigstore trusted root
  std::string trust_policy;    // kNotation: name of a Notation trust policy
  // kNotation with the trust policy written inline (as `pullsentry policy
  // import` writes a Notation trustpolicy.json): all three set, or none
  // (then `trust_policy` names a policy of the node's Notation trust policy
  // file). Same rules as in trustpolicy.json; level skip is refused (write
  // "accept").
  std::optional<NotationSignatureVerification> notation_verification;
  std::vector<NotationTrustStore> notation_trust_stores;
  std::vector<NotationIdentity> notation_trusted_identities;
  // Overrides the scope's identity rule for this verifier (signature-based
  // types only).
  std::optional<SignedIdentity> identity;

  // False for types the format declares but pullsentry cannot check yet.
  bool Supported() const { return type != Type::kKeyless && type != Type::kNotation; }
};
std::string_view VerifierTypeName(Verifier::Type type);  // "cosignKey", "keyless", …

// A requirement: a verifier reference, or allOf/anyOf over requirements.
struct RequirementNode {
  enum class Kind { kVerifier, kAllOf, kAnyOf };
  Kind kind = Kind::kVerifier;
  std::shared_ptr<const Verifier> verifier;  // kVerifier
  std::vector<RequirementNode> children;     // kAllOf / kAnyOf, never empty
  std::string pointer;                       // where it was written
};
// "allOf(team-key, anyOf(ci, release))".
std::string DescribeRequirement(const RequirementNode& node);

struct NamespaceOverride {
  std::optional<PolicyMode> mode;
  std::optional<RequirementNode> require;
  std::string pointer;
};

enum class ScopeKind {
  kExactReference,  // host/repo:tag or host/repo@digest
  kPrefix,          // host[:port], host/namespace, host/repository
  kGlob,            // any of the above with '*' in a component (no tag)
  kDefault,         // the "default" rule
};
std::string_view ScopeKindName(ScopeKind kind);  // "exact reference", "prefix", "glob", "default"

struct NativeScope {
  std::string pattern;  // as written; "(default)" for the default rule
  ScopeKind kind = ScopeKind::kDefault;
  std::vector<std::string> components;  // kPrefix/kGlob: the pattern split at '/'
  PolicyMode mode = PolicyMode::kEnforce;
  RequirementNode require;
  SignedIdentity identity;  // default: matchRepoDigestOrExact
  std::map<std::string, NamespaceOverride, std::less<>> namespaces;
  std::string pointer;
};

struct BreakGlassEntry {
  std::string digest;
  std::string reason;
  std::string expires_text;  // as written (RFC 3339)
  std::chrono::system_clock::time_point expires;
  std::string pointer;
};

// What applies to one image, and why. Pointers live as long as the policy.
struct ResolvedRule {
  const NativeScope* scope = nullptr;  // never null
  std::string why;                     // one line for `explain`
  PolicyMode mode = PolicyMode::kEnforce;
  const RequirementNode* requirement = nullptr;  // never null
  std::string applied_namespace;                 // "" when no override applied
  // Names of verifiers in `requirement` whose type is not supported yet;
  // when non-empty, Evaluate never reports the requirement satisfied.
  std::vector<std::string> unsupported;
};

// The identity rule a signature checked by `verifier` must satisfy under
// `rule`: the verifier's own rule if it has one, else the scope's.
const SignedIdentity& EffectiveIdentity(const ResolvedRule& rule, const Verifier& verifier);

// The outcome of running one verifier (by name) against the image.
struct LeafOutcome {
  enum class State {
    kSatisfied,
    kNotSatisfied,
    kIndeterminate,  // could not decide (registry unreachable, …)
  };
  State state = State::kNotSatisfied;
  std::string detail;  // one line: who signed, or what failed
};
using LeafOutcomes = std::map<std::string, LeafOutcome, std::less<>>;

struct Evaluation {
  bool satisfied = false;
  // Not satisfied, and an indeterminate verifier could have changed that:
  // the caller failed to decide rather than decided no.
  bool indeterminate = false;
  std::string reason;
};

// Combines per-verifier outcomes under allOf (all must hold) and anyOf (one
// must hold). Built-ins need no outcome; a cosignKey verifier missing from
// `outcomes` counts as not satisfied ("was not run"). If the tree names any
// verifier whose type is not supported yet, the result is never satisfied
// and the reason says "verifier type X is not supported yet" (fail closed),
// whatever the other branches say. Pure.
Evaluation Evaluate(const RequirementNode& tree, const LeafOutcomes& outcomes);

struct BreakGlassCheck {
  const BreakGlassEntry* entry = nullptr;  // the entry for the digest, if any
  bool active = false;                     // entry && now < entry->expires
  std::string message;                     // for logs and `explain`; "" when no entry
};

struct Decision {
  enum class Action { kAdmitVerified, kAdmitBreakGlass, kAdmitWarn, kAdmitAudit, kRefuse };
  Action action = Action::kRefuse;
  bool admitted = false;
  std::string reason;
};

// The final word for one image: satisfied → kAdmitVerified; else an active
// break-glass entry → kAdmitBreakGlass; else by mode: enforce → kRefuse,
// warn → kAdmitWarn (log and count), audit → kAdmitAudit (record only).
Decision Decide(const ResolvedRule& rule, const Evaluation& evaluation, const BreakGlassCheck& break_glass);

struct NativePolicyOptions {
  // Relative "keyPaths" resolve against this (the policy file's directory).
  std::string base_dir;
  // "keys" names are looked up in `trust_store` (trust/trust_store.h) when
  // set; otherwise the trust store under trust_store_dir is opened, and must
  // load whole, when the first "keys" name is met.
  std::string trust_store_dir = kDefaultTrustStoreRoot;
  std::shared_ptr<const TrustStore> trust_store;
};

class NativePolicy {
 public:
  // Parses and validates `json` whole. Keys are read and checked here.
  // InvalidArgument on any error, as "<JSON pointer> (line L, column C):
  // <what is wrong>", e.g. `/scopes/2/require/anyOf/0 (line 14, column 21):
  // unknown verifier "team-kye"`; "(root)" stands for the whole document and
  // the line/column part is left out when the location is unknown.
  static absl::StatusOr<std::shared_ptr<const NativePolicy>> Parse(std::string_view json,
                                                                  const NativePolicyOptions& options);
  // Same, with trust_store_dir left at its default.
  static absl::StatusOr<std::shared_ptr<const NativePolicy>> Parse(std::string_view json,
                                                                  const std::string& base_dir);
  // Reads (a regular file, at most 1 MiB) and parses `path`; relative key
  // paths resolve against its directory; errors name the file.
  static absl::StatusOr<std::shared_ptr<const NativePolicy>> Load(const std::string& path,
                                                                 const std::string& trust_store_dir);

  // The most specific scope for `image` (normalised), with the namespace
  // override for `ns` applied when the scope has one. Ordering (see
  // native_policy.md): exact reference, then prefixes and globs compared
  // component by component from the left — at the first component where they
  // differ in kind a literal beats a glob, between globs more literal
  // characters win — then the deeper pattern; then the default. Load
  // guarantees at most one best scope. An image with a digest is matched by
  // name@digest only (its tag is ignored), as CRI-O does.
  ResolvedRule Resolve(const reference::ImageReference& image, std::optional<std::string_view> ns) const;

  // The break-glass entry for `digest`, active while now < expires.
  BreakGlassCheck CheckBreakGlass(std::string_view digest, std::chrono::system_clock::time_point now) const;

  // "sha256:<hex>" over the canonical JSON (sorted keys, no whitespace) and
  // the fingerprint of every loaded key: equal policies hash equal, and a
  // changed key file changes the hash.
  const std::string& Hash() const { return hash_; }

  const std::vector<NativeScope>& scopes() const { return scopes_; }
  const NativeScope& default_scope() const { return default_; }
  const std::map<std::string, std::shared_ptr<const Verifier>, std::less<>>& verifiers() const { return verifiers_; }
  const std::vector<BreakGlassEntry>& break_glass() const { return break_glass_; }

 private:
  friend class NativePolicyBuilder;
  NativePolicy() = default;

  std::map<std::string, std::shared_ptr<const Verifier>, std::less<>> verifiers_;
  std::vector<NativeScope> scopes_;
  NativeScope default_;
  std::vector<BreakGlassEntry> break_glass_;
  std::map<std::string, size_t, std::less<>> break_glass_by_digest_;
  std::map<std::string, size_t, std::less<>> exact_scopes_;  // canonical reference → index in scopes_
  std::string hash_;
};

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_NATIVE_POLICY_H_
