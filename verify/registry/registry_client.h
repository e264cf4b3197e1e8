// Client for the OCI distribution API: what the verifier needs to resolve a
// tag and fetch signatures, with every byte checked against its digest and
// every response bounded in size and time.
#ifndef PULLSENTRY_VERIFY_REGISTRY_REGISTRY_CLIENT_H_
#define PULLSENTRY_VERIFY_REGISTRY_REGISTRY_CLIENT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::registry {

// Credentials for one registry. A CRI AuthConfig maps onto this directly.
struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token (token endpoint, grant_type=refresh_token)
  std::string registry_token;  // a bearer token sent as is
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// Deployment options: fixed for the daemon's lifetime.
struct RegistryOptions {
  // host[:port] names of registries reached over plain HTTP. Everything else
  // uses HTTPS with the system CAs.
  std::set<std::string> insecure_registries;
  // Node credentials file (containers-auth.json / docker config.json). Empty: none.
  std::string auth_file;
  // PEM bundle of CAs that HTTPS registries are checked against instead of
  // the system's (private registries with their own CA). Empty: system CAs.
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  size_t max_manifest_bytes = 4u << 20;
  int max_redirects = 5;
};

// Per-pull context: who asks and until when.
struct PullContext {
  // Credentials from the pull request (CRI AuthConfig); tried before the node file.
  std::optional<Credentials> credentials;
  // Absolute deadline of the caller; no request outlives it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct FetchedManifest {
  std::string digest;      // "sha256:<hex>" of `body` exactly as served
  std::string media_type;  // from Content-Type, or the body's mediaType field
  std::string body;
};

// The seam between the verifier and the network. Implementations are safe to
// call from several threads at once.
//
// Errors (absl::Status codes) the verifier relies on:
//   NotFound          the registry answered 404 (e.g. no signature tag)
//   Unauthenticated / PermissionDenied   credentials missing or refused
//   DataLoss          content does not match its digest
//   ResourceExhausted a response exceeded its size limit
//   DeadlineExceeded  the caller's deadline or a timeout passed
//   Unavailable       the registry could not be reached
//   InvalidArgument   the registry answered with something malformed
// Every message names the registry and what was being fetched.
class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // GET /v2/<path>/manifests/<tag_or_digest> with Accept for OCI and Docker
  // v2 manifests and indexes. When fetched by digest the body must hash to it;
  // when fetched by tag a Docker-Content-Digest header must agree with the body.
  virtual absl::StatusOr<FetchedManifest> GetManifest(const reference::ImageReference& repo,
                                                      std::string_view tag_or_digest,
                                                      const PullContext& context) = 0;

  // GET /v2/<path>/blobs/<digest>, at most `max_bytes`, verified against `digest`.
  virtual absl::StatusOr<std::string> GetBlob(const reference::ImageReference& repo, std::string_view digest,
                                              size_t max_bytes, const PullContext& context) = 0;
};

// The libcurl implementation.
std::unique_ptr<RegistryClient> NewCurlRegistryClient(RegistryOptions options);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_REGISTRY_CLIENT_H_
