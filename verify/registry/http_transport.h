// The HTTP seam under the registry client. Abstract so the client can be
// tested without a network and so the one place that talks to libcurl stays
// small (curl_transport.h).
#ifndef PULLSENTRY_VERIFY_REGISTRY_HTTP_TRANSPORT_H_
#define PULLSENTRY_VERIFY_REGISTRY_HTTP_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::registry {

struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;             // absolute http:// or https:// URL
  // Sent as given. "Authorization" is special: it is dropped when a redirect
  // leads to another origin (scheme, host or port).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POST body; ignored for GET
  // The response body may not exceed this; the transfer is aborted beyond it.
  size_t max_body_bytes = 0;
  // Absolute deadline; the transfer is aborted when it passes.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool follow_redirects = false;
};

struct HttpResponse {
  long status = 0;
  // Header names lower-cased; a header sent several times has several entries.
  std::multimap<std::string, std::string> headers;
  std::string body;
  // The URL that produced this response (differs from the request's after redirects).
  std::string url;

  // The first value of header `name` (lower-case), if any.
  std::optional<std::string_view> Header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

// Any HTTP status, including 4xx and 5xx, is a response, not an error.
// Errors, with the transport's own one-line message (never credentials):
//   Unavailable        connection, DNS or TLS failure
//   DeadlineExceeded   the deadline or a configured timeout passed
//   ResourceExhausted  the body exceeded max_body_bytes, or headers were too large
//   InvalidArgument    a malformed request (e.g. a header value holding CR,
//                      LF or NUL), or a redirect that may not be
//                      followed (too many, bad scheme, https -> http downgrade)
// Implementations are safe to call from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_HTTP_TRANSPORT_H_
