#include "verify/registry/token_client.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"

namespace pullsentry::registry {
namespace {

using json = nlohmann::json;

// Sent as client_id on refresh-token grants, as docker sends "docker".
constexpr std::string_view kClientId = "pullsentry";

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (internal::IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

absl::StatusOr<BearerToken> ParseTokenResponse(std::string_view body) {
  if (body.size() > kMaxTokenResponseBytes) {
    return absl::ResourceExhaustedError(internal::Cat("token response exceeds ", kMaxTokenResponseBytes, " bytes"));
  }
  // No exceptions, and no parser message: the body holds the token.
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return absl::InvalidArgumentError("token response is not a JSON object");
  BearerToken result{"", kDefaultTokenLifetime};
  for (const char* field : {"token", "access_token"}) {
    auto it = doc.find(field);
    if (it != doc.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      result.token = it->get<std::string>();
      break;
    }
  }
  if (result.token.empty()) return absl::InvalidArgumentError("token response holds no token");
  // A token goes into a header line: refuse anything that could split it.
  for (unsigned char c : result.token) {
    if (c < 0x21 || c > 0x7e) return absl::InvalidArgumentError("token response holds a malformed token");
  }
  if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number()) {
    const double seconds = it->get<double>();
    // The spec's minimum is 60 s; a registry saying less still gets its wish.
    if (seconds > 0) {
      result.lifetime = std::chrono::seconds(
          static_cast<long long>(std::min<double>(seconds, static_cast<double>(kMaxTokenLifetime.count()))));
    }
  }
  return result;
}

absl::StatusOr<HttpRequest> BuildTokenRequest(const Challenge& bearer, std::string_view scope,
                                              const Credentials* credentials, bool allow_http_realm,
                                              std::chrono::steady_clock::time_point deadline) {
  const std::string realm = bearer.Param("realm");
  if (realm.empty()) return absl::InvalidArgumentError("Bearer challenge without realm");
  const bool https = internal::StartsWithIgnoreCase(realm, "https://");
  const bool http = internal::StartsWithIgnoreCase(realm, "http://");
  if (!https && !(http && allow_http_realm)) {
    // Credentials go to the realm: never over plain HTTP to a registry we reach over TLS.
    return absl::InvalidArgumentError("Bearer realm is not an https URL");
  }
  if (realm.find_first_of(" \t\r\n#") != std::string::npos) {
    return absl::InvalidArgumentError("Bearer realm is not a valid URL");
  }
  const std::string service = bearer.Param("service");

  HttpRequest request;
  request.max_body_bytes = kMaxTokenResponseBytes;
  request.deadline = deadline;
  request.follow_redirects = false;
  if (credentials != nullptr && !credentials->identity_token.empty()) {
    // OAuth2 refresh-token grant (distribution docs, "oauth.md").
    request.method = "POST";
    request.url = realm;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = internal::Cat("grant_type=refresh_token&service=", PercentEncode(service),
                                "&scope=", PercentEncode(scope), "&client_id=", kClientId,
                                "&refresh_token=", PercentEncode(credentials->identity_token));
    return request;
  }
  request.method = "GET";
  const char separator = realm.find('?') == std::string::npos ? '?' : '&';
  request.url = internal::Cat(realm, std::string(1, separator), "scope=", PercentEncode(scope));
  if (!service.empty()) request.url += internal::Cat("&service=", PercentEncode(service));
  if (credentials != nullptr && !credentials->username.empty()) {
    request.headers.emplace_back(
        "Authorization",
        internal::Cat("Basic ", crypto::Base64Encode(internal::Cat(credentials->username, ":", credentials->password))));
  }
  return request;
}

absl::StatusOr<BearerToken> FetchBearerToken(HttpTransport& transport, const Challenge& bearer,
                                             std::string_view scope, const Credentials* credentials,
                                             bool allow_http_realm, std::chrono::steady_clock::time_point deadline) {
  absl::StatusOr<HttpRequest> request = BuildTokenRequest(bearer, scope, credentials, allow_http_realm, deadline);
  if (!request.ok()) return request.status();
  absl::StatusOr<HttpResponse> response = transport.Send(*request);
  if (!response.ok()) {
    return absl::Status(response.status().code(), internal::Cat("token endpoint: ", response.status().message()));
  }
  switch (response->status) {
    case 200:
      return ParseTokenResponse(response->body);
    case 401:
      return absl::UnauthenticatedError("token endpoint refused the credentials (HTTP 401)");
    case 403:
      return absl::PermissionDeniedError("token endpoint denied access (HTTP 403)");
    default:
      if (response->status >= 500) {
        return absl::UnavailableError(internal::Cat("token endpoint answered HTTP ", response->status));
      }
      return absl::InvalidArgumentError(internal::Cat("token endpoint answered HTTP ", response->status));
  }
}

}  // namespace pullsentry::registry
