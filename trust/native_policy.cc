// Parsing and validation of the native policy format (trust/native_policy.md).
#include "trust/native_policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trust/internal.h"
#include "trust/native_policy_internal.h"
#include "trust/notation_trust_policy_internal.h"
#include "trust/strict_json.h"
#include "verify/crypto/digest.h"

namespace pullsentry::trust {

using nlohmann::json;
using Pointer = std::vector<std::string>;

namespace {

using internal::IsDns1123Label;
using internal::IsVerifierName;
using internal::Quote;

// RFC 6901 §3: '~' is written "~0" and '/' "~1".
std::string FormatPointer(const Pointer& p) {
  if (p.empty()) return "(root)";
  std::string out;
  for (const std::string& token : p) {
    out += '/';
    for (char c : token.substr(0, 256)) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

Pointer Child(const Pointer& p, std::string_view token) {
  Pointer out = p;
  out.emplace_back(token);
  return out;
}

Pointer Child(const Pointer& p, size_t index) { return Child(p, std::to_string(index)); }


std::shared_ptr<const Verifier> BuiltIn(std::string name, Verifier::Type type) {
  auto v = std::make_shared<Verifier>();
  v->name = std::move(name);
  v->type = type;
  return v;
}

}  // namespace

class NativePolicyBuilder {
 public:
  NativePolicyBuilder(std::string_view text, const NativePolicyOptions& options) : text_(text), options_(options) {}

  absl::StatusOr<std::shared_ptr<const NativePolicy>> Build() {
    if (text_.size() > kMaxNativePolicyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("policy is larger than ", kMaxNativePolicyBytes, " bytes"));
    }
    auto parsed = internal::ParseStrictJson(text_, kMaxNativePolicyDepth);
    if (!parsed.ok()) return parsed.status();
    const json& root = *parsed;
    policy_.reset(new NativePolicy());
    if (absl::Status s = Root(root); !s.ok()) return s;
    std::string canonical = root.dump(-1, ' ', false, json::error_handler_t::replace);
    for (const auto& [name, v] : policy_->verifiers_) {
      for (const NamedKey& k : v->keys) absl::StrAppend(&canonical, "\n", name, " ", k.source, " ", k.key->Fingerprint());
    }
    policy_->hash_ = crypto::Sha256Digest(canonical);
    return std::shared_ptr<const NativePolicy>(std::move(policy_));
  }

 private:
  absl::Status Error(const Pointer& where, const std::string& what) const {
    std::string location = FormatPointer(where);
    if (auto lc = native_internal::LocatePointer(text_, where); lc.has_value()) {
      absl::StrAppend(&location, " (line ", lc->first, ", column ", lc->second, ")");
    }
    return absl::InvalidArgumentError(absl::StrCat(location, ": ", what));
  }

  absl::Status TypeError(const Pointer& where, const json& v, std::string_view expected) const {
    return Error(where, absl::StrCat("expected ", std::string(expected), ", got ", internal::JsonTypeName(v)));
  }

  // Unknown keys are errors: a misspelt "requrie" must not silently drop a
  // requirement.
  absl::Status OnlyFields(const json& object, const Pointer& where, std::string_view what,
                          std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view a : allowed) known = known || key == a;
      if (!known) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        return Error(Child(where, key), absl::StrCat("unknown field ", Quote(key), " in ", std::string(what),
                                                     " (expected one of: ", absl::StrJoin(names, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const json& object, const Pointer& where, const char* field, bool required,
                                     size_t max_length = 4096) const {
    auto it = object.find(field);
    if (it == object.end()) {
      if (required) return Error(where, absl::StrCat("missing field \"", field, "\""));
      return std::string();
    }
    Pointer at = Child(where, field);
    if (!it->is_string()) return TypeError(at, *it, "a string");
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty()) return Error(at, "must not be empty");
    if (s.size() > max_length) return Error(at, absl::StrCat("longer than ", max_length, " characters"));
    return s;
  }

  absl::Status Root(const json& root) {
    Pointer here;
    if (!root.is_object()) return TypeError(here, root, "a JSON object");
    auto version = root.find("version");
    if (version == root.end()) return Error(here, "missing field \"version\" (this pullsentry reads version 1)");
    if (!version->is_number_integer()) return TypeError({"version"}, *version, "the number 1");
    if (version->get<int64_t>() != 1) {
      return Error({"version"}, absl::StrCat("unsupported version ", version->get<int64_t>(),
                                             " (this pullsentry reads version 1)"));
    }
    if (absl::Status s = OnlyFields(root, here, "the policy", {"version", "verifiers", "default", "scopes", "breakGlass"});
        !s.ok()) {
      return s;
    }
    policy_->verifiers_.emplace("accept", BuiltIn("accept", Verifier::Type::kAccept));
    policy_->verifiers_.emplace("reject", BuiltIn("reject", Verifier::Type::kReject));
    if (auto it = root.find("verifiers"); it != root.end()) {
      if (absl::Status s = Verifiers(*it, {"verifiers"}); !s.ok()) return s;
    }
    auto def = root.find("default");
    if (def == root.end()) {
      return Error(here, "missing field \"default\": say what applies to images no scope covers "
                         "(for example {\"require\": \"reject\"})");
    }
    if (absl::Status s = Scope(*def, {"default"}, /*is_default=*/true, &policy_->default_); !s.ok()) return s;
    if (auto it = root.find("scopes"); it != root.end()) {
      if (absl::Status s = Scopes(*it, {"scopes"}); !s.ok()) return s;
    }
    if (auto it = root.find("breakGlass"); it != root.end()) {
      if (absl::Status s = BreakGlass(*it, {"breakGlass"}); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Verifiers(const json& v, const Pointer& where) {
    if (!v.is_object()) return TypeError(where, v, "an object of named verifiers");
    if (v.size() > kMaxNativeVerifiers) return Error(where, absl::StrCat("more than ", kMaxNativeVerifiers, " verifiers"));
    for (const auto& [name, spec] : v.items()) {
      Pointer at = Child(where, name);
      if (name == "accept" || name == "reject") {
        return Error(at, absl::StrCat(Quote(name), " is built in: refer to it by name without declaring it"));
      }
      if (!IsVerifierName(name)) {
        return Error(at, absl::StrCat("verifier name ", Quote(name), " is not valid: up to ", kMaxNativeNameLength,
                                      " letters, digits, '.', '_' and '-', starting with a letter or digit"));
      }
      auto verifier = OneVerifier(spec, at);
      if (!verifier.ok()) return verifier.status();
      (*verifier)->name = name;
      policy_->verifiers_.emplace(name, std::move(*verifier));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<Verifier>> OneVerifier(const json& spec, const Pointer& where) {
    if (!spec.is_object()) return TypeError(where, spec, "a verifier object");
    auto type = String(spec, where, "type", /*required=*/true);
    if (!type.ok()) return type.status();
    auto v = std::make_shared<Verifier>();
    v->pointer = FormatPointer(where);
    if (*type == "cosignKey") {
      v->type = Verifier::Type::kCosignKey;
      if (absl::Status s = OnlyFields(spec, where, "a cosignKey verifier", {"type", "keys", "keyPaths", "identity"});
          !s.ok()) {
        return s;
      }
      if (!spec.contains("keys") && !spec.contains("keyPaths")) {
        return Error(where, "a cosignKey verifier needs \"keys\" (names in the trust store) or \"keyPaths\" (PEM files)");
      }
      for (const char* field : {"keys", "keyPaths"}) {
        if (!spec.contains(field)) continue;
        if (absl::Status s = Keys(spec[field], Child(where, field), std::string_view(field) == "keys", v.get()); !s.ok()) {
          return s;
        }
      }
    } else if (*type == "keyless") {
      v->type = Verifier::Type::kKeyless;
      if (absl::Status s = OnlyFields(spec, where, "a keyless verifier",
                                      {"type", "issuer", "issuerRegex", "subject", "subjectRegex", "trustedRoot",
                                       "identity"});
          !s.ok()) {
        return s;
      }
      if (absl::Status s = Matcher(spec, where, "issuer", &v->issuer); !s.ok()) return s;
      if (absl::Status s = Matcher(spec, where, "subject", &v->subject); !s.ok()) return s;
      auto root = String(spec, where, "trustedRoot", /*required=*/true, kMaxNativeNameLength);
      if (!root.ok()) return root.status();
      v->trusted_root = *root;
    } else if (*type == "notation") {
      v->type = Verifier::Type::kNotation;
      if (absl::Status s = OnlyFields(spec, where, "a notation verifier",
                                      {"type", "trustPolicy", "signatureVerification", "trustStores",
                                       "trustedIdentities", "identity"});
          !s.ok()) {
        return s;
      }
      auto tp = String(spec, where, "trustPolicy", /*required=*/true, 256);
      if (!tp.ok()) return tp.status();
      v->trust_policy = *tp;
      if (absl::Status s = InlineNotationPolicy(spec, where, v.get()); !s.ok()) return s;
    } else if (*type == "accept" || *type == "reject") {
      return Error(Child(where, "type"), absl::StrCat(Quote(*type), " is a built-in verifier: write \"", *type,
                                                      "\" in a requirement instead of declaring it"));
    } else {
      return Error(Child(where, "type"),
                   absl::StrCat("unknown verifier type ", Quote(*type), " (known: cosignKey, keyless, notation)"));
    }
    if (auto it = spec.find("identity"); it != spec.end()) {
      auto identity = Identity(*it, Child(where, "identity"));
      if (!identity.ok()) return identity.status();
      v->identity = std::move(*identity);
    }
    return v;
  }

  // "signatureVerification", "trustStores" and "trustedIdentities" of a
  // notation verifier: all or none, with trustpolicy.json's rules
  // (notation_trust_policy_internal.h).
  absl::Status InlineNotationPolicy(const json& spec, const Pointer& where, Verifier* v) const {
    const char* fields[] = {"signatureVerification", "trustStores", "trustedIdentities"};
    int present = 0;
    for (const char* f : fields) present += spec.contains(f) ? 1 : 0;
    if (present == 0) return absl::OkStatus();
    if (present != 3) {
      return Error(where, "a notation verifier with an inline trust policy needs all of \"signatureVerification\", "
                          "\"trustStores\" and \"trustedIdentities\"");
    }
    notation_internal::ErrorFn error = [this](const Pointer& at, const std::string& what) { return Error(at, what); };
    auto sv = notation_internal::SignatureVerification(spec["signatureVerification"],
                                                       Child(where, "signatureVerification"), error);
    if (!sv.ok()) return sv.status();
    if (sv->level == NotationLevel::kSkip) {
      return Error(Child(Child(where, "signatureVerification"), "level"),
                   "level \"skip\" verifies nothing: require the built-in \"accept\" instead");
    }
    auto stores = notation_internal::TrustStores(spec["trustStores"], Child(where, "trustStores"), error);
    if (!stores.ok()) return stores.status();
    if (stores->empty()) return Error(Child(where, "trustStores"), "must not be empty");
    auto ids = notation_internal::TrustedIdentities(spec["trustedIdentities"], Child(where, "trustedIdentities"), error);
    if (!ids.ok()) return ids.status();
    if (ids->empty()) return Error(Child(where, "trustedIdentities"), "must not be empty");
    v->notation_verification = std::move(*sv);
    v->notation_trust_stores = std::move(*stores);
    v->notation_trusted_identities = std::move(*ids);
    return absl::OkStatus();
  }

  absl::Status Keys(const json& list, const Pointer& where, bool from_trust_store, Verifier* v) {
    if (!list.is_array()) return TypeError(where, list, "a list of strings");
    if (list.empty()) return Error(where, "must not be empty");
    for (size_t i = 0; i < list.size(); ++i) {
      Pointer at = Child(where, i);
      if (!list[i].is_string()) return TypeError(at, list[i], "a string");
      const std::string& entry = list[i].get_ref<const std::string&>();
      if (entry.empty() || entry.size() > 4096) return Error(at, "expected a non-empty file name");
      std::string path;
      if (from_trust_store) {
        if (entry.find('/') != std::string::npos || entry == "." || entry == "..") {
          return Error(at, absl::StrCat(Quote(entry), " is not a key name: \"keys\" holds file names in ",
                                        options_.trust_store_dir, "/keys (use \"keyPaths\" for paths)"));
        }
      } else {
        path = entry;
        if (!entry.starts_with('/') && !options_.base_dir.empty()) path = absl::StrCat(options_.base_dir, "/", entry);
      }
      if (v->keys.size() >= kMaxNativeKeysPerVerifier) {
        return Error(at, absl::StrCat("more than ", kMaxNativeKeysPerVerifier, " keys in one verifier"));
      }
      if (from_trust_store) {
        auto key = TrustStoreKey(entry);
        if (!key.ok()) return Error(at, std::string(key.status().message()));
        v->keys.push_back(std::move(*key));
        continue;
      }
      auto pem = native_internal::ReadBoundedFile(path, kMaxKeyFileBytes, "key file");
      if (!pem.ok()) return Error(at, std::string(pem.status().message()));
      auto key = crypto::PublicKey::FromPem(*pem);
      if (!key.ok()) return Error(at, absl::StrCat("key file ", Quote(path), ": ", std::string(key.status().message())));
      v->keys.push_back(NamedKey{path, std::move(*key)});
    }
    return absl::OkStatus();
  }

  // The store is opened (loaded and checked whole) at the first "keys" name,
  // unless the caller passed one in.
  absl::StatusOr<NamedKey> TrustStoreKey(const std::string& name) {
    if (trust_store_ == nullptr) {
      auto store = TrustStore::Open(options_.trust_store_dir);
      if (!store.ok()) return store.status();
      trust_store_ = std::move(*store);
    }
    return trust_store_->Key(name);
  }

  // "<field>" (exact) or "<field>Regex" (ECMAScript, whole value): exactly one.
  absl::Status Matcher(const json& spec, const Pointer& where, const std::string& field, Verifier::Matcher* out) {
    std::string regex_field = field + "Regex";
    bool exact = spec.contains(field), regex = spec.contains(regex_field);
    if (exact == regex) return Error(where, absl::StrCat("exactly one of \"", field, "\" and \"", regex_field, "\" is required"));
    auto text = String(spec, where, exact ? field.c_str() : regex_field.c_str(), /*required=*/true,
                       regex ? kMaxNativeRegexLength : 4096);
    if (!text.ok()) return text.status();
    out->text = *text;
    out->is_regex = regex;
    if (regex) {
      try {
        out->regex = std::make_shared<const std::regex>(*text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(Child(where, regex_field), absl::StrCat("not a valid regular expression: ", e.what()));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<SignedIdentity> Identity(const json& v, const Pointer& where) const {
    if (!v.is_object()) return TypeError(where, v, "an identity object");
    auto type = String(v, where, "type", /*required=*/true);
    if (!type.ok()) return type.status();
    SignedIdentity out;
    auto fields = [&](std::initializer_list<std::string_view> allowed) {
      return OnlyFields(v, where, absl::StrCat("a ", *type, " identity"), allowed);
    };
    if (*type == "repoDigestOrExact" || *type == "exact" || *type == "repository") {
      if (absl::Status s = fields({"type"}); !s.ok()) return s;
      out.kind = *type == "exact"               ? SignedIdentity::Kind::kMatchExact
                 : *type == "repository"        ? SignedIdentity::Kind::kMatchRepository
                                                : SignedIdentity::Kind::kMatchRepoDigestOrExact;
      return out;
    }
    if (*type == "exactReference") {
      if (absl::Status s = fields({"type", "reference"}); !s.ok()) return s;
      auto ref = String(v, where, "reference", /*required=*/true, reference::kMaxReferenceLength);
      if (!ref.ok()) return ref.status();
      auto parsed = reference::ParseNormalized(*ref, /*default_tag=*/false);
      if (!parsed.ok()) return Error(Child(where, "reference"), std::string(parsed.status().message()));
      if (!parsed->HasTag() && !parsed->HasDigest()) {
        return Error(Child(where, "reference"), absl::StrCat(Quote(*ref), " has neither a tag nor a digest"));
      }
      out.kind = SignedIdentity::Kind::kExactReference;
      out.docker_reference = *ref;
      return out;
    }
    if (*type == "exactRepository") {
      if (absl::Status s = fields({"type", "repository"}); !s.ok()) return s;
      auto repo = String(v, where, "repository", /*required=*/true, reference::kMaxReferenceLength);
      if (!repo.ok()) return repo.status();
      auto parsed = reference::ParseNormalized(*repo, /*default_tag=*/false);
      if (!parsed.ok()) return Error(Child(where, "repository"), std::string(parsed.status().message()));
      if (parsed->HasTag() || parsed->HasDigest()) {
        return Error(Child(where, "repository"), absl::StrCat(Quote(*repo), " must name a repository, without tag or digest"));
      }
      out.kind = SignedIdentity::Kind::kExactRepository;
      out.docker_repository = *repo;
      return out;
    }
    if (*type == "remap") {
      if (absl::Status s = fields({"type", "prefix", "signedPrefix"}); !s.ok()) return s;
      for (const char* f : {"prefix", "signedPrefix"}) {
        auto value = String(v, where, f, /*required=*/true, reference::kMaxReferenceLength);
        if (!value.ok()) return value.status();
        if (absl::Status s = internal::ValidateRemapPrefix(*value); !s.ok()) return Error(Child(where, f), std::string(s.message()));
        (std::string_view(f) == "prefix" ? out.prefix : out.signed_prefix) = *value;
      }
      out.kind = SignedIdentity::Kind::kRemapIdentity;
      return out;
    }
    return Error(Child(where, "type"),
                 absl::StrCat("unknown identity type ", Quote(*type),
                              " (known: repoDigestOrExact, exact, repository, exactReference, exactRepository, remap)"));
  }

  absl::StatusOr<RequirementNode> Requirement(const json& v, const Pointer& where) const {
    RequirementNode node;
    node.pointer = FormatPointer(where);
    if (v.is_string()) {
      const std::string& name = v.get_ref<const std::string&>();
      auto it = policy_->verifiers_.find(name);
      if (it == policy_->verifiers_.end()) {
        return Error(where, absl::StrCat("unknown verifier ", Quote(name),
                                         " (declare it under \"verifiers\", or use \"accept\" or \"reject\")"));
      }
      node.kind = RequirementNode::Kind::kVerifier;
      node.verifier = it->second;
      return node;
    }
    if (!v.is_object()) return TypeError(where, v, "a verifier name or an object with \"anyOf\" or \"allOf\"");
    if (v.size() != 1 || !(v.contains("anyOf") || v.contains("allOf"))) {
      if (absl::Status s = OnlyFields(v, where, "a requirement", {"anyOf", "allOf"}); !s.ok()) return s;
      return Error(where, "a requirement object holds exactly one of \"anyOf\" and \"allOf\"");
    }
    bool any = v.contains("anyOf");
    const json& list = any ? v["anyOf"] : v["allOf"];
    Pointer at = Child(where, any ? "anyOf" : "allOf");
    if (!list.is_array()) return TypeError(at, list, "a list of requirements");
    if (list.empty()) return Error(at, "must not be empty");
    node.kind = any ? RequirementNode::Kind::kAnyOf : RequirementNode::Kind::kAllOf;
    for (size_t i = 0; i < list.size(); ++i) {
      auto child = Requirement(list[i], Child(at, i));
      if (!child.ok()) return child.status();
      node.children.push_back(std::move(*child));
    }
    return node;
  }

  absl::StatusOr<PolicyMode> Mode(const json& object, const Pointer& where) const {
    auto mode = String(object, where, "mode", /*required=*/true);
    if (!mode.ok()) return mode.status();
    if (*mode == "enforce") return PolicyMode::kEnforce;
    if (*mode == "warn") return PolicyMode::kWarn;
    if (*mode == "audit") return PolicyMode::kAudit;
    return Error(Child(where, "mode"), absl::StrCat("unknown mode ", Quote(*mode), " (known: enforce, warn, audit)"));
  }

  absl::Status Scope(const json& v, const Pointer& where, bool is_default, NativeScope* out) const {
    if (!v.is_object()) return TypeError(where, v, "a scope object");
    out->pointer = FormatPointer(where);
    if (is_default) {
      if (absl::Status s = OnlyFields(v, where, "the default", {"mode", "require", "identity", "namespaces"}); !s.ok()) {
        return s;
      }
      out->pattern = "(default)";
      out->kind = ScopeKind::kDefault;
    } else {
      if (absl::Status s = OnlyFields(v, where, "a scope", {"match", "mode", "require", "identity", "namespaces"});
          !s.ok()) {
        return s;
      }
      auto match = String(v, where, "match", /*required=*/true, kMaxNativeScopePatternLength);
      if (!match.ok()) return match.status();
      out->pattern = *match;
      if (absl::Status s = native_internal::ParseScopePattern(*match, out); !s.ok()) {
        return Error(Child(where, "match"), std::string(s.message()));
      }
    }
    if (v.contains("mode")) {
      auto mode = Mode(v, where);
      if (!mode.ok()) return mode.status();
      out->mode = *mode;
    }
    auto req = v.find("require");
    if (req == v.end()) return Error(where, "missing field \"require\"");
    auto tree = Requirement(*req, Child(where, "require"));
    if (!tree.ok()) return tree.status();
    out->require = std::move(*tree);
    if (auto it = v.find("identity"); it != v.end()) {
      auto identity = Identity(*it, Child(where, "identity"));
      if (!identity.ok()) return identity.status();
      out->identity = std::move(*identity);
    }
    if (auto it = v.find("namespaces"); it != v.end()) {
      Pointer at = Child(where, "namespaces");
      if (!it->is_object()) return TypeError(at, *it, "an object of namespace overrides");
      if (it->size() > kMaxNativeNamespaceOverrides) {
        return Error(at, absl::StrCat("more than ", kMaxNativeNamespaceOverrides, " namespace overrides"));
      }
      for (const auto& [ns, spec] : it->items()) {
        Pointer nat = Child(at, ns);
        if (!IsDns1123Label(ns)) {
          return Error(nat, absl::StrCat(Quote(ns), " is not a Kubernetes namespace name (a DNS-1123 label)"));
        }
        if (!spec.is_object()) return TypeError(nat, spec, "an override object");
        if (absl::Status s = OnlyFields(spec, nat, "a namespace override", {"mode", "require"}); !s.ok()) return s;
        if (spec.empty()) return Error(nat, "an override needs \"mode\", \"require\" or both");
        NamespaceOverride o;
        o.pointer = FormatPointer(nat);
        if (spec.contains("mode")) {
          auto mode = Mode(spec, nat);
          if (!mode.ok()) return mode.status();
          o.mode = *mode;
        }
        if (auto r = spec.find("require"); r != spec.end()) {
          auto t = Requirement(*r, Child(nat, "require"));
          if (!t.ok()) return t.status();
          o.require = std::move(*t);
        }
        out->namespaces.emplace(ns, std::move(o));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Scopes(const json& v, const Pointer& where) {
    if (!v.is_array()) return TypeError(where, v, "a list of scopes");
    if (v.size() > kMaxNativeScopes) return Error(where, absl::StrCat("more than ", kMaxNativeScopes, " scopes"));
    std::vector<NativeScope>& scopes = policy_->scopes_;
    scopes.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      NativeScope s;
      if (absl::Status st = Scope(v[i], Child(where, i), /*is_default=*/false, &s); !st.ok()) return st;
      scopes.push_back(std::move(s));
    }
    // Determinism: an image must never be covered by two equally specific
    // scopes, so the order of the list can never matter.
    std::map<std::string, std::vector<size_t>> by_rank;
    for (size_t i = 0; i < scopes.size(); ++i) {
      const NativeScope& s = scopes[i];
      if (s.kind == ScopeKind::kExactReference) {
        auto [it, inserted] = policy_->exact_scopes_.emplace(s.pattern, i);
        if (!inserted) return Error(Child(Child(where, i), "match"), Duplicate(s, scopes[it->second], it->second));
        continue;
      }
      std::string rank;
      for (const std::string& c : s.components) {
        size_t stars = static_cast<size_t>(std::count(c.begin(), c.end(), '*'));
        absl::StrAppend(&rank, stars == 0 ? "L" : absl::StrCat("G", c.size() - stars), "/");
      }
      std::vector<size_t>& same = by_rank[rank];
      for (size_t j : same) {
        if (native_internal::ScopesOverlap(s, scopes[j])) {
          return Error(Child(Child(where, i), "match"), Duplicate(s, scopes[j], j));
        }
      }
      same.push_back(i);
    }
    return absl::OkStatus();
  }

  static std::string Duplicate(const NativeScope& s, const NativeScope& other, size_t other_index) {
    if (s.pattern == other.pattern) {
      return absl::StrCat("scope ", Quote(s.pattern), " is already defined at /scopes/", other_index);
    }
    return absl::StrCat("scopes ", Quote(s.pattern), " and ", Quote(other.pattern), " (/scopes/", other_index,
                        ") are equally specific and can match the same image; make one more specific");
  }

  absl::Status BreakGlass(const json& v, const Pointer& where) {
    if (!v.is_array()) return TypeError(where, v, "a list of break-glass entries");
    if (v.size() > kMaxNativeBreakGlassEntries) {
      return Error(where, absl::StrCat("more than ", kMaxNativeBreakGlassEntries, " entries"));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      Pointer at = Child(where, i);
      const json& e = v[i];
      if (!e.is_object()) return TypeError(at, e, "a break-glass object");
      if (absl::Status s = OnlyFields(e, at, "a break-glass entry", {"digest", "reason", "expires"}); !s.ok()) return s;
      BreakGlassEntry entry;
      entry.pointer = FormatPointer(at);
      auto digest = String(e, at, "digest", /*required=*/true, 256);
      if (!digest.ok()) return digest.status();
      if (!reference::IsValidDigest(*digest)) {
        return Error(Child(at, "digest"), absl::StrCat(Quote(*digest), " is not a digest (sha256:<64 lowercase hex>)"));
      }
      auto reason = String(e, at, "reason", /*required=*/true, kMaxNativeReasonLength);
      if (!reason.ok()) return reason.status();
      auto expires = String(e, at, "expires", /*required=*/true, 64);
      if (!expires.ok()) return expires.status();
      auto when = native_internal::ParseRfc3339(*expires);
      if (!when.has_value()) {
        return Error(Child(at, "expires"),
                     absl::StrCat(Quote(*expires), " is not an RFC 3339 date-time such as 2026-12-01T00:00:00Z"));
      }
      entry.digest = *digest;
      entry.reason = *reason;
      entry.expires_text = *expires;
      entry.expires = *when;
      auto [it, inserted] = policy_->break_glass_by_digest_.emplace(entry.digest, policy_->break_glass_.size());
      if (!inserted) {
        return Error(Child(at, "digest"), absl::StrCat("digest already listed at /breakGlass/", it->second));
      }
      policy_->break_glass_.push_back(std::move(entry));
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  const NativePolicyOptions& options_;
  std::shared_ptr<const TrustStore> trust_store_ = options_.trust_store;
  std::shared_ptr<NativePolicy> policy_;
};

absl::StatusOr<std::shared_ptr<const NativePolicy>> NativePolicy::Parse(std::string_view json,
                                                                       const NativePolicyOptions& options) {
  return NativePolicyBuilder(json, options).Build();
}

absl::StatusOr<std::shared_ptr<const NativePolicy>> NativePolicy::Parse(std::string_view json,
                                                                       const std::string& base_dir) {
  NativePolicyOptions options;
  options.base_dir = base_dir;
  return Parse(json, options);
}

absl::StatusOr<std::shared_ptr<const NativePolicy>> NativePolicy::Load(const std::string& path,
                                                                      const std::string& trust_store_dir) {
  auto text = native_internal::ReadBoundedFile(path, kMaxNativePolicyBytes, "policy");
  if (!text.ok()) return text.status();
  NativePolicyOptions options;
  options.base_dir = ".";
  if (size_t slash = path.rfind('/'); slash != std::string::npos) options.base_dir = slash == 0 ? "/" : path.substr(0, slash);
  options.trust_store_dir = trust_store_dir;
  auto policy = Parse(*text, options);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("policy ", Quote(path), ": ", std::string(policy.status().message())));
  }
  return policy;
}

namespace native_internal {

std::optional<std::pair<size_t, size_t>> LocatePointer(std::string_view text, const std::vector<std::string>& tokens) {
  size_t pos = 0;
  auto ws = [&] {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) ++pos;
  };
  // Moves past a string starting at pos; returns its raw text with quotes.
  auto skip_string = [&]() -> std::optional<std::string_view> {
    size_t start = pos;
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
    for (++pos; pos < text.size(); ++pos) {
      if (text[pos] == '\\') {
        ++pos;
      } else if (text[pos] == '"') {
        ++pos;
        return text.substr(start, pos - start);
      }
    }
    return std::nullopt;
  };
  auto skip_value = [&]() -> bool {
    size_t depth = 0;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '"') {
        if (!skip_string()) return false;
        if (depth == 0) return true;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return true;  // end of the enclosing container
        if (--depth == 0) {
          ++pos;
          return true;
        }
      } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
        return true;
      }
      ++pos;
    }
    return depth == 0;
  };
  for (const std::string& token : tokens) {
    ws();
    if (pos >= text.size()) return std::nullopt;
    if (text[pos] == '{') {
      ++pos;
      bool found = false;
      while (!found) {
        ws();
        auto raw = skip_string();
        if (!raw) return std::nullopt;
        std::string key;
        if (raw->find('\\') == std::string_view::npos) {
          key = std::string(raw->substr(1, raw->size() - 2));
        } else {
          json decoded = json::parse(raw->begin(), raw->end(), nullptr, /*allow_exceptions=*/false);
          if (!decoded.is_string()) return std::nullopt;
          key = decoded.get<std::string>();
        }
        ws();
        if (pos >= text.size() || text[pos] != ':') return std::nullopt;
        ++pos;
        ws();
        if (key == token) {
          found = true;
          break;
        }
        if (!skip_value()) return std::nullopt;
        ws();
        if (pos >= text.size() || text[pos] != ',') return std::nullopt;
        ++pos;
      }
    } else if (text[pos] == '[') {
      ++pos;
      size_t index = 0;
      for (char c : token) {
        if (c < '0' || c > '9' || index > (1u << 24)) return std::nullopt;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      for (size_t i = 0; i < index; ++i) {
        ws();
        if (!skip_value()) return std::nullopt;
        ws();
        if (pos >= text.size() || text[pos] != ',') return std::nullopt;
        ++pos;
      }
      ws();
    } else {
      return std::nullopt;
    }
  }
  ws();
  if (pos >= text.size()) return std::nullopt;
  size_t line = 1, column = 1;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::make_pair(line, column);
}

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t limit, std::string_view what) {
  return internal::ReadBoundedFile(path, limit, what);
}

}  // namespace native_internal
}  // namespace pullsentry::trust
