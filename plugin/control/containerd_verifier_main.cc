// pullsentry-containerd-verifier: wiring only (containerd_verifier.h).
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "plugin/control/containerd_verifier.h"
#include "plugin/control/control_protocol.h"

namespace {

// Reads stdin to its end, at most one byte past the limit (so an oversized
// descriptor is recognised), giving up at the deadline.
std::string ReadStdin(pullsentry::control::Deadline deadline, bool* timed_out) {
  std::string data;
  char chunk[4096];
  while (data.size() <= pullsentry::control::kMaxDescriptorBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      *timed_out = true;
      break;
    }
    pollfd pfd = {STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(chunk, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pullsentry::control;
  const auto deadline = std::chrono::steady_clock::now() + kHookTimeout;
  const char* socket_env = std::getenv(kControlSocketEnv);
  std::string socket = socket_env != nullptr && *socket_env != '\0' ? socket_env : kDefaultControlSocket;

  bool timed_out = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "--version")) {
    if (args[0] == "--version") {
      std::cout << "pullsentry-containerd-verifier " << PULLSENTRY_VERSION << "\n";
    } else {
      std::cout << "Usage: pullsentry-containerd-verifier -name REF -digest DIGEST -stdin-media-type "
                << kDescriptorMediaType << " < descriptor.json\n"
                << "Run by containerd's image verifier plugin; asks pullsentryd over " << socket << "\n"
                << "(override with $" << kControlSocketEnv << "). Exit 0 allows, anything else blocks.\n";
    }
    return 0;
  }
  std::string input = ReadStdin(deadline, &timed_out);
  HookOutcome outcome;
  if (timed_out) {
    outcome = {kHookBlock, "pullsentry: blocked: no descriptor on stdin in time"};
  } else {
    outcome = RunContainerdVerifier(args, input, socket, deadline);
  }
  std::cout << outcome.reason << "\n";
  std::cout.flush();
  if (outcome.exit_code != kHookAllow) std::cerr << outcome.reason << "\n";
  return outcome.exit_code;
}
