#include "verify/registry/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "verify/registry/curl_ptr.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"

#ifndef PULLSENTRY_VERSION
#define PULLSENTRY_VERSION "dev"
#endif

namespace pullsentry::registry {
namespace {

using Clock = std::chrono::steady_clock;

// scheme, host and port: what a browser calls an origin. Credentials stay
// within one.
struct Origin {
  std::string scheme;
  std::string host;
  std::string port;
  friend bool operator==(const Origin&, const Origin&) = default;
};

absl::StatusOr<Origin> ParseOrigin(const std::string& url) {
  CurlUrlPtr u(curl_url());
  if (!u) return absl::ResourceExhaustedError("out of memory");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("malformed URL");
  }
  auto part = [&](CURLUPart which, unsigned flags) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(u.get(), which, &raw, flags) != CURLUE_OK) return "";
    CurlStringPtr owned(raw);
    return owned ? std::string(owned.get()) : "";
  };
  Origin origin{internal::ToLower(part(CURLUPART_SCHEME, 0)), internal::ToLower(part(CURLUPART_HOST, 0)),
                part(CURLUPART_PORT, CURLU_DEFAULT_PORT)};
  if (origin.scheme != "http" && origin.scheme != "https") {
    return absl::InvalidArgumentError(internal::Cat("unsupported URL scheme \"", origin.scheme, "\""));
  }
  if (origin.host.empty()) return absl::InvalidArgumentError("URL without host");
  return origin;
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  size_t max_body_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
  size_t header_bytes = 0;
  HttpResponse response;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  // Enforced while receiving: a hostile registry cannot make us buffer more.
  if (n > t->max_body_bytes - std::min(t->max_body_bytes, t->response.body.size())) {
    t->body_too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response starts (e.g. after 100 Continue): keep only its headers.
    t->response.headers.clear();
    t->header_bytes = 0;
  }
  t->header_bytes += n;
  if (t->header_bytes > kMaxResponseHeaderBytes) {
    t->headers_too_large = true;
    return 0;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;
  std::string name = internal::ToLower(internal::Trim(line.substr(0, colon)));
  std::string value(internal::Trim(line.substr(colon + 1)));
  t->response.headers.emplace(std::move(name), std::move(value));
  return n;
}

