// pullsentry-containerd-verifier: an executable for containerd's image
// verifier plugin directory (containerd >= 2.1, pkg/imageverifier/bindir).
// containerd runs it after resolving a reference and before fetching
// anything, as
//
//   <bin> -name <ref> -digest <digest> -stdin-media-type application/vnd.oci.descriptor.v1+json
//
// with the OCI descriptor of the resolved object on stdin. Exit 0 allows the
// pull, anything else blocks it; stdout is the reason (containerd keeps the
// first 32 KiB). The decision is the running daemon's, asked over the control
// socket, so the hook shares its policy and cache; no answer means no.
#ifndef PULLSENTRY_PLUGIN_CONTROL_CONTAINERD_VERIFIER_H_
#define PULLSENTRY_PLUGIN_CONTROL_CONTAINERD_VERIFIER_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/control/unix_socket.h"

namespace pullsentry::control {

inline constexpr char kDescriptorMediaType[] = "application/vnd.oci.descriptor.v1+json";
inline constexpr size_t kMaxDescriptorBytes = 64 * 1024;  // a descriptor is a few hundred bytes
inline constexpr size_t kMaxReasonBytes = 32 * 1024;      // what containerd keeps of stdout
// containerd kills a verifier after 10 s by default: answer well before.
inline constexpr std::chrono::seconds kHookTimeout{8};
// Overrides the control socket's path in containerd's environment.
inline constexpr char kControlSocketEnv[] = "PULLSENTRY_CONTROL_SOCKET";

inline constexpr int kHookAllow = 0;
inline constexpr int kHookBlock = 1;
inline constexpr int kHookUsage = 2;  // also blocks: containerd allows only 0

struct HookArgs {
  std::string name;
  std::string digest;
  std::string stdin_media_type;
};

// Parses the arguments as Go's flag package does for containerd's call:
// "-name X", "--name X" and "-name=X". InvalidArgument for anything else.
absl::StatusOr<HookArgs> ParseHookArgs(const std::vector<std::string>& args);

// Checks the descriptor on stdin: a JSON OCI descriptor (mediaType, digest,
// size) whose digest is the one named by -digest. InvalidArgument otherwise.
absl::Status CheckDescriptor(std::string_view stdin_bytes, const HookArgs& args);

struct HookOutcome {
  int exit_code = kHookBlock;
  std::string reason;  // one line for stdout, at most kMaxReasonBytes
};

// The whole hook after reading stdin: arguments, descriptor, the daemon's
// verdict. Anything short of the daemon's explicit admission blocks.
HookOutcome RunContainerdVerifier(const std::vector<std::string>& args, std::string_view stdin_bytes,
                                  const std::string& control_socket, Deadline deadline);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_CONTAINERD_VERIFIER_H_
