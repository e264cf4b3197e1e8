// libFuzzer target: the configuration files `pullsentry doctor` reads —
// containerd's config.toml (toml++) and kubelet's KubeletConfiguration YAML
// or flags file (yaml-cpp) — through the checks' own entry points, on
// arbitrary bytes. Nothing may crash or throw; a containerd file the TOML
// parser refuses must fail the link, and every finding must name its file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugin/control/doctor_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pullsentry::control;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz.conf";

  CheckResult containerd = CheckContainerdConfigText(text, source, "pullsentry-containerd-verifier");
  if (containerd.link != "containerd" || containerd.summary.empty()) std::abort();
  if (containerd.state == CheckState::kFail && containerd.details.empty() &&
      containerd.summary.find("cannot read containerd configuration " + source) != 0)
    std::abort();  // a failure names its findings or the parse error
  for (const std::string& detail : containerd.details) {
    if (detail.empty()) std::abort();
  }

  absl::StatusOr<KubeletEndpoints> kubelet = ReadKubeletConfigText(text, source);
  if (kubelet.ok()) {
    if (!kubelet->image_service_endpoint.empty() && kubelet->where.find(source + ":") != 0) std::abort();
    (void)NormalizeEndpoint(kubelet->image_service_endpoint);
  } else if (kubelet.status().message().find(source) == std::string_view::npos) {
    std::abort();
  }
  return 0;
}
