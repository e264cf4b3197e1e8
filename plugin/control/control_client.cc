#include "plugin/control/control_client.h"

#include "absl/status/status.h"

namespace pullsentry::control {

absl::StatusOr<nlohmann::json> CallControl(const std::string& socket_path, const ControlRequest& request,
                                           Deadline deadline) {
  absl::StatusOr<UniqueFd> fd = ConnectUnix(socket_path);
  if (!fd.ok()) return fd.status();
  absl::Status sent = WriteAll(fd->get(), SerializeRequest(request) + "\n", deadline);
  // A daemon that turns us away answers at once and closes, which can break
  // our send; its answer is still there to read.
  std::string buffer;
  absl::StatusOr<std::string> line = ReadLine(fd->get(), &buffer, kMaxResponseBytes, deadline);
  if (!sent.ok() && !line.ok())
    return absl::Status(sent.code(), "send to " + socket_path + ": " + std::string(sent.message()));
  if (!line.ok()) {
    if (absl::IsOutOfRange(line.status()))
      return absl::UnavailableError("the daemon at " + socket_path + " closed the connection without answering");
    return absl::Status(line.status().code(), "answer from " + socket_path + ": " + std::string(line.status().message()));
  }
  return ParseResponse(*line);
}

absl::StatusOr<StatusReport> QueryStatus(const std::string& socket_path, Deadline deadline) {
  absl::StatusOr<nlohmann::json> body = CallControl(socket_path, ControlRequest{Operation::kStatus, {}}, deadline);
  if (!body.ok()) return body.status();
  if (!body->contains("status")) return absl::InvalidArgumentError("status answer lacks \"status\"");
  return StatusFromJson((*body)["status"]);
}

absl::StatusOr<VerifyAnswer> QueryVerify(const std::string& socket_path, const VerifyQuery& query,
                                         Deadline deadline) {
  absl::StatusOr<nlohmann::json> body = CallControl(socket_path, ControlRequest{Operation::kVerify, query}, deadline);
  if (!body.ok()) return body.status();
  return VerifyAnswerFromJson(*body);
}

}  // namespace pullsentry::control
