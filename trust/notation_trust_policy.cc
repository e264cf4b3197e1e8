// Notation trust policy documents (trust/notation_trust_policy.h). Section
// names refer to notaryproject/specifications specs/trust-store-trust-policy.md.
#include "trust/notation_trust_policy.h"

#include <sys/stat.h>

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
#include "trust/native_policy_internal.h"
#include "trust/notation_trust_policy_internal.h"
#include "trust/internal.h"
#include "trust/strict_json.h"

namespace pullsentry::trust {

using nlohmann::json;
using notation_internal::ErrorFn;
using notation_internal::Pointer;

namespace {

using internal::Quote;

Pointer Child(const Pointer& p, std::string_view token) {
  Pointer out = p;
  out.emplace_back(token);
  return out;
}

Pointer Child(const Pointer& p, size_t index) { return Child(p, std::to_string(index)); }

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status OnlyFields(const json& object, const Pointer& where, std::string_view what,
                        std::initializer_list<std::string_view> allowed, const ErrorFn& error) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      return error(Child(where, key), absl::StrCat("unknown field ", Quote(key), " in ", std::string(what),
                                                   " (expected one of: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// A list of non-empty strings, at most kMaxNotationListEntries.
absl::StatusOr<std::vector<std::string>> StringList(const json& v, const Pointer& where, const ErrorFn& error) {
  if (!v.is_array()) return error(where, absl::StrCat("expected a list of strings, got ", internal::JsonTypeName(v)));
  if (v.size() > kMaxNotationListEntries) {
    return error(where, absl::StrCat("more than ", kMaxNotationListEntries, " entries"));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return error(Child(where, i), absl::StrCat("expected a string, got ", internal::JsonTypeName(v[i])));
    }
    const std::string& s = v[i].get_ref<const std::string&>();
    if (s.size() > kMaxNotationStringLength) {
      return error(Child(where, i), absl::StrCat("longer than ", kMaxNotationStringLength, " characters"));
    }
    out.push_back(s);
  }
  return out;
}

// notation-go's domainRegexp, from distribution: dot-separated labels of
// letters, digits and inner '-', then an optional ":<digits>".
bool ValidDomain(std::string_view d) {
  if (size_t colon = d.find(':'); colon != std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port) {
      if (!IsDigit(c)) return false;
    }
    d = d.substr(0, colon);
  }
  if (d.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !IsAlnum(label.front()) || !IsAlnum(label.back())) return false;
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// One path component of notation-go's repositoryRegexp:
// [a-z0-9]+ ((\.|_|__|-*) [a-z0-9]+)*
bool ValidPathComponent(std::string_view c) {
  size_t i = 0;
  auto run = [&] {
    size_t begin = i;
    while (i < c.size() && IsLowerAlnum(c[i])) ++i;
    return i > begin;
  };
  if (!run()) return false;
  while (i < c.size()) {
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (!run()) return false;
  }
  return true;
}

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) { return IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

// An attribute type: a descriptor (letter, then letters, digits, '-') or a
// numeric OID (RFC 4512 §1.4).
bool ValidAttributeType(std::string_view t) {
  if (t.empty()) return false;
  if (IsDigit(t.front())) {
    bool digit_run = false;
    for (char c : t) {
      if (IsDigit(c)) {
        digit_run = true;
      } else if (c == '.' && digit_run) {
        digit_run = false;
      } else {
        return false;
      }
    }
    return digit_run;
  }
  if (!((t.front() >= 'a' && t.front() <= 'z') || (t.front() >= 'A' && t.front() <= 'Z'))) return false;
  for (char c : t) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

constexpr char kLevelNames[] = "strict, permissive, audit, skip";

}  // namespace

std::string_view NotationCheckName(NotationCheck check) {
  switch (check) {
    case NotationCheck::kIntegrity: return "integrity";
    case NotationCheck::kAuthenticity: return "authenticity";
    case NotationCheck::kAuthenticTimestamp: return "authenticTimestamp";
    case NotationCheck::kExpiry: return "expiry";
    case NotationCheck::kRevocation: return "revocation";
  }
  return "?";
}

std::string_view NotationActionName(NotationAction action) {
  switch (action) {
    case NotationAction::kEnforce: return "enforce";
    case NotationAction::kLog: return "log";
    case NotationAction::kSkip: return "skip";
  }
  return "?";
}

std::string_view NotationLevelName(NotationLevel level) {
  switch (level) {
    case NotationLevel::kStrict: return "strict";
    case NotationLevel::kPermissive: return "permissive";
    case NotationLevel::kAudit: return "audit";
    case NotationLevel::kSkip: return "skip";
  }
  return "?";
}

std::string_view NotationTimestampName(NotationTimestamp t) {
  return t == NotationTimestamp::kAfterCertExpiry ? "afterCertExpiry" : "always";
}

// Spec "Signature Verification details", the table of levels.
NotationAction NotationSignatureVerification::Action(NotationCheck check) const {
  if (auto it = override.find(check); it != override.end()) return it->second;
  switch (level) {
    case NotationLevel::kStrict: return NotationAction::kEnforce;
    case NotationLevel::kPermissive:
      return check == NotationCheck::kIntegrity || check == NotationCheck::kAuthenticity ? NotationAction::kEnforce
                                                                                         : NotationAction::kLog;
    case NotationLevel::kAudit:
      return check == NotationCheck::kIntegrity ? NotationAction::kEnforce : NotationAction::kLog;
    case NotationLevel::kSkip: return NotationAction::kSkip;
  }
  return NotationAction::kEnforce;
}

absl::Status ValidateNotationRegistryScope(std::string_view scope) {
  constexpr char kHow[] =
      "write a fully qualified repository without scheme, tag or digest, e.g. registry.example/acme/app "
      "(docker.io/library/nginx, not nginx)";
  if (scope.find('*') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "registry scope ", Quote(scope), " holds a wildcard: only the single value \"*\" (global scope) is allowed; ",
        kHow));
  }
  size_t slash = scope.find('/');
  bool ok = slash != std::string_view::npos && ValidDomain(scope.substr(0, slash)) && slash + 1 < scope.size();
  if (ok) {
    std::string_view path = scope.substr(slash + 1);
    size_t start = 0;
    while (ok) {
      size_t next = path.find('/', start);
      ok = ValidPathComponent(path.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start));
      if (next == std::string_view::npos) break;
      start = next + 1;
    }
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("registry scope ", Quote(scope), " is not valid: ", kHow));
  return absl::OkStatus();
}

