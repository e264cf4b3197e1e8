// The token half of registry auth: after a `Bearer` challenge, ask the
// challenge's realm for a token (distribution "Token Authentication
// Specification" and "OAuth2 Token Authentication").
#ifndef PULLSENTRY_VERIFY_REGISTRY_TOKEN_CLIENT_H_
#define PULLSENTRY_VERIFY_REGISTRY_TOKEN_CLIENT_H_

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "verify/registry/http_transport.h"
#include "verify/registry/registry_client.h"
#include "verify/registry/www_authenticate.h"

namespace pullsentry::registry {

struct BearerToken {
  std::string token;
  std::chrono::seconds lifetime;  // expires_in, default kDefaultTokenLifetime
};

// Parses a token endpoint answer: {"token": …} or {"access_token": …},
// optional "expires_in" (seconds, capped at kMaxTokenLifetime). At most
// kMaxTokenResponseBytes. InvalidArgument when malformed or without a token.
absl::StatusOr<BearerToken> ParseTokenResponse(std::string_view body);

// The request for a token with `scope` (e.g. "repository:acme/app:pull").
// Without credentials: anonymous GET. With username/password: GET with Basic
// auth. With an identity_token: POST grant_type=refresh_token (as docker
// does). The realm must be https, or http when `allow_http_realm` (the
// registry itself is reached over plain HTTP). InvalidArgument otherwise.
absl::StatusOr<HttpRequest> BuildTokenRequest(const Challenge& bearer, std::string_view scope,
                                              const Credentials* credentials, bool allow_http_realm,
                                              std::chrono::steady_clock::time_point deadline);

// Builds, sends and parses. Besides the transport's errors: the endpoint
// answering 401 is Unauthenticated, 403 PermissionDenied, 5xx Unavailable,
// anything else but 200 InvalidArgument. Messages never hold credentials.
absl::StatusOr<BearerToken> FetchBearerToken(HttpTransport& transport, const Challenge& bearer,
                                             std::string_view scope, const Credentials* credentials,
                                             bool allow_http_realm, std::chrono::steady_clock::time_point deadline);

// "application/x-www-form-urlencoded"-safe percent-encoding (RFC 3986 unreserved kept).
std::string PercentEncode(std::string_view text);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_TOKEN_CLIENT_H_
