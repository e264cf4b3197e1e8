// `pullsentry status [--control-socket PATH] [--json]`: what the running
// daemon enforces (policy and trust hash), for how long, and what it decided.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plugin/cli/control_commands.h"
#include "plugin/cli/verify_command.h"
#include "plugin/control/control_client.h"

namespace pullsentry::cli {
namespace {

constexpr char kStatusUsage[] = R"(Usage: pullsentry status [--control-socket PATH] [--json]

Asks the running pullsentryd (as root) for its version, the policy and trust
hash in force, uptime, cache size and decision counters.

  --control-socket PATH  the daemon's control socket (default /run/pullsentry/control.sock)
  --json                 the daemon's answer as JSON
Exit status: 0 answered, 1 no answer, 2 usage error.
)";

std::string Duration(int64_t seconds) {
  std::string out;
  if (seconds >= 86400) out += std::to_string(seconds / 86400) + "d ";
  if (seconds >= 3600) out += std::to_string(seconds % 86400 / 3600) + "h ";
  if (seconds >= 60) out += std::to_string(seconds % 3600 / 60) + "m ";
  return out + std::to_string(seconds % 60) + "s";
}

}  // namespace

std::string ControlFailure(const std::string& socket_path, const std::string& code_name, const std::string& message) {
  if (code_name == "PERMISSION_DENIED")
    return "the control socket " + socket_path + " is root-only; run as root (" + message + ")";
  if (code_name == "UNAVAILABLE")
    return "pullsentryd does not answer on " + socket_path + " (is it running? is --control-socket right?): " + message;
  return message;
}

int RunStatus(const std::vector<std::string>& args) {
  std::string socket = control::kDefaultControlSocket;
  bool as_json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kStatusUsage;
      return 0;
    } else if (args[i] == "--json") {
      as_json = true;
    } else if (args[i] == "--control-socket" && i + 1 < args.size()) {
      socket = args[++i];
    } else if (args[i].starts_with("--control-socket=")) {
      socket = args[i].substr(17);
    } else {
      std::cerr << "pullsentry status: unexpected argument \"" << args[i] << "\"\n" << kStatusUsage;
      return kExitUsage;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  absl::StatusOr<nlohmann::json> body =
      control::CallControl(socket, control::ControlRequest{control::Operation::kStatus, {}}, deadline);
  absl::StatusOr<control::StatusReport> status =
      body.ok() ? control::StatusFromJson(body->value("status", nlohmann::json())) : body.status();
  if (!status.ok()) {
    std::cerr << "pullsentry status: "
              << ControlFailure(socket, absl::StatusCodeToString(status.status().code()),
                                std::string(status.status().message()))
              << "\n";
    return kExitRefused;
  }
  if (as_json) {
    std::cout << (*body)["status"].dump(2) << "\n";
    return 0;
  }
  std::cout << "pullsentryd " << status->version << ", up " << Duration(status->uptime_seconds) << "\n"
            << "  serving      " << status->listen << "\n"
            << "  policy       " << status->policy_path << " (" << status->policy_format << ")\n"
            << "  policy hash  " << status->policy_hash << "  (policy and trust material)\n"
            << "  trust store  " << status->trust_store
            << (status->trust_hash.empty() ? std::string(" (not loaded by this policy)") : ", hash " + status->trust_hash)
            << "\n"
            << "  cache        "
            << (status->cache_entries ? std::to_string(*status->cache_entries) + " verdicts" : std::string("not enabled"))
            << "\n";
  for (const auto& [name, value] : status->counters) std::cout << "  " << name << " " << value << "\n";
  return 0;
}

}  // namespace pullsentry::cli