// RFC 4514 §3 as go-ldap's ParseDN reads it: RDNs separated by ',' or ';',
// type '=' value, '\' escaping a special character or two hex digits,
// unescaped spaces around a value ignored.
absl::StatusOr<std::map<std::string, std::string>> ParseNotationDistinguishedName(std::string_view dn) {
  auto fail = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("distinguished name (DN) ", Quote(dn), " is not valid: ", std::string(why)));
  };
  std::map<std::string, std::string> out;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < dn.size() && dn[i] == ' ') ++i;
  };
  skip_spaces();
  if (i == dn.size()) return fail("it is empty; it must hold C, ST and O at a minimum");
  while (true) {
    skip_spaces();
    size_t eq = i;
    while (eq < dn.size() && dn[eq] != '=' && dn[eq] != ',' && dn[eq] != ';' && dn[eq] != '+') ++eq;
    if (eq == dn.size() || dn[eq] != '=') return fail("an attribute has no '=' (write TYPE=value, e.g. O=acme)");
    std::string_view type = dn.substr(i, eq - i);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (!ValidAttributeType(type)) return fail(absl::StrCat("attribute type ", Quote(type), " is not valid"));
    i = eq + 1;
    skip_spaces();
    if (i < dn.size() && dn[i] == '#') return fail("hex-encoded (#…) attribute values are not supported");
    std::string value;
    size_t keep = 0;  // length without unescaped trailing spaces
    char separator = '\0';
    while (i < dn.size()) {
      char c = dn[i];
      if (c == ',' || c == ';') {
        separator = c;
        ++i;
        break;
      }
      if (c == '+') return fail("it has a multi-valued RDN ('+'); multi-valued RDNs are not supported");
      if (c == '\\') {
        if (i + 1 >= dn.size()) return fail("it ends with an unfinished escape '\\'");
        char e = dn[i + 1];
        if (std::string_view(",+\"\\<>;=# ").find(e) != std::string_view::npos) {
          value += e;
          i += 2;
        } else if (i + 2 < dn.size() && IsHex(e) && IsHex(dn[i + 2])) {
          value += static_cast<char>(HexValue(e) * 16 + HexValue(dn[i + 2]));
          i += 3;
        } else {
          return fail(absl::StrCat("invalid escape '\\", std::string(1, e), "'"));
        }
        keep = value.size();
        continue;
      }
      if (c == '"' || c == '<' || c == '>') {
        return fail(absl::StrCat("'", std::string(1, c), "' must be escaped as '\\", std::string(1, c), "'"));
      }
      value += c;
      if (c != ' ') keep = value.size();
      ++i;
    }
    value.resize(keep);
    if (!out.emplace(std::string(type), value).second) {
      return fail(absl::StrCat("attribute ", Quote(type), " appears twice; each attribute may appear once"));
    }
    if (separator == '\0') break;
    skip_spaces();
    if (i == dn.size()) return fail("it ends with a separator");
  }
  for (const char* field : {"C", "ST", "O"}) {
    auto it = out.find(field);
    if (it == out.end() || it->second.empty()) {
      return fail(absl::StrCat("it has no ", field, " attribute; C, ST and O are required at a minimum"));
    }
  }
  return out;
}

