#include "plugin/control/control_protocol.h"

#include "absl/status/status.h"
#include "verify/json/strict_json.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::control {
namespace {

using nlohmann::json;

// Kubernetes namespaces are DNS labels; anything else cannot have come from a pod.
bool IsValidNamespace(std::string_view ns) {
  if (ns.empty() || ns.size() > kMaxNamespaceLength) return false;
  for (char c : ns) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

absl::StatusOr<std::string> StringField(const json& object, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) return absl::InvalidArgumentError(std::string("request lacks \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return absl::InvalidArgumentError(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kStatus:
      return "status";
    case Operation::kCacheList:
      return "cache-list";
    case Operation::kCacheFlush:
      return "cache-flush";
    case Operation::kVerify:
      return "verify";
  }
  return "?";
}

absl::StatusOr<ControlRequest> ParseRequest(std::string_view line) {
  if (line.size() > kMaxRequestBytes)
    return absl::InvalidArgumentError("request longer than " + std::to_string(kMaxRequestBytes) + " bytes");
  absl::StatusOr<json> parsed = ::pullsentry::json::ParseStrictJson(line, kMaxRequestJsonDepth);
  if (!parsed.ok()) return absl::InvalidArgumentError("request is not JSON: " + std::string(parsed.status().message()));
  if (!parsed->is_object()) return absl::InvalidArgumentError("request must be a JSON object");
  absl::StatusOr<std::string> op = StringField(*parsed, "op", true);
  if (!op.ok()) return op.status();

  ControlRequest request;
  const std::map<std::string, Operation, std::less<>> kOps = {{"status", Operation::kStatus},
                                                               {"cache-list", Operation::kCacheList},
                                                               {"cache-flush", Operation::kCacheFlush},
                                                               {"verify", Operation::kVerify}};
  auto known = kOps.find(*op);
  if (known == kOps.end()) return absl::InvalidArgumentError("unknown operation \"" + op->substr(0, 64) + "\"");
  request.op = known->second;
  for (const auto& [key, value] : parsed->items()) {
    (void)value;
    bool allowed = key == "op" || (request.op == Operation::kVerify &&
                                   (key == "name" || key == "digest" || key == "namespace"));
    if (!allowed) return absl::InvalidArgumentError("unexpected field \"" + key.substr(0, 64) + "\" in " + *op);
  }
  if (request.op != Operation::kVerify) return request;

  absl::StatusOr<std::string> name = StringField(*parsed, "name", true);
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> digest = StringField(*parsed, "digest", true);
  if (!digest.ok()) return digest.status();
  absl::StatusOr<std::string> ns = StringField(*parsed, "namespace", false);
  if (!ns.ok()) return ns.status();
  if (name->empty() || name->size() > reference::kMaxReferenceLength)
    return absl::InvalidArgumentError("\"name\" must be an image reference of 1 to " +
                                      std::to_string(reference::kMaxReferenceLength) + " bytes");
  if (!reference::IsValidDigest(*digest))
    return absl::InvalidArgumentError("\"digest\" must be sha256:<64 hex> or sha512:<128 hex>");
  if (parsed->contains("namespace") && !IsValidNamespace(*ns))
    return absl::InvalidArgumentError("\"namespace\" is not a Kubernetes namespace name");
  request.verify.name = *name;
  request.verify.digest = *digest;
  if (parsed->contains("namespace")) request.verify.kube_namespace = *ns;
  return request;
}

std::string SerializeRequest(const ControlRequest& request) {
  json out = {{"op", std::string(OperationName(request.op))}};
  if (request.op == Operation::kVerify) {
    out["name"] = request.verify.name;
    out["digest"] = request.verify.digest;
    if (request.verify.kube_namespace) out["namespace"] = *request.verify.kube_namespace;
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

json StatusToJson(const StatusReport& status) {
  json out = {{"version", status.version},
              {"listen", status.listen},
              {"policy", {{"path", status.policy_path}, {"format", status.policy_format}, {"hash", status.policy_hash}}},
              {"trust_store", status.trust_store},
              {"trust_hash", status.trust_hash},
              {"uptime_seconds", status.uptime_seconds},
              {"counters", status.counters}};
  out["cache_entries"] = status.cache_entries ? json(*status.cache_entries) : json(nullptr);
  return out;
}

absl::StatusOr<StatusReport> StatusFromJson(const json& in) {
  // Only what a client prints or checks is required; the rest is optional.
  if (!in.is_object() || !in.contains("policy") || !in["policy"].is_object())
    return absl::InvalidArgumentError("status answer lacks \"policy\"");
  StatusReport status;
  auto text = [](const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  status.version = text(in, "version");
  status.listen = text(in, "listen");
  status.trust_store = text(in, "trust_store");
  status.trust_hash = text(in, "trust_hash");
  status.policy_path = text(in["policy"], "path");
  status.policy_format = text(in["policy"], "format");
  status.policy_hash = text(in["policy"], "hash");
  if (auto it = in.find("uptime_seconds"); it != in.end() && it->is_number_integer())
    status.uptime_seconds = it->get<int64_t>();
  if (auto it = in.find("cache_entries"); it != in.end() && it->is_number_unsigned())
    status.cache_entries = it->get<uint64_t>();
  if (auto it = in.find("counters"); it != in.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (value.is_number_unsigned()) status.counters[key] = value.get<uint64_t>();
    }
  }
  return status;
}

json VerifyAnswerToJson(const VerifyAnswer& answer) {
  return {{"admitted", answer.admitted}, {"reason", answer.reason}, {"digest", answer.digest}, {"scope", answer.scope}};
}

absl::StatusOr<VerifyAnswer> VerifyAnswerFromJson(const json& in) {
  // An answer without an explicit boolean verdict is garbage, never a yes.
  if (!in.is_object() || !in.contains("admitted") || !in["admitted"].is_boolean())
    return absl::InvalidArgumentError("verify answer lacks a boolean \"admitted\"");
  if (!in.contains("reason") || !in["reason"].is_string())
    return absl::InvalidArgumentError("verify answer lacks a \"reason\"");
  VerifyAnswer answer;
  answer.admitted = in["admitted"].get<bool>();
  answer.reason = in["reason"].get<std::string>();
  if (in.contains("digest") && in["digest"].is_string()) answer.digest = in["digest"].get<std::string>();
  if (in.contains("scope") && in["scope"].is_string()) answer.scope = in["scope"].get<std::string>();
  return answer;
}

std::string ErrorLine(std::string_view message) {
  json out = {{"ok", false}, {"error", std::string(message)}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string OkLine(const json& body) {
  json out = body.is_object() ? body : json::object();
  out["ok"] = true;
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<json> ParseResponse(std::string_view line) {
  if (line.size() > kMaxResponseBytes) return absl::InvalidArgumentError("answer too long");
  absl::StatusOr<json> parsed = ::pullsentry::json::ParseStrictJson(line, 8);
  if (!parsed.ok()) return absl::InvalidArgumentError("answer is not JSON: " + std::string(parsed.status().message()));
  if (!parsed->is_object() || !parsed->contains("ok") || !(*parsed)["ok"].is_boolean())
    return absl::InvalidArgumentError("answer lacks a boolean \"ok\"");
  if (!(*parsed)["ok"].get<bool>()) {
    auto it = parsed->find("error");
    std::string message = it != parsed->end() && it->is_string() ? it->get<std::string>() : "unspecified error";
    return absl::FailedPreconditionError(message);
  }
  parsed->erase("ok");
  return *parsed;
}

}  // namespace pullsentry::control
