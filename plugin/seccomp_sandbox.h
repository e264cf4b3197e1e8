// Self-sandboxing: once start-up is done (policy loaded, sockets listening,
// long-lived threads started), pullsentryd confines itself to the system
// calls it needs with a libseccomp allow-list filter.
//
// pullsentryd runs as root on every node and parses bytes from registries;
// if a parser bug ever hands an attacker control, the filter keeps them from
// running programs, loading kernel code, entering namespaces, tracing other
// processes or mounting anything.
//
// Anything not on the list fails with EPERM rather than killing the process
// (see kDeniedErrno in the .cc for why). The calls in ForbiddenSyscalls() are
// never on the list; a test holds the list to that.
#ifndef PULLSENTRY_PLUGIN_SECCOMP_SANDBOX_H_
#define PULLSENTRY_PLUGIN_SECCOMP_SANDBOX_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::plugin {

// What an installed filter covers.
struct SandboxReport {
  size_t allowed = 0;                // system calls with an allow rule
  std::vector<std::string> skipped;  // names this architecture does not have
};

// The system calls the daemon may make (libseccomp names; a few carry
// argument conditions, applied by InstallSeccompSandbox).
const std::vector<std::string_view>& AllowedSyscalls();

// The calls that must stay refused whatever else is added to the list.
const std::vector<std::string_view>& ForbiddenSyscalls();

// Sets PR_SET_NO_NEW_PRIVS and loads the filter for every thread of the
// process (TSYNC). Irreversible. Errors name the step that failed; the
// caller decides whether to carry on unconfined (it should not).
absl::StatusOr<SandboxReport> InstallSeccompSandbox();

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_SECCOMP_SANDBOX_H_