namespace notation_internal {

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

// Spec "Custom Verification Level"; notation-go GetVerificationLevel.
absl::StatusOr<NotationSignatureVerification> SignatureVerification(const json& v, const Pointer& where,
                                                                    const ErrorFn& error) {
  if (!v.is_object()) {
    return error(where, absl::StrCat("expected a signatureVerification object, got ", internal::JsonTypeName(v)));
  }
  if (absl::Status s = OnlyFields(v, where, "signatureVerification", {"level", "override", "verifyTimestamp"}, error);
      !s.ok()) {
    return s;
  }
  NotationSignatureVerification out;
  auto level = v.find("level");
  if (level == v.end()) return error(where, absl::StrCat("missing field \"level\" (", kLevelNames, ")"));
  Pointer at = Child(where, "level");
  if (!level->is_string()) return error(at, absl::StrCat("expected a string, got ", internal::JsonTypeName(*level)));
  const std::string& name = level->get_ref<const std::string&>();
  if (name == "strict") {
    out.level = NotationLevel::kStrict;
  } else if (name == "permissive") {
    out.level = NotationLevel::kPermissive;
  } else if (name == "audit") {
    out.level = NotationLevel::kAudit;
  } else if (name == "skip") {
    out.level = NotationLevel::kSkip;
  } else {
    return error(at, absl::StrCat("unknown verification level ", Quote(name), " (", kLevelNames, ")"));
  }
  if (auto it = v.find("override"); it != v.end()) {
    Pointer o = Child(where, "override");
    if (!it->is_object()) {
      return error(o, absl::StrCat("expected an object of check: action, got ", internal::JsonTypeName(*it)));
    }
    // notation-go: an empty override is no override, even for skip.
    if (!it->empty() && out.level == NotationLevel::kSkip) {
      return error(o, "level \"skip\" cannot be customised with an override");
    }
    for (const auto& [key, value] : it->items()) {
      Pointer k = Child(o, key);
      std::optional<NotationCheck> check;
      for (NotationCheck c : {NotationCheck::kIntegrity, NotationCheck::kAuthenticity,
                              NotationCheck::kAuthenticTimestamp, NotationCheck::kExpiry, NotationCheck::kRevocation}) {
        if (key == std::string(NotationCheckName(c))) check = c;
      }
      if (!check.has_value()) {
        return error(k, absl::StrCat("unknown check ", Quote(key),
                                     " (authenticity, authenticTimestamp, expiry, revocation)"));
      }
      if (*check == NotationCheck::kIntegrity) return error(k, "integrity is always enforced and cannot be overridden");
      if (!value.is_string()) return error(k, absl::StrCat("expected a string, got ", internal::JsonTypeName(value)));
      const std::string& a = value.get_ref<const std::string&>();
      NotationAction action;
      if (a == "enforce") {
        action = NotationAction::kEnforce;
      } else if (a == "log") {
        action = NotationAction::kLog;
      } else if (a == "skip") {
        if (*check != NotationCheck::kRevocation) {
          return error(k, absl::StrCat(key, " cannot be skipped (only revocation can; use \"log\")"));
        }
        action = NotationAction::kSkip;
      } else {
        return error(k, absl::StrCat("unknown action ", Quote(a), " (enforce, log, skip)"));
      }
      out.override[*check] = action;
    }
  }
  if (auto it = v.find("verifyTimestamp"); it != v.end()) {
    Pointer t = Child(where, "verifyTimestamp");
    if (!it->is_string()) return error(t, absl::StrCat("expected a string, got ", internal::JsonTypeName(*it)));
    const std::string& s = it->get_ref<const std::string&>();
    if (s == "always") {
      out.verify_timestamp = NotationTimestamp::kAlways;
    } else if (s == "afterCertExpiry") {
      out.verify_timestamp = NotationTimestamp::kAfterCertExpiry;
    } else {
      return error(t, absl::StrCat("unknown verifyTimestamp ", Quote(s), " (always, afterCertExpiry)"));
    }
  }
  return out;
}

// notation-go validateTrustStore; the store name is also a directory name.
absl::StatusOr<std::vector<NotationTrustStore>> TrustStores(const json& v, const Pointer& where, const ErrorFn& error) {
  auto list = StringList(v, where, error);
  if (!list.ok()) return list.status();
  std::vector<NotationTrustStore> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& s = (*list)[i];
    Pointer at = Child(where, i);
    size_t colon = s.find(':');
    if (colon == std::string::npos) {
      return error(at, absl::StrCat("trust store ", Quote(s), " is not TYPE:NAME (e.g. \"ca:acme-rockets\")"));
    }
    std::string_view type = std::string_view(s).substr(0, colon);
    std::string name = s.substr(colon + 1);
    NotationTrustStore store;
    if (type == "ca") {
      store.type = NotationTrustStore::Type::kCa;
    } else if (type == "signingAuthority") {
      store.type = NotationTrustStore::Type::kSigningAuthority;
    } else if (type == "tsa") {
      store.type = NotationTrustStore::Type::kTsa;
    } else {
      return error(at, absl::StrCat("unknown trust store type ", Quote(type), " in ", Quote(s),
                                    " (ca, signingAuthority, tsa)"));
    }
    bool valid_name = !name.empty() && name.size() <= kMaxNotationNameLength;
    for (char c : name) valid_name = valid_name && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
    if (!valid_name) {
      return error(at, absl::StrCat("trust store name ", Quote(name), " in ", Quote(s),
                                    " is not valid: letters, digits, '_', '.' and '-' only"));
    }
    // A name made only of dots would name the store's parent directory.
    if (name.find_first_not_of('.') == std::string::npos) {
      return error(at, absl::StrCat("trust store name ", Quote(name), " is not valid"));
    }
    if (!seen.insert(s).second) return error(at, absl::StrCat("trust store ", Quote(s), " is listed twice"));
    store.name = std::move(name);
    store.text = s;
    out.push_back(std::move(store));
  }
  return out;
}

