#include "verify/notation/identity.h"

#include <openssl/objects.h>

#include <optional>

#include "verify/notation/str.h"
#include "verify/notation/notation_limits.h"

namespace pullsentry::notation {
namespace {

constexpr std::string_view kSubjectPrefix = "x509.subject:";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' '; }

// Go's pkix names for subject attributes (crypto/x509/pkix attributeTypeNames).
std::string AttributeName(const ASN1_OBJECT* object) {
  switch (OBJ_obj2nid(object)) {
    case NID_countryName: return "C";
    case NID_stateOrProvinceName: return "ST";
    case NID_localityName: return "L";
    case NID_organizationName: return "O";
    case NID_organizationalUnitName: return "OU";
    case NID_commonName: return "CN";
    case NID_serialNumber: return "SERIALNUMBER";
    case NID_streetAddress: return "STREET";
    case NID_postalCode: return "POSTALCODE";
    default: {
      char buf[128];
      int n = OBJ_obj2txt(buf, sizeof buf, object, 1);
      return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n)) : "?";
    }
  }
}

// Notation's rules after the RDNs are read.
absl::Status AddAttribute(DistinguishedName* dn, std::string type, std::string value) {
  if (type == "S") type = "ST";
  if (type.empty()) return absl::InvalidArgumentError("an attribute type is empty");
  auto [it, inserted] = dn->emplace(type, std::move(value));
  if (!inserted) return absl::InvalidArgumentError(internal::Cat("attribute ", type, " appears more than once"));
  return absl::OkStatus();
}

absl::Status CheckMandatory(const DistinguishedName& dn) {
  for (const char* required : {"C", "ST", "O"}) {
    auto it = dn.find(required);
    if (it == dn.end() || it->second.empty()) {
      return absl::InvalidArgumentError(internal::Cat("the DN lacks the mandatory attribute ", required));
    }
  }
  return absl::OkStatus();
}

// RFC 4514 value escaping for display.
std::string EscapeValue(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool escape = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
                  (i == 0 && (c == ' ' || c == '#')) || (i + 1 == v.size() && c == ' ');
    if (escape) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

absl::StatusOr<DistinguishedName> ParseDistinguishedName(std::string_view s) {
  if (s.size() > kMaxDnBytes) return absl::InvalidArgumentError("the DN is too long");
  DistinguishedName dn;
  size_t i = 0;
  size_t count = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && IsSpace(s[i])) ++i;
  };
  skip_spaces();
  if (i == s.size()) return absl::InvalidArgumentError("the DN is empty");
  while (i < s.size()) {
    if (++count > kMaxDnAttributes) return absl::InvalidArgumentError("the DN has too many attributes");
    skip_spaces();
    size_t start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',' && s[i] != '+') ++i;
    if (i == s.size() || s[i] != '=') return absl::InvalidArgumentError("an attribute has no '='");
    std::string type(s.substr(start, i - start));
    while (!type.empty() && IsSpace(type.back())) type.pop_back();
    ++i;  // '='
    skip_spaces();
    if (i < s.size() && s[i] == '#') return absl::InvalidArgumentError("hex-encoded DN values are not supported");
    std::string value;
    size_t keep = 0;  // length of value up to its last escaped or non-space byte
    while (i < s.size() && s[i] != ',' && s[i] != '+') {
      char c = s[i];
      if (c == '\\') {
        if (i + 1 >= s.size()) return absl::InvalidArgumentError("the DN ends in an escape");
        int hi = HexValue(s[i + 1]);
        int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          value.push_back(static_cast<char>(hi * 16 + lo));
          i += 3;
        } else {
          char e = s[i + 1];
          if (std::string_view(" \"#+,;<=>\\").find(e) == std::string_view::npos) {
            return absl::InvalidArgumentError(internal::Cat("invalid escape \\", std::string(1, e), " in the DN"));
          }
          value.push_back(e);
          i += 2;
        }
        keep = value.size();
        continue;
      }
      if (c == '"' || c == ';' || c == '<' || c == '>' || c == '=') {
        return absl::InvalidArgumentError(internal::Cat("unescaped '", std::string(1, c), "' in a DN value"));
      }
      value.push_back(c);
      if (!IsSpace(c)) keep = value.size();
      ++i;
    }
    value.resize(keep);  // unescaped trailing spaces are not part of the value
    if (i < s.size() && s[i] == '+') return absl::InvalidArgumentError("multi-valued RDNs are not supported");
    if (auto st = AddAttribute(&dn, std::move(type), std::move(value)); !st.ok()) return st;
    if (i < s.size()) {
      ++i;  // ','
      skip_spaces();
      if (i == s.size()) return absl::InvalidArgumentError("the DN ends with ','");
    }
  }
  if (auto st = CheckMandatory(dn); !st.ok()) return st;
  return dn;
}

