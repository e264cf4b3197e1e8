#include "plugin/control/containerd_verifier.h"

#include "absl/status/status.h"
#include "plugin/control/control_client.h"
#include "verify/json/strict_json.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::control {
namespace {

// One line, at most containerd's limit: the reason must survive intact.
std::string Bounded(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() >= kMaxReasonBytes) text.resize(kMaxReasonBytes - 1);  // and the newline
  return text;
}

}  // namespace

absl::StatusOr<HookArgs> ParseHookArgs(const std::vector<std::string>& args) {
  HookArgs parsed;
  bool seen_name = false, seen_digest = false, seen_media_type = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (!flag.starts_with("-") || flag == "-" || flag == "--")
      return absl::InvalidArgumentError("unexpected argument \"" + flag.substr(0, 64) + "\"");
    flag.erase(0, flag.starts_with("--") ? 2 : 1);
    std::string value;
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError("-" + flag + " needs a value");
      value = args[++i];
    }
    if (flag == "name" && !seen_name) {
      parsed.name = value;
      seen_name = true;
    } else if (flag == "digest" && !seen_digest) {
      parsed.digest = value;
      seen_digest = true;
    } else if (flag == "stdin-media-type" && !seen_media_type) {
      parsed.stdin_media_type = value;
      seen_media_type = true;
    } else {
      return absl::InvalidArgumentError("unknown or repeated flag -" + flag.substr(0, 64));
    }
  }
  if (!seen_name || parsed.name.empty()) return absl::InvalidArgumentError("-name is required");
  if (!seen_digest || !reference::IsValidDigest(parsed.digest))
    return absl::InvalidArgumentError("-digest must be sha256:<64 hex> or sha512:<128 hex>");
  if (seen_media_type && parsed.stdin_media_type != kDescriptorMediaType)
    return absl::InvalidArgumentError("unsupported -stdin-media-type \"" + parsed.stdin_media_type.substr(0, 128) +
                                      "\" (want " + kDescriptorMediaType + ")");
  return parsed;
}

absl::Status CheckDescriptor(std::string_view stdin_bytes, const HookArgs& args) {
  if (stdin_bytes.size() > kMaxDescriptorBytes)
    return absl::InvalidArgumentError("descriptor on stdin is larger than " + std::to_string(kMaxDescriptorBytes) +
                                      " bytes");
  absl::StatusOr<nlohmann::json> descriptor = json::ParseStrictJson(stdin_bytes, 8);
  if (!descriptor.ok())
    return absl::InvalidArgumentError("descriptor on stdin is not JSON: " + std::string(descriptor.status().message()));
  if (!descriptor->is_object()) return absl::InvalidArgumentError("descriptor on stdin is not a JSON object");
  auto digest = descriptor->find("digest");
  auto media_type = descriptor->find("mediaType");
  auto size = descriptor->find("size");
  if (media_type == descriptor->end() || !media_type->is_string() || media_type->get<std::string>().empty())
    return absl::InvalidArgumentError("descriptor lacks a mediaType");
  if (size == descriptor->end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    return absl::InvalidArgumentError("descriptor lacks a size");
  if (digest == descriptor->end() || !digest->is_string())
    return absl::InvalidArgumentError("descriptor lacks a digest");
  // Both name the object containerd is about to fetch; if they disagree,
  // something other than containerd is talking to us.
  if (digest->get<std::string>() != args.digest)
    return absl::InvalidArgumentError("descriptor digest " + digest->get<std::string>().substr(0, 200) +
                                      " differs from -digest " + args.digest);
  return absl::OkStatus();
}

HookOutcome RunContainerdVerifier(const std::vector<std::string>& args, std::string_view stdin_bytes,
                                  const std::string& control_socket, Deadline deadline) {
  absl::StatusOr<HookArgs> parsed = ParseHookArgs(args);
  if (!parsed.ok()) return {kHookUsage, Bounded("pullsentry: blocked: " + std::string(parsed.status().message()))};
  if (absl::Status checked = CheckDescriptor(stdin_bytes, *parsed); !checked.ok())
    return {kHookBlock, Bounded("pullsentry: blocked " + parsed->name + ": " + std::string(checked.message()))};

  absl::StatusOr<VerifyAnswer> answer = QueryVerify(control_socket, VerifyQuery{parsed->name, parsed->digest, {}}, deadline);
  if (!answer.ok()) {
    return {kHookBlock, Bounded("pullsentry: blocked " + parsed->name + "@" + parsed->digest +
                                ": no verdict from pullsentryd (" + std::string(answer.status().message()) + ")")};
  }
  // Admission is for this digest only.
  if (answer->admitted && !answer->digest.empty() && answer->digest != parsed->digest) {
    return {kHookBlock, Bounded("pullsentry: blocked " + parsed->name + ": pullsentryd admitted " + answer->digest +
                                ", not " + parsed->digest)};
  }
  if (!answer->admitted)
    return {kHookBlock, Bounded("pullsentry refused " + parsed->name + "@" + parsed->digest + ": " + answer->reason)};
  return {kHookAllow, Bounded("pullsentry admitted " + parsed->name + "@" + parsed->digest + ": " + answer->reason)};
}

}  // namespace pullsentry::control
