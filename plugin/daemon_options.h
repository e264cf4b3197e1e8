// pullsentryd's command line.
#ifndef PULLSENTRY_PLUGIN_DAEMON_OPTIONS_H_
#define PULLSENTRY_PLUGIN_DAEMON_OPTIONS_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::plugin {

struct DaemonOptions {
  std::string listen = "unix:///run/pullsentry/cri.sock";
  std::string runtime_endpoint = "unix:///run/containerd/containerd.sock";
  std::string policy = "/etc/pullsentry/policy.json";
  std::string state_dir = "/var/lib/pullsentry";
  // The verdict cache (<state-dir>/verdict-cache.json): at most this many
  // entries (0 turns it off), admitted verdicts for at most cache_ttl,
  // refused ones for at most cache_refused_ttl (0: not cached).
  size_t cache_max_entries = 10'000;
  std::chrono::seconds cache_ttl = std::chrono::hours(24);
  std::chrono::seconds cache_refused_ttl = std::chrono::minutes(5);
  std::string trust_store = "/etc/pullsentry";
  // Root-only socket for `pullsentry status|cache|doctor` and containerd's
  // verifier hook.
  std::string control_socket = "/run/pullsentry/control.sock";
  // What to serve while the policy file does not exist: "" (refuse to
  // start), "reject" (refuse every pull), or a fallback policy file.
  std::string default_policy;
  std::string log_level = "info";
  // Group given to the CRI socket (mode 0660), e.g. "pullsentry"; "" keeps
  // the daemon's own group.
  std::string socket_group;
  registry::RegistryOptions registry;
  // Debugging only: skip the seccomp filter (logged loudly, hourly).
  bool no_seccomp = false;
  // How long SIGTERM waits for in-flight pulls before cancelling them.
  int shutdown_timeout_seconds = 30;
  // Metrics: "" (off), 127.0.0.1:PORT, [::1]:PORT or unix:///path.
  std::string metrics_listen;
  // node_exporter textfile (must end in .prom), rewritten every interval.
  std::string metrics_textfile;
  int metrics_textfile_interval_seconds = 15;
  // One JSON line per decision appended here too ("" = journal only).
  std::string audit_log;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv. InvalidArgument names the offending flag.
absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args);

// The --help text.
std::string DaemonUsage();

// "unix:///run/x.sock" -> "/run/x.sock"; InvalidArgument for other schemes.
absl::StatusOr<std::string> UnixSocketPath(const std::string& endpoint);

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_DAEMON_OPTIONS_H_
