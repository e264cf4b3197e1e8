// The offline links `pullsentry doctor` checks: the kubelet's configuration,
// containerd's configuration and the trust material's validity dates. Each
// reads files only (no daemon, no network), so each is tested on fixtures;
// the CLI adds the live links (the daemon over the control socket, the probe
// pull over CRI).
#ifndef PULLSENTRY_PLUGIN_CONTROL_DOCTOR_CHECKS_H_
#define PULLSENTRY_PLUGIN_CONTROL_DOCTOR_CHECKS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pullsentry::control {

enum class CheckState { kOk, kWarn, kFail, kSkipped };
std::string_view CheckStateName(CheckState state);  // "ok", "warn", "FAIL", "skipped"

struct CheckResult {
  std::string link;    // "kubelet", "daemon", "containerd", "trust", "probe"
  CheckState state = CheckState::kOk;
  std::string summary;              // one line: what is broken, or what was found
  std::vector<std::string> details;  // further lines (each finding, with file:line)
};

// What kubelet's configuration says about where images go.
struct KubeletEndpoints {
  std::string image_service_endpoint;      // "" when not set
  std::string container_runtime_endpoint;  // "" when not set
  std::string where;                       // "file:line" of the image endpoint, for messages
};

// Reads a KubeletConfiguration YAML file (top-level imageServiceEndpoint /
// containerRuntimeEndpoint of its first document, parsed with yaml-cpp) or a
// kubelet flags file or environment file (--image-service-endpoint[=| ]V,
// --container-runtime-endpoint …), told apart by content. InvalidArgument
// with the parser's file:line for malformed YAML.
absl::StatusOr<KubeletEndpoints> ReadKubeletConfig(const std::string& path);
// The same over text already read; `source` names it in messages.
absl::StatusOr<KubeletEndpoints> ReadKubeletConfigText(std::string_view text, const std::string& source);

// "unix:///run/x.sock", "unix:/run/x.sock" and "/run/x.sock" compare equal.
std::string NormalizeEndpoint(std::string_view endpoint);

// kubelet's image service must be pullsentryd's `expected_endpoint`; when
// imageServiceEndpoint is unset kubelet pulls from its runtime endpoint.
CheckResult CheckKubelet(const std::string& config_path, const std::string& expected_endpoint);

// containerd's config.toml must not make CRI pulls skip image verifiers
// (the local-pull fallback of containerd >= 2.1, or the verifier plugin
// disabled), and says whether the verifier hook `verifier_name` sits in
// the verifier bin_dir.
// The file is parsed as TOML with toml++; one that does not parse fails.
CheckResult CheckContainerdConfig(const std::string& config_path, std::string_view verifier_name);
// The same over text already read; `source` names it in messages.
CheckResult CheckContainerdConfigText(std::string_view text, const std::string& source,
                                      std::string_view verifier_name);

// Every certificate (PEM or DER: *.pem, *.crt, *.cer, *.der) under
// `trust_store`: FAIL when one has expired, is not yet valid, or expires
// within `warn_within` of `now`. Every Sigstore trusted root
// (sigstore/*.json): FAIL when it does not parse, or when all of its
// certificate authorities, or all of its transparency logs, stopped being
// valid or stop within `warn_within`.
CheckResult CheckTrustMaterial(const std::string& trust_store, std::chrono::system_clock::time_point now,
                               std::chrono::hours warn_within = std::chrono::hours(24 * 30));

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_DOCTOR_CHECKS_H_
