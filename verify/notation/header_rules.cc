#include "verify/notation/header_rules.h"

#include <ctime>

#include "verify/notation/str.h"
#include "verify/notation/notation_limits.h"
#include "verify/notation/payload.h"

namespace pullsentry::notation::internal {

bool IsKnownExtendedHeader(std::string_view name) {
  return name == kHeaderSigningScheme || name == kHeaderSigningTime || name == kHeaderAuthenticSigningTime ||
         name == kHeaderExpiry || name == kHeaderVerificationPlugin || name == kHeaderVerificationPluginMinVersion;
}

absl::Status FinishProtectedHeader(const ProtectedHeader& h, Envelope* out) {
  if (!h.algorithm) return absl::InvalidArgumentError("the protected header has no supported alg");
  out->algorithm = *h.algorithm;
  if (!h.content_type) return absl::InvalidArgumentError("the protected header has no content type (cty)");
  if (*h.content_type != kPayloadMediaType) {
    return absl::InvalidArgumentError(Cat("content type \"", *h.content_type, "\" is not ", kPayloadMediaType));
  }
  if (!h.signing_scheme) return absl::InvalidArgumentError("the protected header has no io.cncf.notary.signingScheme");
  if (*h.signing_scheme == "notary.x509") {
    out->signing_scheme = SigningScheme::kX509;
    // Spec: notary.x509 requires signingTime, signingAuthority requires
    // authenticSigningTime; each names the time its scheme trusts.
    if (!h.signing_time) return absl::InvalidArgumentError("signing scheme notary.x509 requires io.cncf.notary.signingTime");
  } else if (*h.signing_scheme == "notary.x509.signingAuthority") {
    out->signing_scheme = SigningScheme::kX509SigningAuthority;
    if (!h.authentic_signing_time) {
      return absl::InvalidArgumentError(
          "signing scheme notary.x509.signingAuthority requires io.cncf.notary.authenticSigningTime");
    }
  } else {
    return absl::InvalidArgumentError(Cat("unknown signing scheme \"", *h.signing_scheme, "\""));
  }
  out->signing_time = h.signing_time;
  out->authentic_signing_time = h.authentic_signing_time;
  out->expiry = h.expiry;
  out->verification_plugin = h.verification_plugin;
  out->verification_plugin_min_version = h.verification_plugin_min_version;

  if (!h.critical || h.critical->empty()) return absl::InvalidArgumentError("the protected header has no crit list");
  std::set<std::string, std::less<>> listed;
  for (const std::string& name : *h.critical) {
    if (!listed.insert(name).second) return absl::InvalidArgumentError(Cat("crit lists \"", name, "\" twice"));
    // A critical header we do not implement could change what the signature
    // means; the only safe answer is to refuse (RFC 7515 §4.1.11).
    if (!IsKnownExtendedHeader(name)) {
      return absl::InvalidArgumentError(Cat("critical header \"", name, "\" is not understood"));
    }
    if (!h.extended_present.contains(name)) {
      return absl::InvalidArgumentError(Cat("critical header \"", name, "\" is not in the protected header"));
    }
  }
  std::vector<std::string_view> must = {kHeaderSigningScheme};
  if (h.expiry) must.push_back(kHeaderExpiry);
  if (h.authentic_signing_time) must.push_back(kHeaderAuthenticSigningTime);
  if (h.verification_plugin) must.push_back(kHeaderVerificationPlugin);
  if (h.verification_plugin_min_version) must.push_back(kHeaderVerificationPluginMinVersion);
  for (std::string_view name : must) {
    if (!listed.contains(name)) return absl::InvalidArgumentError(Cat("header ", name, " must be listed in crit"));
  }
  if (h.verification_plugin_min_version && !h.verification_plugin) {
    return absl::InvalidArgumentError("verificationPluginMinVersion without verificationPlugin");
  }
  out->critical = *h.critical;
  return absl::OkStatus();
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* value) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  if (s.size() > 64) return std::nullopt;
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, &hour) || s[13] != ':' ||
      !Digits(s, 14, 2, &minute) || s[16] != ':' || !Digits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

}  // namespace pullsentry::notation::internal
