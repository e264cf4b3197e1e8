// `pullsentry policy lint|explain`: the operator's view of a
// containers-policy.json(5) policy.
//
//   lint FILE [--strict] [--output text|json]
//     Every problem in FILE, each as `FILE:LINE:COL: error|warning: POINTER:
//     message`. Exit 0 when the policy loads (warnings are printed but do
//     not fail, unless --strict), 1 when it has errors (the daemon would
//     refuse to start with it) or --strict and warnings, 2 on a usage error
//     or an unreadable FILE.
//   explain IMAGE --policy FILE [--namespace NS] [--verify] [flags]
//     Which scope matched and why, which requirements apply, with which keys;
//     with --verify, the verdict and every check. Exit 0 (without --verify,
//     or admitted), 1 refused or undecided, 2 usage or policy load error.
#ifndef PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_
#define PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_

#include <string>
#include <vector>

namespace pullsentry::cli {

int RunPolicy(const std::vector<std::string>& args);

}  // namespace pullsentry::cli

#endif  // PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_
