// Trusted identities of a Notation trust policy and how a signing
// certificate matches them (spec trust-store-trust-policy.md,
// "trustedIdentities"; notation-go verifier isSubsetDN and
// pkix.ParseDistinguishedName).
//
// An identity is "*" (any certificate that chains to the trust store) or
// "x509.subject:<DN>" with an RFC 4514 DN. A certificate matches when every
// attribute of the policy's DN is in its subject with an equal value. Both
// DNs are read by the same rules: one attribute per RDN, no attribute type
// twice, C, ST and O present, "S" as an alias of "ST", attribute types
// compared as written (notation does not fold case).
#ifndef PULLSENTRY_VERIFY_NOTATION_IDENTITY_H_
#define PULLSENTRY_VERIFY_NOTATION_IDENTITY_H_

#include <openssl/x509.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::notation {

// Attribute type → unescaped value.
using DistinguishedName = std::map<std::string, std::string>;

struct TrustedIdentity {
  std::string text;  // as written
  bool any = false;  // "*"
  DistinguishedName subject;
};

// Parses an RFC 4514 string (escapes "\," "\+" "\\" "\XX"; spaces around
// ',' '=' '+' ignored; leading and trailing spaces of a value dropped unless
// escaped) by notation's rules above. Hex values ("#…") are refused.
// InvalidArgument with a one-line reason.
absl::StatusOr<DistinguishedName> ParseDistinguishedName(std::string_view text);

// "*" or "x509.subject:<DN>". Other prefixes belong to verification plugins,
// which pullsentry does not run: InvalidArgument.
absl::StatusOr<TrustedIdentity> ParseTrustedIdentity(std::string_view text);

// The subject of `cert` as notation reads it: the attributes Go names (C,
// ST, L, O, OU, CN, SERIALNUMBER, STREET, POSTALCODE) by those names, any
// other by its dotted OID. InvalidArgument when the subject breaks the rules
// above (so it can match no x509.subject identity, as in notation).
absl::StatusOr<DistinguishedName> CertificateSubject(X509* cert);

// The subject as an RFC 4514 string, most specific RDN first (as Go and
// notation print it). For messages.
std::string SubjectString(X509* cert);

// True when every attribute of `policy` is in `subject` with the same value.
bool SubjectMatches(const DistinguishedName& policy, const DistinguishedName& subject);

// True when `cert` matches one of `identities` ("*" matches any).
bool MatchesAnyIdentity(X509* cert, const std::vector<TrustedIdentity>& identities);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_IDENTITY_H_