// notation-go validateTrustedIdentities and validateOverlappingDNs; spec
// "Trusted Identities Constraints".
absl::StatusOr<std::vector<NotationIdentity>> TrustedIdentities(const json& v, const Pointer& where,
                                                                const ErrorFn& error) {
  auto list = StringList(v, where, error);
  if (!list.ok()) return list.status();
  std::vector<NotationIdentity> out;
  std::vector<size_t> x509;  // indices into out
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& s = (*list)[i];
    Pointer at = Child(where, i);
    NotationIdentity id;
    id.text = s;
    if (s.empty()) return error(at, "a trusted identity must not be empty");
    if (s == "*") {
      if (list->size() > 1) {
        return error(at, "the wildcard identity \"*\" cannot be combined with other identities");
      }
      id.any = true;
      out.push_back(std::move(id));
      continue;
    }
    size_t colon = s.find(':');
    if (colon == std::string::npos) {
      return error(at, absl::StrCat("trusted identity ", Quote(s),
                                    " has no ':' (write \"x509.subject: C=US, ST=WA, O=acme\" or \"*\")"));
    }
    id.prefix = s.substr(0, colon);
    id.value = s.substr(colon + 1);
    if (id.prefix == "x509.subject") {
      if (id.value.empty()) return error(at, absl::StrCat("trusted identity ", Quote(s), " has no value"));
      auto dn = ParseNotationDistinguishedName(id.value);
      if (!dn.ok()) return error(at, std::string(dn.status().message()));
      if (x509.size() >= kMaxNotationIdentitiesX509) {
        return error(at, absl::StrCat("more than ", kMaxNotationIdentitiesX509, " x509.subject identities"));
      }
      id.subject = std::move(*dn);
      x509.push_back(out.size());
    }
    out.push_back(std::move(id));
  }
  // Overlapping: some certificate would match both, i.e. one DN's attributes
  // are a subset of the other's (equal DNs included).
  for (size_t a : x509) {
    for (size_t b : x509) {
      if (a == b) continue;
      bool subset = true;
      for (const auto& [type, value] : out[a].subject) {
        auto it = out[b].subject.find(type);
        subset = subset && it != out[b].subject.end() && it->second == value;
      }
      if (subset) {
        size_t later = std::max(a, b);
        return error(Child(where, later), absl::StrCat("trusted identities ", Quote(out[a].text), " and ",
                                                       Quote(out[b].text), " overlap: a certificate matching the "
                                                       "first also matches the second"));
      }
    }
  }
  return out;
}

}  // namespace notation_internal

