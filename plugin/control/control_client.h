// The client side of the control socket, for the CLI and the containerd
// verifier hook: one request, one answer, all within a deadline.
#ifndef PULLSENTRY_PLUGIN_CONTROL_CONTROL_CLIENT_H_
#define PULLSENTRY_PLUGIN_CONTROL_CONTROL_CLIENT_H_

#include <nlohmann/json.hpp>

#include <string>

#include "absl/status/statusor.h"
#include "plugin/control/control_protocol.h"
#include "plugin/control/unix_socket.h"

namespace pullsentry::control {

// Sends `request` to the daemon at `socket_path` and returns the body of an
// "ok" answer. Errors: Unavailable (nothing listens), PermissionDenied (not
// root), DeadlineExceeded, InvalidArgument (the answer is not the protocol),
// FailedPrecondition carrying the daemon's own error message.
absl::StatusOr<nlohmann::json> CallControl(const std::string& socket_path, const ControlRequest& request,
                                           Deadline deadline);

absl::StatusOr<StatusReport> QueryStatus(const std::string& socket_path, Deadline deadline);
absl::StatusOr<VerifyAnswer> QueryVerify(const std::string& socket_path, const VerifyQuery& query,
                                         Deadline deadline);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_CONTROL_CLIENT_H_
