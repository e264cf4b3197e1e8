// RegistryClient over any HttpTransport: URLs, the auth dance, status
// mapping and digest checks. NewCurlRegistryClient (registry_client.h) is this
// over the libcurl transport; tests may pass another transport.
#ifndef PULLSENTRY_VERIFY_REGISTRY_HTTP_REGISTRY_CLIENT_H_
#define PULLSENTRY_VERIFY_REGISTRY_HTTP_REGISTRY_CLIENT_H_

#include <memory>

#include "verify/registry/http_transport.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::registry {

// Auth, per request:
//  1. credentials = PullContext.credentials, else the auth file's entry for
//     the repository (re-read each time, so rotated credentials apply);
//  2. a registry_token, or a cached bearer token for (registry, scope,
//     credentials), is sent up front;
//  3. on 401, the challenge decides: Basic -> username/password; Bearer ->
//     token from the realm (token_client.h), cached until it expires;
//  4. credentials refused after being freshly obtained -> Unauthenticated;
//     at most kMaxAuthAttempts requests per fetch.
// Thread-safe when `transport` is.
std::unique_ptr<RegistryClient> NewRegistryClient(RegistryOptions options, std::unique_ptr<HttpTransport> transport);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_HTTP_REGISTRY_CLIENT_H_