class NotationTrustPolicyParser {
 public:
  explicit NotationTrustPolicyParser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::shared_ptr<const NotationTrustPolicyDocument>> Parse() {
    if (text_.size() > kMaxNotationPolicyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("trust policy is larger than ", kMaxNotationPolicyBytes, " bytes"));
    }
    auto parsed = internal::ParseStrictJson(text_, kMaxNotationPolicyDepth);
    if (!parsed.ok()) return parsed.status();
    doc_.reset(new NotationTrustPolicyDocument());
    if (absl::Status s = Root(*parsed); !s.ok()) return s;
    return std::shared_ptr<const NotationTrustPolicyDocument>(std::move(doc_));
  }

 private:
  absl::Status Error(const Pointer& where, const std::string& what) const {
    std::string location = notation_internal::FormatPointer(where);
    if (auto lc = native_internal::LocatePointer(text_, where); lc.has_value()) {
      absl::StrAppend(&location, " (line ", lc->first, ", column ", lc->second, ")");
    }
    return absl::InvalidArgumentError(absl::StrCat(location, ": ", what));
  }

  ErrorFn Errors() const {
    return [this](const Pointer& where, const std::string& what) { return Error(where, what); };
  }

  absl::Status Root(const json& root) {
    Pointer here;
    if (!root.is_object()) return Error(here, absl::StrCat("expected a JSON object, got ", internal::JsonTypeName(root)));
    auto version = root.find("version");
    if (version == root.end()) return Error(here, "missing field \"version\" (this pullsentry reads \"1.0\")");
    if (!version->is_string() || version->get_ref<const std::string&>() != "1.0") {
      return Error({"version"}, absl::StrCat("unsupported version ", version->dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 64),
                                             " (this pullsentry reads \"1.0\")"));
    }
    if (absl::Status s = Fields(root, here, "the trust policy document", {"version", "trustPolicies"});
        !s.ok()) {
      return s;
    }
    auto list = root.find("trustPolicies");
    if (list == root.end()) return Error(here, "missing field \"trustPolicies\"");
    Pointer lp = {"trustPolicies"};
    if (!list->is_array()) {
      return Error(lp, absl::StrCat("expected a list of trust policies, got ", internal::JsonTypeName(*list)));
    }
    if (list->empty()) return Error(lp, "a trust policy document needs at least one trust policy");
    if (list->size() > kMaxNotationTrustPolicies) {
      return Error(lp, absl::StrCat("more than ", kMaxNotationTrustPolicies, " trust policies"));
    }
    std::map<std::string, size_t, std::less<>> names;
    for (size_t i = 0; i < list->size(); ++i) {
      Pointer at = Child(lp, i);
      auto policy = Policy((*list)[i], at);
      if (!policy.ok()) return policy.status();
      if (auto [it, inserted] = names.emplace(policy->name, i); !inserted) {
        return Error(Child(at, "name"), absl::StrCat("trust policy name ", Quote(policy->name),
                                                     " is already used by /trustPolicies/", it->second,
                                                     "; names must be unique"));
      }
      // Spec "Registry Scopes Constraints": a scope in one policy only, and
      // one global policy.
      for (size_t j = 0; j < policy->registry_scopes.size(); ++j) {
        const std::string& scope = policy->registry_scopes[j];
        auto [it, inserted] = doc_->by_scope_.emplace(scope, doc_->policies_.size());
        if (!inserted) {
          const NotationTrustPolicy& other = doc_->policies_[it->second];
          return Error(Child(Child(at, "registryScopes"), j),
                       scope == "*" ? absl::StrCat("trust policy ", Quote(other.name), " (", other.pointer,
                                                   ") already has the global scope \"*\"; only one policy may")
                                    : absl::StrCat("registry scope ", Quote(scope), " is also in trust policy ",
                                                   Quote(other.name), " (", other.pointer,
                                                   "); a scope may belong to one policy only"));
        }
      }
      if (policy->global) doc_->global_ = static_cast<long>(doc_->policies_.size());
      doc_->policies_.push_back(std::move(*policy));
    }
    return absl::OkStatus();
  }

  absl::Status Fields(const json& object, const Pointer& where, std::string_view what,
                                             std::initializer_list<std::string_view> allowed) const {
    return OnlyFields(object, where, what, allowed, Errors());
  }

  absl::StatusOr<NotationTrustPolicy> Policy(const json& v, const Pointer& where) {
    if (!v.is_object()) return Error(where, absl::StrCat("expected a trust policy object, got ", internal::JsonTypeName(v)));
    if (v.contains("globalPolicy") || v.contains("scopes")) {
      // trustpolicy.blob.json (blob signatures) or the draft version 1.1.
      return Error(Child(where, v.contains("scopes") ? "scopes" : "globalPolicy"),
                   "this is not an OCI trust policy (trustpolicy.blob.json or a later version?): image pulls use "
                   "trustpolicy.json / trustpolicy.oci.json with \"registryScopes\"");
    }
    if (absl::Status s = Fields(v, where, "a trust policy",
                                                       {"name", "registryScopes", "signatureVerification",
                                                        "trustStores", "trustedIdentities"});
        !s.ok()) {
      return s;
    }
    NotationTrustPolicy out;
    out.pointer = notation_internal::FormatPointer(where);
    auto name = v.find("name");
    if (name == v.end()) return Error(where, "missing field \"name\": every trust policy needs a name");
    if (!name->is_string()) {
      return Error(Child(where, "name"), absl::StrCat("expected a string, got ", internal::JsonTypeName(*name)));
    }
    out.name = name->get<std::string>();
    if (out.name.empty()) return Error(Child(where, "name"), "must not be empty");
    if (out.name.size() > kMaxNotationNameLength) {
      return Error(Child(where, "name"), absl::StrCat("longer than ", kMaxNotationNameLength, " characters"));
    }

    auto scopes = v.find("registryScopes");
    if (scopes == v.end()) return Error(where, "missing field \"registryScopes\"");
    Pointer sp = Child(where, "registryScopes");
    auto scope_list = StringList(*scopes, sp, Errors());
    if (!scope_list.ok()) return scope_list.status();
    if (scope_list->empty()) return Error(sp, "needs at least one registry scope");
    for (size_t i = 0; i < scope_list->size(); ++i) {
      const std::string& scope = (*scope_list)[i];
      if (scope == "*") {
        if (scope_list->size() > 1) {
          return Error(Child(sp, i), "the global scope \"*\" cannot be combined with other scopes");
        }
        out.global = true;
      } else if (absl::Status s = ValidateNotationRegistryScope(scope); !s.ok()) {
        return Error(Child(sp, i), std::string(s.message()));
      }
    }
    std::set<std::string> unique(scope_list->begin(), scope_list->end());
    if (unique.size() != scope_list->size()) {
      // notation-go counts a repeated scope as "present in multiple statements".
      for (size_t i = 1; i < scope_list->size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*scope_list)[i] == (*scope_list)[j]) {
            return Error(Child(sp, i), absl::StrCat("registry scope ", Quote((*scope_list)[i]), " is listed twice"));
          }
        }
      }
    }
    out.registry_scopes = std::move(*scope_list);

    auto sv = v.find("signatureVerification");
    if (sv == v.end()) return Error(where, "missing field \"signatureVerification\"");
    auto verification = notation_internal::SignatureVerification(*sv, Child(where, "signatureVerification"), Errors());
    if (!verification.ok()) return verification.status();
    out.signature_verification = std::move(*verification);

    const bool skip = out.signature_verification.level == NotationLevel::kSkip;
    if (auto it = v.find("trustStores"); it != v.end()) {
      auto stores = notation_internal::TrustStores(*it, Child(where, "trustStores"), Errors());
      if (!stores.ok()) return stores.status();
      out.trust_stores = std::move(*stores);
    }
    if (auto it = v.find("trustedIdentities"); it != v.end()) {
      auto ids = notation_internal::TrustedIdentities(*it, Child(where, "trustedIdentities"), Errors());
      if (!ids.ok()) return ids.status();
      out.trusted_identities = std::move(*ids);
    }
    // notation-go validateCore: skip takes neither; every other level both.
    if (skip && (!out.trust_stores.empty() || !out.trusted_identities.empty())) {
      return Error(Child(where, out.trust_stores.empty() ? "trustedIdentities" : "trustStores"),
                   "level \"skip\" verifies nothing: remove trustStores and trustedIdentities");
    }
    if (!skip && out.trust_stores.empty()) {
      return Error(where, absl::StrCat("level \"", std::string(NotationLevelName(out.signature_verification.level)),
                                       "\" needs \"trustStores\" (at least one, e.g. \"ca:acme-rockets\")"));
    }
    if (!skip && out.trusted_identities.empty()) {
      return Error(where, absl::StrCat("level \"", std::string(NotationLevelName(out.signature_verification.level)),
                                       "\" needs \"trustedIdentities\" (\"*\" or x509.subject DNs)"));
    }
    // Spec "Signature Verification details": skip "cannot be used with a
    // global scope". notation-go does not check this; the spec is followed
    // here because it fails closed (the alternative admits every image).
    if (skip && out.global) {
      return Error(Child(where, "signatureVerification"),
                   "level \"skip\" cannot be used with the global scope \"*\" (it would admit every image "
                   "unverified); list the repositories to skip");
    }
    return out;
  }

  std::string_view text_;
  std::unique_ptr<NotationTrustPolicyDocument> doc_;
};

