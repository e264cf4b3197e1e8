// The collecting counterpart of native_policy.cc's NativePolicyBuilder: the
// same checks in the same words, but every problem is recorded and the walk
// goes on. Keep the two in step; native_policy_lint_test.cc checks that Parse
// fails exactly when this reports an error, and that Parse's message is one
// of the errors reported here at the same line and column.
#include "trust/native_policy_lint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trust/internal.h"
#include "trust/native_policy_internal.h"
#include "trust/notation_trust_policy_internal.h"
#include "trust/strict_json.h"
#include "verify/crypto/public_key.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::trust {
namespace {

using internal::IsDns1123Label;
using internal::IsVerifierName;
using internal::Quote;

using nlohmann::json;
using Pointer = std::vector<std::string>;
using Clock = std::chrono::system_clock;

// As native_policy.cc formats pointers, but "" (not "(root)") for the whole
// document, as the containers-policy linter reports it.
std::string FormatPointer(const Pointer& p) {
  std::string out;
  for (const std::string& token : p) absl::StrAppend(&out, "/", JsonPointerToken(token.substr(0, 256)));
  return out;
}

Pointer Child(const Pointer& p, std::string_view token) {
  Pointer out = p;
  out.emplace_back(token);
  return out;
}
Pointer Child(const Pointer& p, size_t index) { return Child(p, std::to_string(index)); }

std::string FormatDate(Clock::time_point t) {
  std::time_t seconds = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// What a requirement tree does without any signature.
struct RequirementSummary {
  bool ok = true;                   // no error inside
  bool accepts_unverified = false;  // holds with no signature (through "accept")
  bool unsupported = false;         // names a keyless or notation verifier
};

// A scope whose "match" parsed, for the equal-specificity check.
struct ParsedScope {
  size_t index;
  NativeScope scope;
};

class NativeLinter {
 public:
  NativeLinter(std::string_view text, const NativePolicyOptions& options, Clock::time_point now)
      : text_(text), options_(options), now_(now) {}

  std::vector<LintFinding> TakeFindings() { return std::move(findings_); }

  void Document(const json& root) {
    Pointer here;
    if (!root.is_object()) {
      TypeError(here, root, "a JSON object");
      return;
    }
    auto version = root.find("version");
    if (version == root.end()) {
      Error(here, "missing field \"version\" (this pullsentry reads version 1)");
    } else if (!version->is_number_integer()) {
      TypeError({"version"}, *version, "the number 1");
    } else if (version->get<int64_t>() != 1) {
      Error({"version"},
            absl::StrCat("unsupported version ", version->get<int64_t>(), " (this pullsentry reads version 1)"));
    }
    OnlyFields(root, here, "the policy", {"version", "verifiers", "default", "scopes", "breakGlass"});
    if (auto it = root.find("verifiers"); it != root.end()) Verifiers(*it, {"verifiers"});
    auto def = root.find("default");
    if (def == root.end()) {
      Error(here, "missing field \"default\": say what applies to images no scope covers "
                  "(for example {\"require\": \"reject\"})");
    } else {
      Scope(*def, {"default"}, /*is_default=*/true);
    }
    if (auto it = root.find("scopes"); it != root.end()) Scopes(*it, {"scopes"});
    if (auto it = root.find("breakGlass"); it != root.end()) BreakGlass(*it, {"breakGlass"});
    VerifierWarnings();
  }

 private:
  struct Declared {
    Pointer at;
    std::string type;  // "" when unknown
    bool used = false;
  };

  void Add(LintFinding::Severity severity, const Pointer& where, std::string message) {
    LintFinding f{severity, FormatPointer(where), 0, 0, std::move(message)};
    if (auto lc = native_internal::LocatePointer(text_, where); lc.has_value()) {
      f.line = static_cast<int>(lc->first);
      f.column = static_cast<int>(lc->second);
    }
    findings_.push_back(std::move(f));
  }
  void Error(const Pointer& where, std::string message) {
    Add(LintFinding::Severity::kError, where, std::move(message));
  }
  void Warn(const Pointer& where, std::string message) { Add(LintFinding::Severity::kWarning, where, std::move(message)); }
  void TypeError(const Pointer& where, const json& v, std::string_view expected) {
    Error(where, absl::StrCat("expected ", std::string(expected), ", got ", internal::JsonTypeName(v)));
  }

  // Records every unknown member; false if there was one.
  bool OnlyFields(const json& object, const Pointer& where, std::string_view what,
                  std::initializer_list<std::string_view> allowed) {
    bool clean = true;
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view a : allowed) known = known || key == a;
      if (!known) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        Error(Child(where, key), absl::StrCat("unknown field ", Quote(key), " in ", std::string(what),
                                              " (expected one of: ", absl::StrJoin(names, ", "), ")"));
        clean = false;
      }
    }
    return clean;
  }

  // A string field; nullopt when absent (an error if required) or invalid.
  std::optional<std::string> String(const json& object, const Pointer& where, const char* field, bool required,
                                    size_t max_length = 4096) {
    auto it = object.find(field);
    if (it == object.end()) {
      if (required) Error(where, absl::StrCat("missing field \"", field, "\""));
      return std::nullopt;
    }
    Pointer at = Child(where, field);
    if (!it->is_string()) {
      TypeError(at, *it, "a string");
      return std::nullopt;
    }
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty()) {
      Error(at, "must not be empty");
      return std::nullopt;
    }
    if (s.size() > max_length) {
      Error(at, absl::StrCat("longer than ", max_length, " characters"));
      return std::nullopt;
    }
    return s;
  }

  // ------------------------------------------------------------ verifiers

  void Verifiers(const json& v, const Pointer& where) {
    if (!v.is_object()) {
      TypeError(where, v, "an object of named verifiers");
      return;
    }
    if (v.size() > kMaxNativeVerifiers) Error(where, absl::StrCat("more than ", kMaxNativeVerifiers, " verifiers"));
    for (const auto& [name, spec] : v.items()) {
      Pointer at = Child(where, name);
      if (name == "accept" || name == "reject") {
        Error(at, absl::StrCat(Quote(name), " is built in: refer to it by name without declaring it"));
        continue;
      }
      if (!IsVerifierName(name)) {
        Error(at, absl::StrCat("verifier name ", Quote(name), " is not valid: up to ", kMaxNativeNameLength,
                               " letters, digits, '.', '_' and '-', starting with a letter or digit"));
      }
      // Declared even when broken, so that its uses are not errors too.
      declared_[name] = Declared{at, OneVerifier(spec, at)};
    }
  }

  // The verifier's type name when it is one of the known types.
  std::string OneVerifier(const json& spec, const Pointer& where) {
    if (!spec.is_object()) {
      TypeError(where, spec, "a verifier object");
      return "";
    }
    auto type = String(spec, where, "type", /*required=*/true);
    if (!type) return "";
    if (*type == "cosignKey") {
      OnlyFields(spec, where, "a cosignKey verifier", {"type", "keys", "keyPaths", "identity"});
      if (!spec.contains("keys") && !spec.contains("keyPaths")) {
        Error(where, "a cosignKey verifier needs \"keys\" (names in the trust store) or \"keyPaths\" (PEM files)");
      }
      size_t count = 0;
      for (const char* field : {"keys", "keyPaths"}) {
        if (spec.contains(field)) Keys(spec[field], Child(where, field), std::string_view(field) == "keys", count);
      }
    } else if (*type == "keyless") {
      OnlyFields(spec, where, "a keyless verifier",
                 {"type", "issuer", "issuerRegex", "subject", "subjectRegex", "trustedRoot", "identity"});
      Matcher(spec, where, "issuer");
      Matcher(spec, where, "subject");
      String(spec, where, "trustedRoot", /*required=*/true, kMaxNativeNameLength);
    } else if (*type == "notation") {
      OnlyFields(spec, where, "a notation verifier",
                 {"type", "trustPolicy", "signatureVerification", "trustStores", "trustedIdentities", "identity"});
      String(spec, where, "trustPolicy", /*required=*/true, 256);
      InlineNotationPolicy(spec, where);
    } else if (*type == "accept" || *type == "reject") {
      Error(Child(where, "type"), absl::StrCat(Quote(*type), " is a built-in verifier: write \"", *type,
                                               "\" in a requirement instead of declaring it"));
      return "";
    } else {
      Error(Child(where, "type"),
            absl::StrCat("unknown verifier type ", Quote(*type), " (known: cosignKey, keyless, notation)"));
      return "";
    }
    if (auto it = spec.find("identity"); it != spec.end()) Identity(*it, Child(where, "identity"));
    return *type;
  }

  // As NativePolicyBuilder::InlineNotationPolicy; each of the three parts
  // is checked on its own (each stops at its first problem).
  void InlineNotationPolicy(const json& spec, const Pointer& where) {
    int present = 0;
    for (const char* f : {"signatureVerification", "trustStores", "trustedIdentities"}) present += spec.contains(f) ? 1 : 0;
    if (present == 0) return;
    if (present != 3) {
      Error(where, "a notation verifier with an inline trust policy needs all of \"signatureVerification\", "
                   "\"trustStores\" and \"trustedIdentities\"");
      return;
    }
    notation_internal::ErrorFn error = [this](const Pointer& at, const std::string& what) {
      Error(at, what);
      return absl::InvalidArgumentError(what);
    };
    auto sv = notation_internal::SignatureVerification(spec["signatureVerification"],
                                                       Child(where, "signatureVerification"), error);
    if (sv.ok() && sv->level == NotationLevel::kSkip) {
      Error(Child(Child(where, "signatureVerification"), "level"),
            "level \"skip\" verifies nothing: require the built-in \"accept\" instead");
    }
    auto stores = notation_internal::TrustStores(spec["trustStores"], Child(where, "trustStores"), error);
    if (stores.ok() && stores->empty()) Error(Child(where, "trustStores"), "must not be empty");
    auto ids = notation_internal::TrustedIdentities(spec["trustedIdentities"], Child(where, "trustedIdentities"), error);
    if (ids.ok() && ids->empty()) Error(Child(where, "trustedIdentities"), "must not be empty");
  }

  void Keys(const json& list, const Pointer& where, bool from_trust_store, size_t& count) {
    if (!list.is_array()) {
      TypeError(where, list, "a list of strings");
      return;
    }
    if (list.empty()) {
      Error(where, "must not be empty");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      Pointer at = Child(where, i);
      if (!list[i].is_string()) {
        TypeError(at, list[i], "a string");
        continue;
      }
      const std::string& entry = list[i].get_ref<const std::string&>();
      if (entry.empty() || entry.size() > 4096) {
        Error(at, "expected a non-empty file name");
        continue;
      }
      std::string path;
      if (from_trust_store) {
        if (entry.find('/') != std::string::npos || entry == "." || entry == "..") {
          Error(at, absl::StrCat(Quote(entry), " is not a key name: \"keys\" holds file names in ",
                                 options_.trust_store_dir, "/keys (use \"keyPaths\" for paths)"));
          continue;
        }
      } else {
        path = entry;
        if (!entry.starts_with('/') && !options_.base_dir.empty()) path = absl::StrCat(options_.base_dir, "/", entry);
      }
      if (count++ >= kMaxNativeKeysPerVerifier) {
        Error(at, absl::StrCat("more than ", kMaxNativeKeysPerVerifier, " keys in one verifier"));
        continue;
      }
      if (from_trust_store) {
        absl::Status found = TrustStoreKey(entry);
        if (!found.ok()) Error(at, std::string(found.message()));
        continue;
      }
      auto pem = native_internal::ReadBoundedFile(path, kMaxKeyFileBytes, "key file");
      if (!pem.ok()) {
        Error(at, std::string(pem.status().message()));
        continue;
      }
      auto key = crypto::PublicKey::FromPem(*pem);
      if (!key.ok()) Error(at, absl::StrCat("key file ", Quote(path), ": ", std::string(key.status().message())));
    }
  }

  // As NativePolicyBuilder::TrustStoreKey: the store is opened once, at the
  // first "keys" name, unless the caller passed one in.
  absl::Status TrustStoreKey(const std::string& name) {
    if (!trust_store_.has_value()) {
      trust_store_ = options_.trust_store != nullptr ? options_.trust_store
                                                     : TrustStore::Open(options_.trust_store_dir);
    }
    if (!trust_store_->ok()) return trust_store_->status();
    return (**trust_store_)->Key(name).status();
  }

  void Matcher(const json& spec, const Pointer& where, const std::string& field) {
    std::string regex_field = field + "Regex";
    bool exact = spec.contains(field), regex = spec.contains(regex_field);
    if (exact == regex) {
      Error(where, absl::StrCat("exactly one of \"", field, "\" and \"", regex_field, "\" is required"));
      return;
    }
    auto text = String(spec, where, exact ? field.c_str() : regex_field.c_str(), /*required=*/true,
                       regex ? kMaxNativeRegexLength : 4096);
    if (!text || !regex) return;
    try {
      std::regex compiled(*text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      Error(Child(where, regex_field), absl::StrCat("not a valid regular expression: ", e.what()));
    }
  }

  void Identity(const json& v, const Pointer& where) {
    if (!v.is_object()) {
      TypeError(where, v, "an identity object");
      return;
    }
    auto type = String(v, where, "type", /*required=*/true);
    if (!type) return;
    auto fields = [&](std::initializer_list<std::string_view> allowed) {
      return OnlyFields(v, where, absl::StrCat("a ", *type, " identity"), allowed);
    };
    if (*type == "repoDigestOrExact" || *type == "exact" || *type == "repository") {
      fields({"type"});
    } else if (*type == "exactReference") {
      fields({"type", "reference"});
      auto ref = String(v, where, "reference", /*required=*/true, reference::kMaxReferenceLength);
      if (!ref) return;
      auto parsed = reference::ParseNormalized(*ref, /*default_tag=*/false);
      if (!parsed.ok()) {
        Error(Child(where, "reference"), std::string(parsed.status().message()));
      } else if (!parsed->HasTag() && !parsed->HasDigest()) {
        Error(Child(where, "reference"), absl::StrCat(Quote(*ref), " has neither a tag nor a digest"));
      }
    } else if (*type == "exactRepository") {
      fields({"type", "repository"});
      auto repo = String(v, where, "repository", /*required=*/true, reference::kMaxReferenceLength);
      if (!repo) return;
      auto parsed = reference::ParseNormalized(*repo, /*default_tag=*/false);
      if (!parsed.ok()) {
        Error(Child(where, "repository"), std::string(parsed.status().message()));
      } else if (parsed->HasTag() || parsed->HasDigest()) {
        Error(Child(where, "repository"), absl::StrCat(Quote(*repo), " must name a repository, without tag or digest"));
      }
    } else if (*type == "remap") {
      fields({"type", "prefix", "signedPrefix"});
      for (const char* f : {"prefix", "signedPrefix"}) {
        auto value = String(v, where, f, /*required=*/true, reference::kMaxReferenceLength);
        if (!value) continue;
        if (absl::Status s = internal::ValidateRemapPrefix(*value); !s.ok()) Error(Child(where, f), std::string(s.message()));
      }
    } else {
      Error(Child(where, "type"),
            absl::StrCat("unknown identity type ", Quote(*type),
                         " (known: repoDigestOrExact, exact, repository, exactReference, exactRepository, remap)"));
    }
  }

  // ------------------------------------------------------------ requirements

  RequirementSummary Requirement(const json& v, const Pointer& where) {
    RequirementSummary out;
    if (v.is_string()) {
      const std::string& name = v.get_ref<const std::string&>();
      if (name == "accept") {
        out.accepts_unverified = true;
        return out;
      }
      if (name == "reject") return out;
      auto it = declared_.find(name);
      if (it == declared_.end()) {
        Error(where, absl::StrCat("unknown verifier ", Quote(name),
                                  " (declare it under \"verifiers\", or use \"accept\" or \"reject\")"));
        out.ok = false;
        return out;
      }
      it->second.used = true;
      out.unsupported = it->second.type == "keyless" || it->second.type == "notation";
      return out;
    }
    if (!v.is_object()) {
      TypeError(where, v, "a verifier name or an object with \"anyOf\" or \"allOf\"");
      out.ok = false;
      return out;
    }
    if (v.size() != 1 || !(v.contains("anyOf") || v.contains("allOf"))) {
      if (OnlyFields(v, where, "a requirement", {"anyOf", "allOf"})) {
        Error(where, "a requirement object holds exactly one of \"anyOf\" and \"allOf\"");
      }
      out.ok = false;
      return out;
    }
    bool any = v.contains("anyOf");
    const json& list = any ? v["anyOf"] : v["allOf"];
    Pointer at = Child(where, any ? "anyOf" : "allOf");
    if (!list.is_array()) {
      TypeError(at, list, "a list of requirements");
      out.ok = false;
      return out;
    }
    if (list.empty()) {
      Error(at, "must not be empty");
      out.ok = false;
      return out;
    }
    out.accepts_unverified = !any;
    for (size_t i = 0; i < list.size(); ++i) {
      RequirementSummary child = Requirement(list[i], Child(at, i));
      out.ok = out.ok && child.ok;
      out.unsupported = out.unsupported || child.unsupported;
      out.accepts_unverified =
          any ? out.accepts_unverified || child.accepts_unverified : out.accepts_unverified && child.accepts_unverified;
    }
    return out;
  }

  // ------------------------------------------------------------ scopes

  std::optional<PolicyMode> Mode(const json& object, const Pointer& where) {
    auto mode = String(object, where, "mode", /*required=*/true);
    if (!mode) return std::nullopt;
    if (*mode == "enforce") return PolicyMode::kEnforce;
    if (*mode == "warn") return PolicyMode::kWarn;
    if (*mode == "audit") return PolicyMode::kAudit;
    Error(Child(where, "mode"), absl::StrCat("unknown mode ", Quote(*mode), " (known: enforce, warn, audit)"));
    return std::nullopt;
  }

  // `what` names the scope, default or override in warnings.
  void ModeWarning(const Pointer& where, PolicyMode mode, const std::string& what) {
    if (mode == PolicyMode::kWarn) {
      Warn(Child(where, "mode"), absl::StrCat(what, " is in mode \"warn\": images that fail its requirement are "
                                              "admitted (logged and counted); set \"enforce\" when the rollout is done"));
    } else if (mode == PolicyMode::kAudit) {
      Warn(Child(where, "mode"), absl::StrCat(what, " is in mode \"audit\": images that fail its requirement are "
                                              "admitted and only recorded; move on to \"warn\", then \"enforce\""));
    }
  }

  void AcceptWarning(const Pointer& where, const RequirementSummary& summary, const std::string& what,
                     const char* covers) {
    if (summary.ok && summary.accepts_unverified && !summary.unsupported) {
      Warn(Child(where, "require"), absl::StrCat(what, " admits ", covers, " without any verification (\"accept\")"));
    }
  }

  // Returns the parsed pattern when `match` is valid (scopes only).
  std::optional<NativeScope> Scope(const json& v, const Pointer& where, bool is_default) {
    if (!v.is_object()) {
      TypeError(where, v, "a scope object");
      return std::nullopt;
    }
    std::optional<NativeScope> parsed;
    std::string what = "the default";
    if (is_default) {
      OnlyFields(v, where, "the default", {"mode", "require", "identity", "namespaces"});
    } else {
      OnlyFields(v, where, "a scope", {"match", "mode", "require", "identity", "namespaces"});
      if (auto match = String(v, where, "match", /*required=*/true, kMaxNativeScopePatternLength)) {
        what = absl::StrCat("scope ", Quote(*match));
        NativeScope s;
        s.pattern = *match;
        if (absl::Status st = native_internal::ParseScopePattern(*match, &s); !st.ok()) {
          Error(Child(where, "match"), std::string(st.message()));
        } else {
          parsed = std::move(s);
        }
      }
    }
    if (v.contains("mode")) {
      if (auto mode = Mode(v, where)) ModeWarning(where, *mode, what);
    }
    auto req = v.find("require");
    if (req == v.end()) {
      Error(where, "missing field \"require\"");
    } else {
      AcceptWarning(where, Requirement(*req, Child(where, "require")), what,
                    is_default ? "every image no scope covers" : "every image it covers");
    }
    if (auto it = v.find("identity"); it != v.end()) Identity(*it, Child(where, "identity"));
    if (auto it = v.find("namespaces"); it != v.end()) Namespaces(*it, Child(where, "namespaces"), what);
    return parsed;
  }

  void Namespaces(const json& v, const Pointer& at, const std::string& scope_what) {
    if (!v.is_object()) {
      TypeError(at, v, "an object of namespace overrides");
      return;
    }
    if (v.size() > kMaxNativeNamespaceOverrides) {
      Error(at, absl::StrCat("more than ", kMaxNativeNamespaceOverrides, " namespace overrides"));
    }
    for (const auto& [ns, spec] : v.items()) {
      Pointer nat = Child(at, ns);
      if (!IsDns1123Label(ns)) {
        Error(nat, absl::StrCat(Quote(ns), " is not a Kubernetes namespace name (a DNS-1123 label)"));
        continue;
      }
      if (!spec.is_object()) {
        TypeError(nat, spec, "an override object");
        continue;
      }
      OnlyFields(spec, nat, "a namespace override", {"mode", "require"});
      if (spec.empty()) Error(nat, "an override needs \"mode\", \"require\" or both");
      std::string what = absl::StrCat("the override for namespace ", Quote(ns), " of ", scope_what);
      if (spec.contains("mode")) {
        if (auto mode = Mode(spec, nat)) ModeWarning(nat, *mode, what);
      }
      if (auto r = spec.find("require"); r != spec.end()) {
        AcceptWarning(nat, Requirement(*r, Child(nat, "require")), what, "every image of the namespace");
      }
    }
  }

  static std::string Duplicate(const NativeScope& s, const NativeScope& other, size_t other_index) {
    if (s.pattern == other.pattern) {
      return absl::StrCat("scope ", Quote(s.pattern), " is already defined at /scopes/", other_index);
    }
    return absl::StrCat("scopes ", Quote(s.pattern), " and ", Quote(other.pattern), " (/scopes/", other_index,
                        ") are equally specific and can match the same image; make one more specific");
  }

  void Scopes(const json& v, const Pointer& where) {
    if (!v.is_array()) {
      TypeError(where, v, "a list of scopes");
      return;
    }
    if (v.size() > kMaxNativeScopes) Error(where, absl::StrCat("more than ", kMaxNativeScopes, " scopes"));
    std::vector<ParsedScope> scopes;
    for (size_t i = 0; i < v.size(); ++i) {
      if (auto s = Scope(v[i], Child(where, i), /*is_default=*/false)) scopes.push_back({i, std::move(*s)});
    }
    // As NativePolicyBuilder::Scopes: no two scopes equally specific for
    // some image. Only the scopes whose pattern parsed take part.
    std::map<std::string, size_t> exact;
    std::map<std::string, std::vector<const ParsedScope*>> by_rank;
    for (const ParsedScope& p : scopes) {
      const NativeScope& s = p.scope;
      Pointer match_at = Child(Child(where, p.index), "match");
      if (s.kind == ScopeKind::kExactReference) {
        auto [it, inserted] = exact.emplace(s.pattern, p.index);
        if (!inserted) Error(match_at, Duplicate(s, s, it->second));
        continue;
      }
      std::string rank;
      for (const std::string& c : s.components) {
        size_t stars = static_cast<size_t>(std::count(c.begin(), c.end(), '*'));
        absl::StrAppend(&rank, stars == 0 ? "L" : absl::StrCat("G", c.size() - stars), "/");
      }
      std::vector<const ParsedScope*>& same = by_rank[rank];
      for (const ParsedScope* other : same) {
        if (native_internal::ScopesOverlap(s, other->scope)) {
          Error(match_at, Duplicate(s, other->scope, other->index));
          break;
        }
      }
      same.push_back(&p);
    }
    ShadowWarnings(scopes, where);
  }

  // A prefix or glob P can win only for the name P itself when "P/*" is also
  // a scope: "P/*" covers every name beneath P and is more specific (it is
  // level with P on P's components and has one more). For a registry-only P
  // that leaves nothing, since every image has a repository path.
  void ShadowWarnings(const std::vector<ParsedScope>& scopes, const Pointer& where) {
    std::map<std::string, const ParsedScope*> by_pattern;
    for (const ParsedScope& p : scopes) by_pattern.emplace(p.scope.pattern, &p);
    for (const ParsedScope& p : scopes) {
      const NativeScope& s = p.scope;
      if (s.kind != ScopeKind::kPrefix && s.kind != ScopeKind::kGlob) continue;
      auto it = by_pattern.find(s.pattern + "/*");
      if (it == by_pattern.end()) continue;
      Pointer at = Child(Child(where, p.index), "match");
      std::string other = absl::StrCat(Quote(it->second->scope.pattern), " (/scopes/", it->second->index, ")");
      if (s.components.size() == 1) {
        Warn(at, absl::StrCat("scope ", Quote(s.pattern), " can never win: every image under it is covered by the "
                              "more specific ", other));
      } else {
        Warn(at, absl::StrCat("scope ", Quote(s.pattern), " can win only for an image named exactly ",
                              Quote(s.pattern), ": every image beneath it is covered by the more specific ", other));
      }
    }
  }

  // ------------------------------------------------------------ break-glass

  void BreakGlass(const json& v, const Pointer& where) {
    if (!v.is_array()) {
      TypeError(where, v, "a list of break-glass entries");
      return;
    }
    if (v.size() > kMaxNativeBreakGlassEntries) {
      Error(where, absl::StrCat("more than ", kMaxNativeBreakGlassEntries, " entries"));
    }
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      Pointer at = Child(where, i);
      const json& e = v[i];
      if (!e.is_object()) {
        TypeError(at, e, "a break-glass object");
        continue;
      }
      OnlyFields(e, at, "a break-glass entry", {"digest", "reason", "expires"});
      auto digest = String(e, at, "digest", /*required=*/true, 256);
      if (digest && !reference::IsValidDigest(*digest)) {
        Error(Child(at, "digest"), absl::StrCat(Quote(*digest), " is not a digest (sha256:<64 lowercase hex>)"));
        digest.reset();
      }
      String(e, at, "reason", /*required=*/true, kMaxNativeReasonLength);
      auto expires = String(e, at, "expires", /*required=*/true, 64);
      if (expires) {
        auto when = native_internal::ParseRfc3339(*expires);
        if (!when.has_value()) {
          Error(Child(at, "expires"),
                absl::StrCat(Quote(*expires), " is not an RFC 3339 date-time such as 2026-12-01T00:00:00Z"));
        } else {
          ExpiryWarning(Child(at, "expires"), *expires, *when);
        }
      }
      if (digest) {
        auto [it, inserted] = seen.emplace(*digest, i);
        if (!inserted) Error(Child(at, "digest"), absl::StrCat("digest already listed at /breakGlass/", it->second));
      }
    }
  }

  void ExpiryWarning(const Pointer& at, const std::string& text, Clock::time_point when) {
    if (now_ >= when) {
      Warn(at, absl::StrCat("expired at ", text, " (it is ", FormatDate(now_),
                            "): the entry admits nothing any more; remove it"));
      return;
    }
    auto left = std::chrono::duration_cast<std::chrono::hours>(when - now_);
    if (left > kMaxBreakGlassLifetime) {
      Warn(at, absl::StrCat("expires in ", left.count() / 24, " days (", text, "), more than ",
                            kMaxBreakGlassLifetime.count() / 24,
                            ": break-glass is for emergencies; a standing exception belongs in a scope"));
    }
  }

  void VerifierWarnings() {
    for (const auto& [name, d] : declared_) {
      if (d.type == "keyless" || d.type == "notation") {
        Warn(d.at, absl::StrCat("verifier ", Quote(name), " has type ", d.type,
                                ", which pullsentry cannot verify yet: every requirement that names it refuses, "
                                "even inside an anyOf"));
      }
      if (!d.used) Warn(d.at, absl::StrCat("verifier ", Quote(name), " is declared but no requirement uses it"));
    }
  }

  std::string_view text_;
  const NativePolicyOptions& options_;
  std::optional<absl::StatusOr<std::shared_ptr<const TrustStore>>> trust_store_;
  Clock::time_point now_;
  std::map<std::string, Declared> declared_;
  std::vector<LintFinding> findings_;
};

}  // namespace

