// `pullsentry cache list|flush [--control-socket PATH] [--json]`: the running
// daemon's verdict cache.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plugin/cli/control_commands.h"
#include "plugin/cli/verify_command.h"
#include "plugin/control/control_client.h"

namespace pullsentry::cli {
namespace {

constexpr char kCacheUsage[] = R"(Usage: pullsentry cache list [--json] [--control-socket PATH]
       pullsentry cache flush [--control-socket PATH]

list shows the running pullsentryd's cached verdicts (digest, verdict, expiry);
flush empties the cache, so every next pull is verified afresh. Needs root.
Exit status: 0 done, 1 no answer or no cache, 2 usage error.
)";

std::string Field(const nlohmann::json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

int RunCache(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? std::cerr : std::cout) << kCacheUsage;
    return args.empty() ? kExitUsage : 0;
  }
  const std::string& action = args[0];
  if (action != "list" && action != "flush") {
    std::cerr << "pullsentry cache: unknown action \"" << action << "\"\n" << kCacheUsage;
    return kExitUsage;
  }
  std::string socket = control::kDefaultControlSocket;
  bool as_json = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--json" && action == "list") {
      as_json = true;
    } else if (args[i] == "--control-socket" && i + 1 < args.size()) {
      socket = args[++i];
    } else if (args[i].starts_with("--control-socket=")) {
      socket = args[i].substr(17);
    } else {
      std::cerr << "pullsentry cache: unexpected argument \"" << args[i] << "\"\n" << kCacheUsage;
      return kExitUsage;
    }
  }
  control::Operation op = action == "list" ? control::Operation::kCacheList : control::Operation::kCacheFlush;
  absl::StatusOr<nlohmann::json> body =
      control::CallControl(socket, control::ControlRequest{op, {}}, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (!body.ok()) {
    std::cerr << "pullsentry cache " << action << ": "
              << ControlFailure(socket, absl::StatusCodeToString(body.status().code()), std::string(body.status().message()))
              << "\n";
    return kExitRefused;
  }
  if (op == control::Operation::kCacheFlush) {
    std::cout << "flushed " << body->value("flushed", 0) << " cached verdicts\n";
    return 0;
  }
  const nlohmann::json entries = body->value("entries", nlohmann::json::array());
  if (as_json) {
    std::cout << entries.dump(2) << "\n";
    return 0;
  }
  for (const nlohmann::json& entry : entries) {
    bool admitted = entry.value("admitted", false);
    std::cout << (admitted ? "admitted " : "refused  ") << Field(entry, "digest") << "  " << Field(entry, "reference");
    if (std::string ns = Field(entry, "namespace"); ns != "-" && !ns.empty()) std::cout << "  ns=" << ns;
    std::cout << "  expires " << Field(entry, "expires") << "\n    " << Field(entry, "reason") << "\n";
  }
  std::cout << entries.size() << " cached verdict" << (entries.size() == 1 ? "" : "s") << "\n";
  return 0;
}

}  // namespace pullsentry::cli
