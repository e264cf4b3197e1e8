// The daemon's control socket: a root-only unix stream socket answering
// newline-delimited JSON requests (control_protocol.h) for `pullsentry
// status|cache`, and `verify` for the containerd verifier hook.
//
// The server knows nothing of policies, caches or verifiers: the daemon
// hands it a ControlHandlers of callbacks, so each part stays testable alone.
// It runs its own accept thread and one short-lived thread per connection
// (at most kMaxConnections at once).
#ifndef PULLSENTRY_PLUGIN_CONTROL_CONTROL_SERVER_H_
#define PULLSENTRY_PLUGIN_CONTROL_CONTROL_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "plugin/control/control_protocol.h"

namespace pullsentry::control {

// What the daemon answers with. An unset callback answers "<op> not
// available" (e.g. "cache not enabled" when the daemon runs without a cache).
// Callbacks run on connection threads, concurrently: they must be thread-safe.
struct ControlHandlers {
  std::function<StatusReport()> status;
  // A JSON array describing the cached verdicts.
  std::function<absl::StatusOr<nlohmann::json>()> cache_list;
  // Empties the cache; returns how many entries were dropped.
  std::function<absl::StatusOr<uint64_t>()> cache_flush;
  // Decides one image by digest. An error is a failure to decide, which the
  // caller must treat as a refusal.
  std::function<absl::StatusOr<VerifyAnswer>(const VerifyQuery&)> verify;
};

// Answers one request line with one response line (neither with '\n').
// Never throws; anything malformed gets {"ok":false,"error":…}.
std::string HandleRequestLine(const ControlHandlers& handlers, std::string_view line);

struct ControlServerOptions {
  std::string socket_path = kDefaultControlSocket;
  // Peers allowed besides root (uid 0): the daemon's own uid when it does
  // not run as root, so tests need no root. Everyone else is turned away.
  uid_t allowed_uid = 0;
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
  // Where to report refused peers and broken connections; may be empty.
  std::function<void(std::string_view)> log_warning;
};

class ControlServer {
 public:
  // Creates the socket (mode 0600, its directory if missing) and starts
  // serving. FailedPrecondition when another process already answers on the
  // path; a stale socket file is replaced, anything else there is an error.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(ControlServerOptions options,
                                                              ControlHandlers handlers);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Stops accepting, asks connections to end, waits up to `grace` for
  // requests in progress, and removes the socket file. Idempotent. The
  // default outlasts a `verify` (8 s), so handlers are done when it returns.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  const std::string& socket_path() const { return options_.socket_path; }

  struct Shared;  // internal: what the connection threads share

 private:
  ControlServer(ControlServerOptions options, std::shared_ptr<Shared> shared);
  static void AcceptLoop(std::shared_ptr<Shared> shared);

  ControlServerOptions options_;
  std::shared_ptr<Shared> shared_;
  std::thread accept_thread_;
  bool stopped_ = false;
};

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_CONTROL_SERVER_H_
