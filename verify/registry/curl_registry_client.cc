// Wiring only: the registry client over the libcurl transport.
#include "verify/registry/curl_transport.h"
#include "verify/registry/http_registry_client.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::registry {

std::unique_ptr<RegistryClient> NewCurlRegistryClient(RegistryOptions options) {
  CurlTransportOptions transport_options;
  transport_options.connect_timeout = options.connect_timeout;
  transport_options.request_timeout = options.request_timeout;
  transport_options.max_redirects = options.max_redirects;
  transport_options.ca_file = options.ca_file;
  return NewRegistryClient(std::move(options), NewCurlTransport(transport_options));
}

}  // namespace pullsentry::registry
