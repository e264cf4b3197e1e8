// `pullsentry policy import FILE [--output FILE]`: converts a
// containers-policy.json(5) or a Notation trustpolicy.json /
// trustpolicy.oci.json — recognised by content — to the native policy format
// (trust/native_policy.md), written to stdout or to --output.
//
// Exit 0 converted (warnings, if any, on stderr), 1 FILE is not a valid
// policy of either format or has something the native format cannot say the
// same way (the error on stderr), 2 usage error or FILE unreadable.
#ifndef PULLSENTRY_PLUGIN_CLI_POLICY_IMPORT_COMMAND_H_
#define PULLSENTRY_PLUGIN_CLI_POLICY_IMPORT_COMMAND_H_

#include <string>
#include <vector>

namespace pullsentry::cli {

// `args` follows "import".
int RunPolicyImport(const std::vector<std::string>& args);

}  // namespace pullsentry::cli

#endif  // PULLSENTRY_PLUGIN_CLI_POLICY_IMPORT_COMMAND_H_