absl::StatusOr<std::shared_ptr<const NotationTrustPolicyDocument>> NotationTrustPolicyDocument::Parse(
    std::string_view json) {
  return NotationTrustPolicyParser(json).Parse();
}

absl::StatusOr<std::shared_ptr<const NotationTrustPolicyDocument>> NotationTrustPolicyDocument::Load(
    const std::string& path) {
  // As notation-go getDocument: a symlink is refused, not followed.
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read trust policy ", Quote(path), ": ", std::strerror(errno)));
  }
  if (S_ISLNK(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read trust policy ", Quote(path), ": it is a symlink (not supported)"));
  }
  auto text = native_internal::ReadBoundedFile(path, kMaxNotationPolicyBytes, "trust policy");
  if (!text.ok()) return text.status();
  auto doc = Parse(*text);
  if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(doc.status().message())));
  return doc;
}

const NotationTrustPolicy* NotationTrustPolicyDocument::Match(std::string_view repository) const {
  if (repository != "*") {
    if (auto it = by_scope_.find(repository); it != by_scope_.end()) return &policies_[it->second];
  }
  return global();
}

const NotationTrustPolicy* NotationTrustPolicyDocument::Match(const reference::ImageReference& image) const {
  return Match(image.Name());
}

}  // namespace pullsentry::trust
