#include "verify/registry/http_registry_client.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"
#include "verify/registry/auth_file.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"
#include "verify/registry/token_cache.h"
#include "verify/registry/token_client.h"
#include "verify/registry/www_authenticate.h"

namespace pullsentry::registry {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// OCI image-spec and Docker schema 2 media types the verifier understands.
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.artifact.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// Tokens are treated as expired this much early, so one does not lapse in flight.
constexpr std::chrono::seconds kTokenExpiryMargin{5};

// Distribution spec tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. Checked
// because the tag goes into a URL path.
bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  for (size_t i = 0; i < tag.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(tag[i]);
    const bool ok = internal::IsAlnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// The host actually contacted for a reference's domain.
std::string RegistryHost(const reference::ImageReference& ref) {
  return ref.domain == reference::kDockerHubDomain ? "registry-1.docker.io" : ref.domain;
}

// What one fetch is about, for error messages:
// "registry 127.0.0.1:5000 unreachable fetching manifest demo/app:v1: …".
struct Operation {
  std::string registry;  // the reference's domain
  std::string what;      // "manifest demo/app:v1", "blob demo/app@sha256:…"

  absl::Status Error(absl::StatusCode code, std::string_view detail) const {
    return absl::Status(code, internal::Cat("registry ", registry, " fetching ", what, ": ", detail));
  }
  // A transport failure, worded by its kind.
  absl::Status TransportError(const absl::Status& status) const {
    std::string_view verb = " fetching ";
    if (status.code() == absl::StatusCode::kUnavailable) verb = " unreachable fetching ";
    if (status.code() == absl::StatusCode::kDeadlineExceeded) verb = " timed out fetching ";
    return absl::Status(status.code(), internal::Cat("registry ", registry, verb, what, ": ", status.message()));
  }
};

// The first distribution error code in an error body, e.g. "MANIFEST_UNKNOWN",
// if it looks like one; the body is untrusted, so nothing else is echoed.
std::string ErrorCode(const std::string& body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array() || errors->empty()) return "";
  const json& first = (*errors)[0];
  if (!first.is_object()) return "";
  auto code = first.find("code");
  if (code == first.end() || !code->is_string()) return "";
  const std::string& text = code->get_ref<const std::string&>();
  if (text.empty() || text.size() > 64) return "";
  for (unsigned char c : text) {
    if (!(c >= 'A' && c <= 'Z') && c != '_') return "";
  }
  return text;
}

absl::Status StatusError(const Operation& op, const HttpResponse& response) {
  std::string detail = internal::Cat("HTTP ", response.status);
  if (std::string code = ErrorCode(response.body); !code.empty()) detail += internal::Cat(" ", code);
  switch (response.status) {
    case 401:
      return op.Error(absl::StatusCode::kUnauthenticated, internal::Cat("credentials missing or refused (", detail, ")"));
    case 403:
      return op.Error(absl::StatusCode::kPermissionDenied, internal::Cat("access denied (", detail, ")"));
    case 404:
      return op.Error(absl::StatusCode::kNotFound, internal::Cat("not found (", detail, ")"));
    case 429:
      return op.Error(absl::StatusCode::kUnavailable, internal::Cat("rate limited (", detail, ")"));
    default:
      if (response.status >= 500) return op.Error(absl::StatusCode::kUnavailable, detail);
      return op.Error(absl::StatusCode::kInvalidArgument, internal::Cat("unexpected ", detail));
  }
}

class HttpRegistryClient final : public RegistryClient {
 public:
  HttpRegistryClient(RegistryOptions options, std::unique_ptr<HttpTransport> transport)
      : options_(std::move(options)), transport_(std::move(transport)) {}

