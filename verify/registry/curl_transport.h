// HttpTransport over libcurl (easy interface, one handle per transfer).
#ifndef PULLSENTRY_VERIFY_REGISTRY_CURL_TRANSPORT_H_
#define PULLSENTRY_VERIFY_REGISTRY_CURL_TRANSPORT_H_

#include <chrono>
#include <memory>

#include "verify/registry/http_transport.h"

namespace pullsentry::registry {

struct CurlTransportOptions {
  // Each is further capped by the time left to the request's deadline.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  // Redirect hops followed when a request asks for it.
  int max_redirects = 5;
  // CA bundle used instead of the system CAs; empty for the system's.
  std::string ca_file;
};

// What the transport always does, whatever the request:
//  - only http and https, also for redirects; HTTPS verifies peer and host
//    against the system CAs or ca_file (no switch to turn that off);
//  - redirects are followed here, hop by hop, not by libcurl, so that the
//    Authorization header is dropped for good once a hop changes origin and
//    an https -> http downgrade is refused;
//  - no automatic decompression (no Accept-Encoding), so a small gzip body
//    cannot expand past max_body_bytes;
//  - CURLOPT_NOSIGNAL, so timeouts work in a multithreaded daemon.
// Thread-safe: each Send uses its own curl handle.
std::unique_ptr<HttpTransport> NewCurlTransport(CurlTransportOptions options);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_CURL_TRANSPORT_H_
