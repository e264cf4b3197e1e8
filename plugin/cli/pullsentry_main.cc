// pullsentry: the command-line face of the verifier. A dispatch table of
// subcommands, each in its own file.
#include <iostream>
#include <string>
#include <vector>

#include "plugin/cli/control_commands.h"
#include "plugin/cli/policy_command.h"
#include "plugin/cli/verify_command.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Command kCommands[] = {
    {"verify", "verify an image against a policy, as pullsentryd would for a pull",
     pullsentry::cli::RunVerify},
    {"policy", "lint a policy file, or explain which scope and requirements apply to an image",
     pullsentry::cli::RunPolicy},
    {"status", "what the running daemon enforces: policy and trust hash, uptime, cache, counters",
     pullsentry::cli::RunStatus},
    {"cache", "list or flush the running daemon's verdict cache", pullsentry::cli::RunCache},
    {"doctor", "check each link from kubelet to the daemon and name the one that breaks enforcement",
     pullsentry::cli::RunDoctor},
};

int Usage(std::ostream& out) {
  out << "Usage: pullsentry COMMAND [args]\n\nCommands:\n";
  for (const Command& command : kCommands) out << "  " << command.name << "  " << command.summary << "\n";
  out << "\nRun 'pullsentry COMMAND --help' for a command's flags.\n";
  return pullsentry::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(std::cerr);
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return 0;
  }
  if (name == "--version") {
    std::cout << "pullsentry " << PULLSENTRY_VERSION << "\n";
    return 0;
  }
  for (const Command& command : kCommands) {
    if (name == command.name) return command.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::cerr << "pullsentry: unknown command \"" << name << "\"\n";
  return Usage(std::cerr);
}
