#include "plugin/cli/verify_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "trust/policy_file.h"
#include "verify/pipeline/image_verifier.h"

namespace pullsentry::cli {
namespace {

constexpr char kUsage[] = R"(Usage: pullsentry verify IMAGE --policy FILE [flags]

Resolves IMAGE at its registry and verifies it against the policy, as
pullsentryd does for a pull. Exit 0 admitted, 1 refused, 2 usage or
configuration error.

  --policy FILE              the policy, pullsentry's format or containers-policy.json
                             (default /etc/pullsentry/policy.json)
  --namespace NS             decide as for a pod in Kubernetes namespace NS
  --trust-store DIR          keys and roots named by the policy (default /etc/pullsentry)
  --insecure-registry HOST   reach HOST[:PORT] over plain HTTP (repeatable)
  --auth-file FILE           registry credentials (containers-auth.json format)
  --timeout SECONDS          give up after this long (default 60)
  --output text|json         verdict format (default text)
)";

int Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "pullsentry verify: " << error << "\n";
  std::cerr << kUsage;
  return kExitUsage;
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  std::string image_text;
  std::string policy_path = "/etc/pullsentry/policy.json";
  std::string output = "text";
  std::string kube_namespace;
  trust::PolicyLoadOptions load_options;
  int timeout_seconds = 60;
  registry::RegistryOptions registry_options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitAdmitted;
    }
    if (arg.starts_with("--")) {
      if (i + 1 >= args.size()) return Usage(arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--policy") {
        policy_path = value;
      } else if (arg == "--namespace") {
        kube_namespace = value;
      } else if (arg == "--trust-store") {
        load_options.trust_store_dir = value;
      } else if (arg == "--insecure-registry") {
        registry_options.insecure_registries.insert(value);
      } else if (arg == "--auth-file") {
        registry_options.auth_file = value;
      } else if (arg == "--output") {
        if (value != "text" && value != "json") return Usage("--output wants text or json");
        output = value;
      } else if (arg == "--timeout") {
        try {
          timeout_seconds = std::stoi(value);
        } catch (...) {
          timeout_seconds = 0;
        }
        if (timeout_seconds <= 0) return Usage("--timeout wants a positive number of seconds");
      } else {
        return Usage("unknown flag " + arg);
      }
    } else if (image_text.empty()) {
      image_text = arg;
    } else {
      return Usage("more than one image given");
    }
  }
  if (image_text.empty()) return Usage("no image given");

  absl::StatusOr<reference::ImageReference> image = reference::ParseNormalized(image_text);
  if (!image.ok()) return Usage(std::string(image.status().message()));
  absl::StatusOr<std::shared_ptr<const trust::LoadedPolicy>> policy = trust::LoadPolicyFile(policy_path, load_options);
  if (!policy.ok()) {
    std::cerr << "pullsentry verify: cannot load policy " << policy_path << ": " << policy.status().message() << "\n";
    return kExitUsage;
  }

  verify::ImageVerifier verifier(registry::NewCurlRegistryClient(registry_options));
  registry::PullContext context;
  context.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  std::optional<std::string_view> ns;
  if (!kube_namespace.empty()) ns = kube_namespace;
  absl::StatusOr<verify::Verdict> verdict = verifier.Verify(**policy, *image, ns, context);

  // A failure to decide is reported like a refusal: fail closed.
  verify::Verdict result;
  if (verdict.ok()) {
    result = *verdict;
  } else {
    result.image = image->String();
    result.reason = "cannot verify: " + std::string(verdict.status().message());
  }
  if (output == "json") {
    nlohmann::json doc = {{"image", result.image},   {"admitted", result.admitted}, {"digest", result.digest},
                          {"scope", result.scope},   {"reason", result.reason},     {"checks", result.checks},
                          {"decided", verdict.ok()}, {"mode", result.mode},         {"action", result.action},
                          {"namespace", result.kube_namespace},                     {"policy_hash", result.policy_hash},
                          {"version", 1}};
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << (result.admitted ? "ADMITTED " : "REFUSED ") << result.image;
    if (!result.digest.empty()) std::cout << " (" << result.digest << ")";
    std::cout << ": " << result.reason << "\n";
    for (const std::string& check : result.checks) std::cout << "  - " << check << "\n";
  }
  return result.admitted ? kExitAdmitted : kExitRefused;
}

}  // namespace pullsentry::cli
