// `pullsentry verify IMAGE --policy FILE`: the daemon's verification, run for
// a person or a script, without a runtime.
#ifndef PULLSENTRY_PLUGIN_CLI_VERIFY_COMMAND_H_
#define PULLSENTRY_PLUGIN_CLI_VERIFY_COMMAND_H_

#include <string>
#include <vector>

namespace pullsentry::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitAdmitted = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

int RunVerify(const std::vector<std::string>& args);

}  // namespace pullsentry::cli

#endif  // PULLSENTRY_PLUGIN_CLI_VERIFY_COMMAND_H_