bool LooksLikeNativePolicy(std::string_view text) {
  // Walks the text at depth 1 of the outermost object, looking at member
  // names only; anything unexpected ends the scan.
  size_t i = 0;
  auto ws = [&] {
    while (i < text.size() && std::strchr(" \t\r\n", text[i]) != nullptr && text[i] != '\0') ++i;
  };
  ws();
  if (i >= text.size() || text[i] != '{') return false;
  ++i;
  int depth = 1;
  bool expect_key = true;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      size_t start = ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) return false;
      std::string_view s = text.substr(start, i - start);
      ++i;
      if (depth == 1 && expect_key) {
        ws();
        if (i < text.size() && text[i] == ':' && s == "version") return true;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return false;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    } else if (c == ':' && depth == 1) {
      expect_key = false;
    }
    ++i;
  }
  return false;
}

std::optional<std::chrono::system_clock::time_point> ParsePolicyTime(std::string_view text) {
  return native_internal::ParseRfc3339(text);
}

std::vector<LintFinding> LintNativePolicy(std::string_view text, const NativePolicyOptions& options,
                                          std::chrono::system_clock::time_point now) {
  if (text.size() > kMaxNativePolicyBytes) {
    return {{LintFinding::Severity::kError, "", 0, 0,
             absl::StrCat("policy is larger than ", kMaxNativePolicyBytes, " bytes")}};
  }
  auto parsed = internal::ParseStrictJson(text, kMaxNativePolicyDepth);
  if (!parsed.ok()) {
    // The loader's own verdict on the syntax, with its position if it has one.
    LintFinding finding{LintFinding::Severity::kError, "", 0, 0, std::string(parsed.status().message())};
    int line = 0;
    int column = 0;
    if (const char* at = std::strstr(finding.message.c_str(), "at line ");
        at != nullptr && std::sscanf(at, "at line %d, column %d", &line, &column) == 2) {
      finding.line = line;
      finding.column = column;
    }
    return {finding};
  }
  NativeLinter linter(text, options, now);
  linter.Document(*parsed);
  std::vector<LintFinding> findings = linter.TakeFindings();
  std::stable_sort(findings.begin(), findings.end(), [](const LintFinding& a, const LintFinding& b) {
    return std::tie(a.line, a.column, a.severity) < std::tie(b.line, b.column, b.severity);
  });
  return findings;
}

}  // namespace pullsentry::trust