  absl::StatusOr<FetchedManifest> GetManifest(const reference::ImageReference& repo, std::string_view tag_or_digest,
                                              const PullContext& context) override {
    const bool by_digest = reference::IsValidDigest(tag_or_digest);
    Operation op{repo.domain, internal::Cat("manifest ", repo.path, by_digest ? "@" : ":", tag_or_digest)};
    if (!by_digest && !IsValidTag(tag_or_digest)) {
      return op.Error(absl::StatusCode::kInvalidArgument, "not a valid tag or digest");
    }
    absl::StatusOr<HttpResponse> response =
        Fetch(repo, internal::Cat("/manifests/", tag_or_digest), kManifestAccept, options_.max_manifest_bytes, context, op);
    if (!response.ok()) return response.status();

    FetchedManifest manifest;
    manifest.body = std::move(response->body);
    if (by_digest && !crypto::MatchesDigest(manifest.body, tag_or_digest)) {
      return op.Error(absl::StatusCode::kDataLoss, "content does not match digest");
    }
    if (std::optional<std::string_view> header = response->Header("docker-content-digest")) {
      if (!crypto::MatchesDigest(manifest.body, *header)) {
        return op.Error(absl::StatusCode::kDataLoss, "content does not match Docker-Content-Digest");
      }
    }
    manifest.digest = crypto::Sha256Digest(manifest.body);
    if (std::optional<std::string_view> type = response->Header("content-type")) {
      manifest.media_type = internal::ToLower(internal::Trim(type->substr(0, type->find(';'))));
    }
    if (manifest.media_type.empty() || manifest.media_type == "application/json" ||
        manifest.media_type == "application/octet-stream" || manifest.media_type == "text/plain") {
      // A generic or missing Content-Type: the body's own mediaType is the best we have.
      json doc = json::parse(manifest.body, nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded() || !doc.is_object()) {
        return op.Error(absl::StatusCode::kInvalidArgument, "manifest is not a JSON object");
      }
      auto field = doc.find("mediaType");
      if (field != doc.end() && field->is_string()) manifest.media_type = field->get<std::string>();
    }
    return manifest;
  }

  absl::StatusOr<std::string> GetBlob(const reference::ImageReference& repo, std::string_view digest,
                                      size_t max_bytes, const PullContext& context) override {
    Operation op{repo.domain, internal::Cat("blob ", repo.path, "@", digest)};
    if (!reference::IsValidDigest(digest)) return op.Error(absl::StatusCode::kInvalidArgument, "not a valid digest");
    absl::StatusOr<HttpResponse> response = Fetch(repo, internal::Cat("/blobs/", digest), "", max_bytes, context, op);
    if (!response.ok()) return response.status();
    if (!crypto::MatchesDigest(response->body, digest)) {
      return op.Error(absl::StatusCode::kDataLoss, "content does not match digest");
    }
    return std::move(response->body);
  }

 private:
  bool IsPlainHttp(const reference::ImageReference& repo) const {
    return options_.insecure_registries.contains(repo.domain);
  }

  // The credentials for this pull, or nullopt for anonymous access.
  absl::StatusOr<std::optional<Credentials>> ResolveCredentials(const reference::ImageReference& repo,
                                                                const PullContext& context) const {
    if (context.credentials && !context.credentials->empty()) return context.credentials;
    if (options_.auth_file.empty()) return std::optional<Credentials>();
    absl::StatusOr<AuthFile> file = AuthFile::Read(options_.auth_file);
    if (!file.ok()) return file.status();
    return file->Lookup(repo);
  }

