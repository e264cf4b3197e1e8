// Notation trust policy → native policy (trust/notation_import.h).
//
// Why the scopes come out as they do: Notation picks the policy whose
// registryScopes hold the repository exactly, else the global one
// (trust-store-trust-policy.md, "Selecting a trust policy based on artifact
// URI"). A native prefix "R" covers R and everything beneath it, so each
// scope also gets a glob "R/*" that sends R/sub back to the global rule. The
// native order then gives Notation's answer: for R/x, "R/*" beats "R" (deeper);
// a literal scope "R/x" beats "R/*" (literal beats glob at the third
// component) and "R/x/*" beats "R/x" again for R/x/y.
#include "trust/notation_import.h"

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"
#include "trust/notation_trust_policy.h"

namespace pullsentry::trust {
namespace {

using nlohmann::ordered_json;

bool UsableVerifierName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNativeNameLength || s == "accept" || s == "reject") return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front())) return false;
  for (char c : s) {
    if (!(alnum(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

ordered_json VerifierJson(const NotationTrustPolicy& p) {
  ordered_json v = ordered_json::object();
  v["type"] = "notation";
  v["trustPolicy"] = p.name;
  ordered_json sv = ordered_json::object();
  const NotationSignatureVerification& in = p.signature_verification;
  sv["level"] = std::string(NotationLevelName(in.level));
  if (!in.override.empty()) {
    ordered_json o = ordered_json::object();
    for (const auto& [check, action] : in.override) o[std::string(NotationCheckName(check))] = std::string(NotationActionName(action));
    sv["override"] = std::move(o);
  }
  if (in.verify_timestamp.has_value()) sv["verifyTimestamp"] = std::string(NotationTimestampName(*in.verify_timestamp));
  v["signatureVerification"] = std::move(sv);
  ordered_json stores = ordered_json::array();
  for (const NotationTrustStore& s : p.trust_stores) stores.push_back(s.text);
  v["trustStores"] = std::move(stores);
  ordered_json ids = ordered_json::array();
  for (const NotationIdentity& id : p.trusted_identities) ids.push_back(id.text);
  v["trustedIdentities"] = std::move(ids);
  return v;
}

ordered_json ScopeJson(const std::string& match, const std::string& require) {
  ordered_json s = ordered_json::object();
  s["match"] = match;
  s["mode"] = "enforce";
  s["require"] = require;
  return s;
}

}  // namespace

absl::StatusOr<NotationImport> ImportNotationTrustPolicy(std::string_view text) {
  auto parsed = NotationTrustPolicyDocument::Parse(text);
  if (!parsed.ok()) return parsed.status();
  const NotationTrustPolicyDocument& doc = **parsed;
  NotationImport result;

  // Verifier names: the policy's own name when the native format allows it.
  ordered_json verifiers = ordered_json::object();
  std::vector<std::string> requirement(doc.policies().size());
  std::set<std::string> used;
  for (const NotationTrustPolicy& p : doc.policies()) {
    if (p.signature_verification.level != NotationLevel::kSkip && UsableVerifierName(p.name)) used.insert(p.name);
  }
  for (size_t i = 0; i < doc.policies().size(); ++i) {
    const NotationTrustPolicy& p = doc.policies()[i];
    if (p.signature_verification.level == NotationLevel::kSkip) {
      requirement[i] = "accept";
      result.warnings.push_back(absl::StrCat("trust policy \"", p.name, "\" (", p.pointer,
                                             ") has level skip: its repositories are admitted without any "
                                             "signature check (\"accept\")"));
      continue;
    }
    std::string name = p.name;
    if (!UsableVerifierName(name)) {
      for (size_t n = i + 1;; ++n) {
        name = absl::StrCat("notation-", n);
        if (used.insert(name).second) break;
      }
    }
    requirement[i] = name;
    verifiers[name] = VerifierJson(p);
  }

  std::string fallback = "reject";
  for (size_t i = 0; i < doc.policies().size(); ++i) {
    if (doc.policies()[i].global) fallback = requirement[i];
  }

  ordered_json scopes = ordered_json::array();
  for (size_t i = 0; i < doc.policies().size(); ++i) {
    const NotationTrustPolicy& p = doc.policies()[i];
    if (p.global) continue;
    for (const std::string& scope : p.registry_scopes) {
      for (const std::string& pattern : {scope, scope + "/*"}) {
        NativeScope probe;
        if (absl::Status s = native_internal::ParseScopePattern(pattern, &probe); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("cannot convert registry scope \"", scope.substr(0, 256),
                                                         "\" of trust policy \"", p.name, "\": ",
                                                         std::string(s.message())));
        }
      }
      scopes.push_back(ScopeJson(scope, requirement[i]));
      scopes.push_back(ScopeJson(scope + "/*", fallback));
    }
  }

  ordered_json out = ordered_json::object();
  out["version"] = 1;
  if (!verifiers.empty()) out["verifiers"] = std::move(verifiers);
  ordered_json def = ordered_json::object();
  def["mode"] = "enforce";
  def["require"] = fallback;
  out["default"] = std::move(def);
  if (!scopes.empty()) out["scopes"] = std::move(scopes);
  result.native_json = out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";

  auto native = NativePolicy::Parse(result.native_json, std::string());
  if (!native.ok()) {
    return absl::InternalError(
        absl::StrCat("converted policy does not load: ", std::string(native.status().message())));
  }
  return result;
}

}  // namespace pullsentry::trust
