// `pullsentry policy lint|explain`: the operator's view of a policy, in
// pullsentry's own format (a top-level "version" member; trust/native_policy.md)
// or containers-policy.json(5), recognised from the content.
//
//   lint FILE [--strict] [--output text|json] [--trust-store DIR] [--now TIME]
//     Every problem in FILE, each as `FILE:LINE:COL: error|warning: POINTER:
//     message`. Exit 0 when the policy loads (warnings are printed but do
//     not fail, unless --strict), 1 when it has errors (the daemon would
//     refuse to start with it) or --strict and warnings, 2 on a usage error
//     or an unreadable FILE. --now replaces the wall clock for break-glass
//     expiry warnings; it is the only place the CLI reads the clock for lint.
//   explain IMAGE --policy FILE [--namespace NS] [--digest D] [--verify] [flags]
//     Which scope matched and why, which requirements apply, with which keys;
//     native format: namespace override, mode, requirement tree, verifiers
//     and break-glass status; with --verify, the verdict and every check. Exit 0 (without --verify, or
//     admitted), 1 refused or undecided, 2 usage or policy load error.
#ifndef PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_
#define PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_

#include <string>
#include <vector>

namespace pullsentry::cli {

int RunPolicy(const std::vector<std::string>& args);

}  // namespace pullsentry::cli

#endif  // PULLSENTRY_PLUGIN_CLI_POLICY_COMMAND_H_