absl::StatusOr<TrustedIdentity> ParseTrustedIdentity(std::string_view text) {
  TrustedIdentity out;
  out.text = std::string(text);
  if (text == "*") {
    out.any = true;
    return out;
  }
  if (text.substr(0, kSubjectPrefix.size()) != kSubjectPrefix) {
    return absl::InvalidArgumentError(internal::Cat("trusted identity \"", text,
                                                   "\" is neither \"*\" nor x509.subject:<DN> (plugins are not supported)"));
  }
  auto dn = ParseDistinguishedName(text.substr(kSubjectPrefix.size()));
  if (!dn.ok()) {
    return absl::InvalidArgumentError(internal::Cat("trusted identity \"", text, "\": ", dn.status().message()));
  }
  out.subject = *std::move(dn);
  return out;
}

absl::StatusOr<DistinguishedName> CertificateSubject(X509* cert) {
  const X509_NAME* name = X509_get_subject_name(cert);
  int n = X509_NAME_entry_count(name);
  if (n <= 0) return absl::InvalidArgumentError("the certificate has an empty subject");
  if (static_cast<size_t>(n) > kMaxDnAttributes) return absl::InvalidArgumentError("the subject has too many attributes");
  DistinguishedName dn;
  int last_set = -1;
  for (int i = 0; i < n; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(entry);
    if (set == last_set) return absl::InvalidArgumentError("the subject has a multi-valued RDN");
    last_set = set;
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len < 0) return absl::InvalidArgumentError("the subject has an unreadable attribute value");
    std::string value(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
    if (auto st = AddAttribute(&dn, AttributeName(X509_NAME_ENTRY_get_object(entry)), std::move(value)); !st.ok()) {
      return st;
    }
  }
  if (auto st = CheckMandatory(dn); !st.ok()) return st;
  return dn;
}

std::string SubjectString(X509* cert) {
  const X509_NAME* name = X509_get_subject_name(cert);
  std::string out;
  int last_set = -1;
  for (int i = X509_NAME_entry_count(name) - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(entry);
    if (!out.empty()) out += set == last_set ? "+" : ",";
    last_set = set;
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    std::string value = len >= 0 ? std::string(reinterpret_cast<char*>(utf8), static_cast<size_t>(len)) : "?";
    OPENSSL_free(utf8);
    out += AttributeName(X509_NAME_ENTRY_get_object(entry)) + "=" + EscapeValue(value);
  }
  return out;
}

bool SubjectMatches(const DistinguishedName& policy, const DistinguishedName& subject) {
  for (const auto& [type, value] : policy) {
    auto it = subject.find(type);
    if (it == subject.end() || it->second != value) return false;
  }
  return true;
}

bool MatchesAnyIdentity(X509* cert, const std::vector<TrustedIdentity>& identities) {
  std::optional<absl::StatusOr<DistinguishedName>> subject;  // read once, when needed
  for (const TrustedIdentity& identity : identities) {
    if (identity.any) return true;
    if (!subject) subject = CertificateSubject(cert);
    if (subject->ok() && SubjectMatches(identity.subject, **subject)) return true;
  }
  return false;
}

}  // namespace pullsentry::notation