  // GET https://<host>/v2/<path><suffix>, with auth, following redirects.
  // Returns only 200 responses; everything else becomes an error worded by `op`.
  absl::StatusOr<HttpResponse> Fetch(const reference::ImageReference& repo, std::string_view suffix,
                                     std::string_view accept, size_t max_bytes, const PullContext& context,
                                     const Operation& op) {
    absl::StatusOr<std::optional<Credentials>> creds_or = ResolveCredentials(repo, context);
    if (!creds_or.ok()) return op.Error(creds_or.status().code(), internal::Cat(creds_or.status().message()));
    const std::optional<Credentials> creds = *std::move(creds_or);
    const Credentials* credentials = creds ? &*creds : nullptr;

    const bool plain_http = IsPlainHttp(repo);
    const std::string scope = internal::Cat("repository:", repo.path, ":pull");
    const std::string cache_key = TokenCacheKey(repo.domain, scope, credentials);

    HttpRequest request;
    request.url = internal::Cat(plain_http ? "http://" : "https://", RegistryHost(repo), "/v2/", repo.path, suffix);
    request.max_body_bytes = max_bytes;
    request.deadline = context.deadline;
    request.follow_redirects = true;
    if (!accept.empty()) request.headers.emplace_back("Accept", std::string(accept));

    std::string authorization;
    // True when `authorization` was just made from the credentials or a fresh
    // token: if the registry refuses it, asking again cannot help.
    bool authorization_is_fresh = false;
    bool authorization_from_cache = false;
    if (credentials != nullptr && !credentials->registry_token.empty()) {
      authorization = internal::Cat("Bearer ", credentials->registry_token);
      authorization_is_fresh = true;
    } else if (std::optional<std::string> token = tokens_.Get(cache_key, Clock::now())) {
      authorization = internal::Cat("Bearer ", *token);
      authorization_from_cache = true;
    }

    for (int attempt = 0; attempt < kMaxAuthAttempts; ++attempt) {
      HttpRequest attempt_request = request;
      if (!authorization.empty()) attempt_request.headers.emplace_back("Authorization", authorization);
      absl::StatusOr<HttpResponse> response = transport_->Send(attempt_request);
      if (!response.ok()) return op.TransportError(response.status());
      if (response->status == 200) return response;
      if (response->status != 401 || authorization_is_fresh) return StatusError(op, *response);
      if (authorization_from_cache) tokens_.Erase(cache_key);

      absl::StatusOr<std::string> next = Authorize(*response, scope, cache_key, credentials, plain_http, context, op);
      if (!next.ok()) return next.status();
      authorization = *std::move(next);
      authorization_is_fresh = true;
      authorization_from_cache = false;
    }
    return op.Error(absl::StatusCode::kUnauthenticated, "too many authentication attempts");
  }

  // The Authorization value answering the 401 `response`.
  absl::StatusOr<std::string> Authorize(const HttpResponse& response, const std::string& scope,
                                        const std::string& cache_key, const Credentials* credentials, bool plain_http,
                                        const PullContext& context, const Operation& op) {
    std::optional<Challenge> bearer, basic;
    auto [begin, end] = response.headers.equal_range("www-authenticate");
    for (auto it = begin; it != end; ++it) {
      absl::StatusOr<std::vector<Challenge>> challenges = ParseWwwAuthenticate(it->second);
      if (!challenges.ok()) return op.Error(absl::StatusCode::kUnauthenticated, internal::Cat(challenges.status().message()));
      for (Challenge& challenge : *challenges) {
        if (challenge.scheme == "bearer" && !bearer) bearer = std::move(challenge);
        if (challenge.scheme == "basic" && !basic) basic = std::move(challenge);
      }
    }
    if (bearer) {
      absl::StatusOr<BearerToken> token =
          FetchBearerToken(*transport_, *bearer, scope, credentials, plain_http, context.deadline);
      if (!token.ok()) {
        if (token.status().code() == absl::StatusCode::kUnavailable ||
            token.status().code() == absl::StatusCode::kDeadlineExceeded) {
          return op.TransportError(token.status());
        }
        return op.Error(token.status().code(), internal::Cat(token.status().message()));
      }
      const Clock::time_point now = Clock::now();
      const auto lifetime = token->lifetime > 2 * kTokenExpiryMargin ? token->lifetime - kTokenExpiryMargin
                                                                     : token->lifetime;
      tokens_.Put(cache_key, token->token, now + lifetime, now);
      return internal::Cat("Bearer ", token->token);
    }
    if (basic) {
      if (credentials == nullptr || credentials->username.empty()) {
        return op.Error(absl::StatusCode::kUnauthenticated, "registry asks for Basic auth and no credentials are known");
      }
      if (!plain_http && !response.url.starts_with("https://")) {
        return op.Error(absl::StatusCode::kUnauthenticated, "Basic auth over plain HTTP refused");
      }
      return internal::Cat("Basic ",
                          crypto::Base64Encode(internal::Cat(credentials->username, ":", credentials->password)));
    }
    return op.Error(absl::StatusCode::kUnauthenticated, "HTTP 401 without a supported challenge (Bearer or Basic)");
  }

  const RegistryOptions options_;
  const std::unique_ptr<HttpTransport> transport_;
  TokenCache tokens_;
};

}  // namespace

std::unique_ptr<RegistryClient> NewRegistryClient(RegistryOptions options, std::unique_ptr<HttpTransport> transport) {
  return std::make_unique<HttpRegistryClient>(std::move(options), std::move(transport));
}

}  // namespace pullsentry::registry
