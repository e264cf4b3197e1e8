// `pullsentry doctor`: is pullsentry actually enforcing on this node? Checks
// each link from kubelet to the registry and names the broken one:
//   kubelet     its image service is pullsentryd's CRI socket
//   daemon      pullsentryd answers on its control socket with a policy
//   containerd  its configuration does not make pulls skip image verifiers
//   trust       no certificate in the trust store expired or expiring soon, no
//               Sigstore trusted root whose CAs or logs all run out soon
//   probe       (with --probe) a known-unsigned image is refused over CRI
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plugin/cli/control_commands.h"
#include "plugin/cli/verify_command.h"
#include "plugin/control/control_client.h"
#include "plugin/control/doctor_checks.h"
#include "plugin/cri/image_service.grpc.pb.h"

namespace pullsentry::cli {
namespace {

using control::CheckResult;
using control::CheckState;

constexpr char kDefaultKubeletConfig[] = "/var/lib/kubelet/config.yaml";
constexpr char kDefaultContainerdConfig[] = "/etc/containerd/config.toml";
constexpr char kDefaultCriEndpoint[] = "unix:///run/pullsentry/cri.sock";
constexpr char kDefaultTrustStore[] = "/etc/pullsentry";
constexpr char kVerifierName[] = "pullsentry-containerd-verifier";
constexpr auto kProbeTimeout = std::chrono::seconds(60);

constexpr char kDoctorUsage[] = R"(Usage: pullsentry doctor [flags]

Checks that image pulls on this node are really verified, link by link, and
names the broken one. Run as root. Exit status 0 when no link is broken, 1
when one is, 2 on a usage error.

