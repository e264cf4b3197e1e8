#include "plugin/daemon_options.h"

#include <charconv>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

absl::StatusOr<int> ParseSeconds(const std::string& flag, const std::string& value) {
  int seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds <= 0 || seconds > 3600)
    return absl::InvalidArgumentError(flag + " wants whole seconds between 1 and 3600, got \"" + value + "\"");
  return seconds;
}

// "90", "90s", "15m", "24h": a duration of at most 30 days; 0 only where
// `zero_ok`.
absl::StatusOr<std::chrono::seconds> ParseDuration(const std::string& flag, const std::string& value, bool zero_ok) {
  std::string_view digits = value;
  int64_t unit = 1;
  if (!digits.empty() && (digits.back() == 's' || digits.back() == 'm' || digits.back() == 'h')) {
    unit = digits.back() == 'h' ? 3600 : digits.back() == 'm' ? 60 : 1;
    digits.remove_suffix(1);
  }
  int64_t count = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  constexpr int64_t kMaxSeconds = 30 * 24 * 3600;
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || count < 0 ||
      count > kMaxSeconds / unit || (count == 0 && !zero_ok))
    return absl::InvalidArgumentError(flag + " wants a duration like 300, 90s, 15m or 24h, " +
                                      (zero_ok ? "from 0" : "from 1s") + " to 30 days, got \"" + value + "\"");
  return std::chrono::seconds(count * unit);
}

}  // namespace

std::string DaemonUsage() {
  return R"(Usage: pullsentryd [flags]

Serves the CRI ImageService on --listen and forwards to the runtime, admitting
a pull only when the image's signatures verify against the policy. The policy
is pullsentry's own format (pullsentry-policy(5)) or containers-policy.json(5);
SIGHUP, or a change of the policy or a key file, reloads it.

  --listen ENDPOINT            where kubelet's imageServiceEndpoint points
                               (default unix:///run/pullsentry/cri.sock)
  --runtime-endpoint ENDPOINT  the runtime's CRI socket
                               (default unix:///run/containerd/containerd.sock)
  --policy FILE                the policy (pullsentry's format or
                               containers-policy.json)
                               (default /etc/pullsentry/policy.json)
  --state-dir DIR              tag ledger and other state (default /var/lib/pullsentry)
  --cache-max-entries N        verdicts kept in the verdict cache
                               (default 10000; 0 turns the cache off)
  --cache-ttl DURATION         how long an admitted verdict is reused at most,
                               e.g. 90s, 15m, 24h (default 24h); never past
                               the expiry of what it relied on
  --cache-refused-ttl DURATION how long a refusal is reused at most
                               (default 5m; 0 does not cache refusals)
  --trust-store DIR            keys and roots named by the policy (default /etc/pullsentry)
  --control-socket PATH        root-only socket for pullsentry status, cache,
                               doctor and pullsentry-containerd-verifier
                               (default /run/pullsentry/control.sock)
  --default-policy reject|FILE what to serve while --policy does not exist:
                               refuse every pull, or FILE's policy. Without
                               it a missing policy file stops start-up
  --insecure-registry HOST     reach HOST[:PORT] over plain HTTP (repeatable)
  --auth-file FILE             registry credentials (containers-auth.json /
                               docker config.json format); credentials in the
                               pull request come first
  --registry-ca-file FILE      PEM bundle of CAs that HTTPS registries are
                               checked against instead of the system CAs
  --registry-timeout SECONDS   total time for one registry request (default 60)
  --log-level LEVEL            error, warning, info (default) or debug
  --socket-group NAME          give the --listen socket (mode 0660) to group
                               NAME, for CRI clients that are not root
  --shutdown-timeout SECONDS   on SIGTERM, how long in-flight pulls may take
                               to finish before they are cancelled (default 30)
  --no-seccomp                 do not confine the daemon with its seccomp
                               filter. For debugging only: logged as a
                               warning at start and every hour
  --metrics-listen ADDRESS     serve Prometheus metrics at /metrics on
                               127.0.0.1:PORT, [::1]:PORT or unix:///PATH
                               (loopback only; off by default)
  --metrics-textfile FILE      also write them to FILE (name ending in .prom)
                               for node_exporter's textfile collector
  --metrics-textfile-interval SECONDS
                               how often FILE is rewritten (default 15)
  --audit-log FILE             append each decision's audit record (one JSON
                               line) to FILE as well as the journal; SIGHUP
                               reopens it after logrotate
  --help                       this text
  --version                    the version
)";
}

absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args) {
  DaemonOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_inline_value = false;
    if (size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      options.show_help = true;
      continue;
    }
    if (flag == "--version") {
      options.show_version = true;
      continue;
    }
    if (flag == "--no-seccomp") {
      if (has_inline_value) return absl::InvalidArgumentError("--no-seccomp takes no value");
      options.no_seccomp = true;
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--runtime-endpoint") {
      options.runtime_endpoint = value;
    } else if (flag == "--policy") {
      options.policy = value;
    } else if (flag == "--state-dir") {
      options.state_dir = value;
    } else if (flag == "--cache-max-entries") {
      size_t entries = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), entries);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || entries > 1'000'000)
        return absl::InvalidArgumentError("--cache-max-entries wants a whole number from 0 to 1000000, got \"" +
                                          value + "\"");
      options.cache_max_entries = entries;
    } else if (flag == "--cache-ttl" || flag == "--cache-refused-ttl") {
      absl::StatusOr<std::chrono::seconds> ttl = ParseDuration(flag, value, flag == "--cache-refused-ttl");
      if (!ttl.ok()) return ttl.status();
      (flag == "--cache-ttl" ? options.cache_ttl : options.cache_refused_ttl) = *ttl;
    } else if (flag == "--trust-store") {
      options.trust_store = value;
    } else if (flag == "--control-socket") {
      if (!value.starts_with("/")) return absl::InvalidArgumentError("--control-socket wants an absolute path");
      options.control_socket = value;
    } else if (flag == "--default-policy") {
      if (value.empty()) return absl::InvalidArgumentError("--default-policy wants \"reject\" or a policy file");
      options.default_policy = value;
    } else if (flag == "--insecure-registry") {
      options.registry.insecure_registries.insert(value);
    } else if (flag == "--auth-file") {
      options.registry.auth_file = value;
    } else if (flag == "--registry-ca-file") {
      options.registry.ca_file = value;
    } else if (flag == "--registry-timeout") {
      absl::StatusOr<int> seconds = ParseSeconds(flag, value);
      if (!seconds.ok()) return seconds.status();
      options.registry.request_timeout = std::chrono::seconds(*seconds);
    } else if (flag == "--shutdown-timeout") {
      absl::StatusOr<int> seconds = ParseSeconds(flag, value);
      if (!seconds.ok()) return seconds.status();
      options.shutdown_timeout_seconds = *seconds;
    } else if (flag == "--metrics-listen") {
      if (value.empty()) return absl::InvalidArgumentError("--metrics-listen wants 127.0.0.1:PORT, [::1]:PORT or unix:///PATH");
      options.metrics_listen = value;
    } else if (flag == "--metrics-textfile") {
      if (!value.ends_with(".prom") || value.ends_with("/.prom"))
        return absl::InvalidArgumentError("--metrics-textfile wants a file name ending in .prom, got \"" + value + "\"");
      options.metrics_textfile = value;
    } else if (flag == "--metrics-textfile-interval") {
      absl::StatusOr<int> seconds = ParseSeconds(flag, value);
      if (!seconds.ok()) return seconds.status();
      options.metrics_textfile_interval_seconds = *seconds;
    } else if (flag == "--audit-log") {
      if (value.empty()) return absl::InvalidArgumentError("--audit-log wants a file");
      options.audit_log = value;
    } else if (flag == "--socket-group") {
      if (value.empty()) return absl::InvalidArgumentError("--socket-group wants a group name");
      options.socket_group = value;
    } else if (flag == "--log-level") {
      if (value != "error" && value != "warning" && value != "info" && value != "debug")
        return absl::InvalidArgumentError("--log-level wants error, warning, info or debug");
      options.log_level = value;
    } else {
      return absl::InvalidArgumentError("unknown flag " + flag + " (see --help)");
    }
  }
  for (const std::string* endpoint : {&options.listen, &options.runtime_endpoint}) {
    absl::StatusOr<std::string> path = UnixSocketPath(*endpoint);
    if (!path.ok()) return path.status();
  }
  return options;
}

absl::StatusOr<std::string> UnixSocketPath(const std::string& endpoint) {
  constexpr std::string_view kScheme = "unix://";
  if (!endpoint.starts_with(kScheme) || endpoint.size() == kScheme.size() || endpoint[kScheme.size()] != '/')
    return absl::InvalidArgumentError("endpoint \"" + endpoint + "\" must be unix:///absolute/path");
  return endpoint.substr(kScheme.size());
}

}  // namespace pullsentry::plugin