long ClampMillis(std::chrono::milliseconds configured, Clock::time_point deadline) {
  auto limit = configured;
  if (deadline != Clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    limit = std::min(limit, left);
  }
  // 0 would mean "no timeout" to libcurl.
  return std::max<long>(1, static_cast<long>(limit.count()));
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(options) {}

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    std::string url = request.url;
    absl::StatusOr<Origin> origin = ParseOrigin(url);
    if (!origin.ok()) return origin.status();
    bool send_authorization = true;
    for (int hop = 0;; ++hop) {
      absl::StatusOr<HttpResponse> response = SendOnce(request, url, send_authorization);
      if (!response.ok() || !request.follow_redirects || !IsRedirect(response->status)) return response;
      if (hop >= options_.max_redirects) {
        return absl::InvalidArgumentError(internal::Cat("more than ", options_.max_redirects, " redirects"));
      }
      std::optional<std::string_view> location = response->Header("location");
      if (!location || location->empty()) return absl::InvalidArgumentError("redirect without Location");
      absl::StatusOr<std::string> next = ResolveRedirect(url, *location);
      if (!next.ok()) return next.status();
      absl::StatusOr<Origin> next_origin = ParseOrigin(*next);
      if (!next_origin.ok()) {
        return absl::InvalidArgumentError(internal::Cat("redirect refused: ", next_origin.status().message()));
      }
      if (origin->scheme == "https" && next_origin->scheme != "https") {
        return absl::InvalidArgumentError("redirect from https to http refused");
      }
      // Blob downloads commonly redirect to object storage, which must not
      // see the registry credentials. Sticky: once dropped, never re-sent.
      if (!(*next_origin == *origin)) send_authorization = false;
      url = *std::move(next);
      origin = *std::move(next_origin);
    }
  }

 private:
  static absl::StatusOr<std::string> ResolveRedirect(const std::string& base, std::string_view location) {
    CurlUrlPtr u(curl_url());
    if (!u) return absl::ResourceExhaustedError("out of memory");
    std::string loc(location);
    if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
        curl_url_set(u.get(), CURLUPART_URL, loc.c_str(), 0) != CURLUE_OK) {
      return absl::InvalidArgumentError("malformed redirect Location");
    }
    char* raw = nullptr;
    if (curl_url_get(u.get(), CURLUPART_URL, &raw, 0) != CURLUE_OK) {
      return absl::InvalidArgumentError("malformed redirect Location");
    }
    CurlStringPtr owned(raw);
    return std::string(owned.get());
  }

  absl::StatusOr<HttpResponse> SendOnce(const HttpRequest& request, const std::string& url,
                                        bool send_authorization) const {
    if (Clock::now() >= request.deadline) return absl::DeadlineExceededError("deadline passed");
    CurlPtr curl(curl_easy_init());
    if (!curl) return absl::ResourceExhaustedError("curl_easy_init failed");
    CURL* h = curl.get();

    CurlSlistPtr headers;
    for (const auto& [name, value] : request.headers) {
      if (!send_authorization && internal::EqualsIgnoreCase(name, "authorization")) continue;
      // A CR or LF would let a value (say, a caller-supplied token) add headers.
      if (name.find_first_of(":\r\n", 0) != std::string::npos || value.find_first_of("\r\n") != std::string::npos ||
          name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
        return absl::InvalidArgumentError("header with a line break or NUL refused");
      }
      std::string line = internal::Cat(name, ": ", value);
      curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
      if (appended == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
      headers.release();  // now owned by `appended`, which heads the same list
      headers.reset(appended);
    }

    Transfer transfer;
    transfer.max_body_bytes = request.max_body_bytes;
    char errbuf[CURL_ERROR_SIZE] = {0};

    bool ok = true;
    auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
    set(curl_easy_setopt(h, CURLOPT_URL, url.c_str()));
    set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));  // see Send
    set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!options_.ca_file.empty()) set(curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str()));
    set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ClampMillis(options_.connect_timeout, request.deadline)));
    set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ClampMillis(options_.request_timeout, request.deadline)));
    set(curl_easy_setopt(h, CURLOPT_USERAGENT, "pullsentry/" PULLSENTRY_VERSION));
    set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf));
    set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody));
    set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer));
    set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader));
    set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer));
    // Refuses at once a body whose Content-Length is over the cap; OnBody
    // enforces it for chunked or lying responses.
    set(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body_bytes)));
    if (headers) set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
    if (request.method == "POST") {
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, request.body.c_str()));
    } else if (request.method != "GET") {
      return absl::InvalidArgumentError(internal::Cat("unsupported HTTP method ", request.method));
    }
    if (!ok) return absl::InternalError("curl_easy_setopt failed (libcurl too old?)");

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      if (transfer.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        return absl::ResourceExhaustedError(internal::Cat("response body exceeds ", request.max_body_bytes, " bytes"));
      }
      if (transfer.headers_too_large) {
        return absl::ResourceExhaustedError(internal::Cat("response headers exceed ", kMaxResponseHeaderBytes, " bytes"));
      }
      std::string message = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
      switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
          return absl::DeadlineExceededError(message);
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
          return absl::InvalidArgumentError(message);
        default:
          return absl::UnavailableError(message);
      }
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = status;
    transfer.response.url = url;
    return std::move(transfer.response);
  }

  const CurlTransportOptions options_;
};

}  // namespace

std::unique_ptr<HttpTransport> NewCurlTransport(CurlTransportOptions options) {
  // curl_global_init is not thread-safe in every libcurl build; do it once.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlTransport>(options);
}

}  // namespace pullsentry::registry
