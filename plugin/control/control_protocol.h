// The control socket's wire format: one JSON object per line each way.
//
//   {"op":"status"}                      -> {"ok":true,"status":{...}}
//   {"op":"cache-list"}                  -> {"ok":true,"entries":[...]}
//   {"op":"cache-flush"}                 -> {"ok":true,"flushed":N}
//   {"op":"verify","name":REF,"digest":D[,"namespace":NS]}
//                                        -> {"ok":true,"admitted":B,"reason":R,...}
//   anything that cannot be answered     -> {"ok":false,"error":"one line"}
//
// Requests come from root only, but they are still untrusted bytes: lines,
// names and nesting are bounded here, in one place, for server and client.
#ifndef PULLSENTRY_PLUGIN_CONTROL_CONTROL_PROTOCOL_H_
#define PULLSENTRY_PLUGIN_CONTROL_CONTROL_PROTOCOL_H_

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::control {

inline constexpr char kDefaultControlSocket[] = "/run/pullsentry/control.sock";

// Limits, all in one place.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;         // one request line
inline constexpr size_t kMaxResponseBytes = 16 * 1024 * 1024;  // one response line (cache-list)
inline constexpr size_t kMaxRequestJsonDepth = 4;
inline constexpr size_t kMaxNamespaceLength = 253;  // a DNS subdomain, as Kubernetes allows
inline constexpr size_t kMaxConnections = 16;       // served at once; more are turned away
inline constexpr std::chrono::seconds kIdleTimeout{10};  // for a request line to arrive
inline constexpr std::chrono::seconds kWriteTimeout{10};  // for a response to be taken

enum class Operation { kStatus, kCacheList, kCacheFlush, kVerify };
std::string_view OperationName(Operation op);  // "status", "cache-list", …

struct VerifyQuery {
  std::string name;    // the image reference as the caller names it
  std::string digest;  // "sha256:<hex>": the manifest digest to decide on
  std::optional<std::string> kube_namespace;
};

struct ControlRequest {
  Operation op = Operation::kStatus;
  VerifyQuery verify;  // set for kVerify
};

// Parses one request line (without its newline). InvalidArgument with a
// one-line reason for anything malformed, oversized or unknown.
absl::StatusOr<ControlRequest> ParseRequest(std::string_view line);
// The line a client sends (no newline).
std::string SerializeRequest(const ControlRequest& request);

// What `status` reports about the running daemon.
struct StatusReport {
  std::string version;
  std::string listen;        // the CRI endpoint pullsentryd serves
  std::string policy_path;
  std::string policy_format;
  std::string policy_hash;
  std::string trust_store;
  std::string trust_hash;  // the trust store's own hash; "" when the policy loaded none
  int64_t uptime_seconds = 0;
  std::optional<uint64_t> cache_entries;  // nullopt: no verdict cache in this daemon
  std::map<std::string, uint64_t> counters;  // e.g. "pulls_admitted"
};
nlohmann::json StatusToJson(const StatusReport& status);
absl::StatusOr<StatusReport> StatusFromJson(const nlohmann::json& json);

struct VerifyAnswer {
  bool admitted = false;
  std::string reason;  // one line
  std::string digest;
  std::string scope;
};
nlohmann::json VerifyAnswerToJson(const VerifyAnswer& answer);
absl::StatusOr<VerifyAnswer> VerifyAnswerFromJson(const nlohmann::json& json);

// {"ok":false,"error":message} as a line (no newline).
std::string ErrorLine(std::string_view message);
// {"ok":true} merged with `body` (an object) as a line (no newline).
std::string OkLine(const nlohmann::json& body);

// Parses a response line: the body on "ok":true, or the daemon's error
// message as FailedPrecondition on "ok":false; InvalidArgument for garbage.
absl::StatusOr<nlohmann::json> ParseResponse(std::string_view line);

}  // namespace pullsentry::control

#endif  // PULLSENTRY_PLUGIN_CONTROL_CONTROL_PROTOCOL_H_
