// Asks the daemon's own gRPC server, over its real socket, whether it
// answers: the standard grpc.health.v1.Health/Check, served by gRPC's default
// health service on the same threads as the CRI calls. A connection the
// kernel accepts is not enough (the backlog accepts while the server is
// wedged); a reply is.
#ifndef PULLSENTRY_PLUGIN_SERVER_HEALTH_PROBE_H_
#define PULLSENTRY_PLUGIN_SERVER_HEALTH_PROBE_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace pullsentry::plugin {

// Call before building the server the probe is meant for: turns on gRPC's
// default health service (process-wide), which reports SERVING for "".
void EnableServerHealthService();

class ServerHealthProbe {
 public:
  // `endpoint` as given to --listen, e.g. "unix:///run/pullsentry/cri.sock".
  ServerHealthProbe(const std::string& endpoint, std::chrono::milliseconds timeout);

  // OK when the server replied SERVING within the timeout; otherwise the
  // reason (unreachable, deadline exceeded, NOT_SERVING).
  absl::Status Check();

 private:
  const std::string endpoint_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_SERVER_HEALTH_PROBE_H_