  --kubelet-config FILE     KubeletConfiguration YAML, or a kubelet flags or
                            environment file (default /var/lib/kubelet/config.yaml;
                            skipped when the default does not exist)
  --containerd-config FILE  containerd's config.toml (default /etc/containerd/config.toml;
                            skipped when the default does not exist)
  --control-socket PATH     pullsentryd's control socket (default /run/pullsentry/control.sock)
  --trust-store DIR         the trust store to check for expiring certificates
                            and Sigstore trusted roots
                            (default: the daemon's, else /etc/pullsentry)
  --probe IMAGE             pull IMAGE, which must exist and be unsigned, over
                            CRI: enforcing means it is refused (an admitted
                            probe image is removed again)
  --endpoint ENDPOINT       where --probe pulls (default: kubelet's configured
                            imageServiceEndpoint, else the daemon's CRI socket)

kubelet must point at the CRI socket the daemon reports it serves (else
unix:///run/pullsentry/cri.sock). The configuration files are read with real
parsers (TOML: toml++, YAML: yaml-cpp), up to 1 MiB each; one that does not
parse breaks its link. The trust check also reads Sigstore trusted roots
(sigstore/*.json): every CA or every log ending within 30 days breaks it.
)";

struct DoctorFlags {
  std::optional<std::string> kubelet_config, containerd_config, trust_store, probe;
  std::optional<std::string> endpoint;  // where the probe pulls
  std::string control_socket = control::kDefaultControlSocket;
};

// A file to check: the one given, or the default when it exists.
std::optional<std::string> Chosen(const std::optional<std::string>& given, const char* fallback) {
  if (given) return given;
  std::error_code ec;
  if (std::filesystem::exists(fallback, ec)) return std::string(fallback);
  return std::nullopt;
}

CheckResult Skipped(const std::string& link, const std::string& why) {
  return CheckResult{link, CheckState::kSkipped, why, {}};
}

CheckResult CheckDaemon(const std::string& socket, std::optional<control::StatusReport>* status) {
  absl::StatusOr<control::StatusReport> report =
      control::QueryStatus(socket, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (!report.ok()) {
    return CheckResult{"daemon", CheckState::kFail,
                       ControlFailure(socket, absl::StatusCodeToString(report.status().code()),
                                      std::string(report.status().message())),
                       {}};
  }
  *status = *report;
  if (report->policy_hash.empty())
    return CheckResult{"daemon", CheckState::kFail, "pullsentryd answers but reports no policy loaded", {}};
  return CheckResult{"daemon", CheckState::kOk,
                     "pullsentryd " + report->version + " enforces " + report->policy_path + " (" +
                         report->policy_format + ", " + report->policy_hash + ")",
                     {}};
}

// Pulls `image` over CRI; enforcement means a refusal.
CheckResult Probe(const std::string& endpoint, const std::string& image) {
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto stub = runtime::v1::ImageService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kProbeTimeout);
  runtime::v1::PullImageRequest request;
  request.mutable_image()->set_image(image);
  runtime::v1::PullImageResponse response;
  grpc::Status pulled = stub->PullImage(&context, request, &response);
  if (pulled.ok()) {
    // Leave nothing behind: the probe image is not wanted on the node.
    grpc::ClientContext remove_context;
    remove_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    runtime::v1::RemoveImageRequest remove;
    remove.mutable_image()->set_image(response.image_ref().empty() ? image : response.image_ref());
    runtime::v1::RemoveImageResponse removed;
    bool cleaned = stub->RemoveImage(&remove_context, remove, &removed).ok();
    return CheckResult{"probe", CheckState::kFail,
                       "the unsigned image " + image + " was pulled through " + endpoint +
                           ": pulls there are NOT verified" + (cleaned ? " (removed it again)" : ""),
                       {}};
  }
  const std::string& message = pulled.error_message();
  if (pulled.error_code() == grpc::StatusCode::PERMISSION_DENIED || message.find("pullsentry") != std::string::npos)
    return CheckResult{"probe", CheckState::kOk, "refused as it should be: " + message, {}};
  if (pulled.error_code() == grpc::StatusCode::UNAVAILABLE)
    return CheckResult{"probe", CheckState::kFail, "nothing answers CRI at " + endpoint + ": " + message, {}};
  return CheckResult{"probe", CheckState::kFail,
                     "the pull of " + image + " failed, but not with a refusal (" + std::to_string(pulled.error_code()) +
                         ": " + message + "); cannot tell whether pulls are verified — probe with an unsigned image "
                                          "that exists",
                     {}};
}

void Print(const CheckResult& result) {
  std::string state(control::CheckStateName(result.state));
  state.resize(8, ' ');
  std::string link = result.link;
  link.resize(11, ' ');
  std::cout << state << link << result.summary << "\n";
  for (const std::string& detail : result.details) std::cout << "                   " << detail << "\n";
}

}  // namespace

int RunDoctor(const std::vector<std::string>& args) {
  DoctorFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    if (flag == "--help" || flag == "-h") {
      std::cout << kDoctorUsage;
      return 0;
    }
    if (size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      std::cerr << "pullsentry doctor: " << flag << " needs a value\n" << kDoctorUsage;
      return kExitUsage;
    }
    if (flag == "--kubelet-config") {
      flags.kubelet_config = value;
    } else if (flag == "--containerd-config") {
      flags.containerd_config = value;
    } else if (flag == "--control-socket") {
      flags.control_socket = value;
    } else if (flag == "--trust-store") {
      flags.trust_store = value;
    } else if (flag == "--endpoint") {
      if (!value.starts_with("unix://")) {
        std::cerr << "pullsentry doctor: --endpoint must be unix:///path\n";
        return kExitUsage;
      }
      flags.endpoint = value;
    } else if (flag == "--probe") {
      flags.probe = value;
    } else {
      std::cerr << "pullsentry doctor: unknown flag " << flag << "\n" << kDoctorUsage;
      return kExitUsage;
    }
  }

  std::vector<CheckResult> results;
  std::optional<control::StatusReport> status;
  CheckResult daemon = CheckDaemon(flags.control_socket, &status);
  const std::string pullsentryd_endpoint = status && !status->listen.empty() ? status->listen : kDefaultCriEndpoint;

  std::optional<std::string> kubelet_endpoint;
  if (std::optional<std::string> kubelet = Chosen(flags.kubelet_config, kDefaultKubeletConfig)) {
    results.push_back(control::CheckKubelet(*kubelet, pullsentryd_endpoint));
    if (absl::StatusOr<control::KubeletEndpoints> read = control::ReadKubeletConfig(*kubelet);
        read.ok() && !read->image_service_endpoint.empty())
      kubelet_endpoint = read->image_service_endpoint;
  } else {
    results.push_back(Skipped("kubelet", std::string("no ") + kDefaultKubeletConfig + "; pass --kubelet-config"));
  }
  results.push_back(daemon);
  if (std::optional<std::string> containerd = Chosen(flags.containerd_config, kDefaultContainerdConfig)) {
    results.push_back(control::CheckContainerdConfig(*containerd, kVerifierName));
  } else {
    results.push_back(Skipped("containerd", std::string("no ") + kDefaultContainerdConfig + "; pass --containerd-config"));
  }
  std::string trust_store = flags.trust_store                                  ? *flags.trust_store
                            : status && !status->trust_store.empty() ? status->trust_store
                                                                               : kDefaultTrustStore;
  results.push_back(control::CheckTrustMaterial(trust_store, std::chrono::system_clock::now()));
  if (flags.probe) {
    // Through the path pulls really take: kubelet's endpoint unless told otherwise.
    std::string endpoint = flags.endpoint ? *flags.endpoint : kubelet_endpoint.value_or(pullsentryd_endpoint);
    if (!endpoint.starts_with("unix://") && endpoint.starts_with("/")) endpoint = "unix://" + endpoint;
    results.push_back(Probe(endpoint, *flags.probe));
  } else {
    results.push_back(Skipped("probe", "pass --probe UNSIGNED-IMAGE to prove a refusal over CRI"));
  }

  std::string broken;
  for (const CheckResult& result : results) {
    Print(result);
    if (result.state == CheckState::kFail) broken += (broken.empty() ? "" : ", ") + result.link;
  }
  if (!broken.empty()) {
    std::cout << "pullsentry doctor: NOT enforcing: broken link" << (broken.find(',') != std::string::npos ? "s" : "")
              << ": " << broken << "\n";
    return kExitRefused;
  }
  std::cout << "pullsentry doctor: no broken link found\n";
  return 0;
}

}  // namespace pullsentry::cli
