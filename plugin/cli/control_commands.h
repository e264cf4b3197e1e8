// The subcommands that talk to the running daemon over its control socket:
// `pullsentry status`, `pullsentry cache list|flush`, `pullsentry doctor`.
// Each lives in its own file; all need root (the socket is root-only).
#ifndef PULLSENTRY_PLUGIN_CLI_CONTROL_COMMANDS_H_
#define PULLSENTRY_PLUGIN_CLI_CONTROL_COMMANDS_H_

#include <string>
#include <vector>

namespace pullsentry::cli {

int RunStatus(const std::vector<std::string>& args);  // status_command.cc
int RunCache(const std::vector<std::string>& args);   // cache_command.cc
int RunDoctor(const std::vector<std::string>& args);  // doctor_command.cc

// The one-line reason for a failed control call, with the fix when there
// is an obvious one (not running, not root).
std::string ControlFailure(const std::string& socket_path, const std::string& code_name, const std::string& message);

}  // namespace pullsentry::cli

#endif  // PULLSENTRY_PLUGIN_CLI_CONTROL_COMMANDS_H_
