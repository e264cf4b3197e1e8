// pullsentryd: wiring only. Parses flags, loads the policy, opens the tag
// ledger, connects to the runtime and serves the CRI ImageService.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "plugin/control/control_server.h"
#include "plugin/control/daemon_handlers.h"
#include "plugin/control/status_counters.h"
#include "plugin/daemon_options.h"
#include "plugin/image_service_proxy.h"
#include "plugin/logging.h"
#include "plugin/observability.h"
#include "plugin/policy_holder.h"
#include "plugin/policy_reloader.h"
#include "plugin/sd_notify.h"
#include "plugin/server_health_probe.h"
#include "plugin/socket_access.h"
#include "plugin/pull_decider.h"
#include "plugin/seccomp_sandbox.h"
#include "plugin/tag_ledger.h"
#include "plugin/verdict_cache.h"
#include "trust/policy_file.h"
#include "verify/pipeline/image_verifier.h"

namespace pullsentry::plugin {
namespace {

LogLevel ToLogLevel(const std::string& name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

// --no-seccomp is for debugging: say so at start and every hour after, so a
// node left running that way shows up in its logs.
class NoSeccompReminder {
 public:
  NoSeccompReminder() {
    Warn();
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::hours(1), [this] { return stop_; })) Warn();
    });
  }
  ~NoSeccompReminder() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  static void Warn() {
    LogWarning("running WITHOUT the seccomp filter (--no-seccomp): for debugging only, never in production");
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// SIGTERM: stop taking new pulls, let the ones in flight finish within
// `timeout`, then cancel what is left. New pulls are refused by the
// decision path (UNAVAILABLE, "shutting down") while the server still
// serves the other RPCs, so kubelet gets a clear retryable answer rather
// than a transport error; only when no pull is left (or time is up) does
// the gRPC server shut down. gRPC's Shutdown waits for handlers
// even past its deadline (a verification blocked on a registry does not see
// the cancel), so a guard ends the process if they overrun by a grace
// period. State needs no flush: the ledger is on disk before a pull is
// acknowledged.
void DrainAndStop(grpc::Server& server, std::atomic<bool>& draining, std::chrono::seconds timeout,
                  const std::function<int()>& pulls_in_flight) {
  draining = true;  // before the log line, which tests take as the sign that the drain is on
  LogInfo("draining: in-flight pulls have " + std::to_string(timeout.count()) + " s to finish; new ones are refused");
  constexpr auto kGrace = std::chrono::seconds(5);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread guard([&] {
    std::unique_lock lock(mu);
    if (cv.wait_for(lock, timeout + kGrace, [&] { return done; })) return;
    LogError("pulls still running " + std::to_string((timeout + kGrace).count()) +
             " s after SIGTERM (--shutdown-timeout); exiting without them");
    ::_exit(1);
  });
  const auto deadline = std::chrono::system_clock::now() + timeout;
  while (pulls_in_flight() > 0 && std::chrono::system_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Pulls that arrived between the flag and the count are covered by the
  // server's own deadline; at least a moment for calls finishing now.
  server.Shutdown(std::max(deadline, std::chrono::system_clock::now() + std::chrono::milliseconds(500)));
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  guard.join();
}

int Run(int argc, char** argv) {
  absl::StatusOr<DaemonOptions> parsed = ParseDaemonOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) {
    std::cerr << "pullsentryd: " << parsed.status().message() << "\n";
    return 2;
  }
  const DaemonOptions& options = *parsed;
  if (options.show_help) {
    std::cout << DaemonUsage();
    return 0;
  }
  if (options.show_version) {
    std::cout << "pullsentryd " << PULLSENTRY_VERSION << "\n";
    return 0;
  }
  const auto started = std::chrono::steady_clock::now();  // for the uptime in `pullsentry status`
  SetLogLevel(ToLogLevel(options.log_level));
  SetJournalFormat(std::getenv("JOURNAL_STREAM") != nullptr);

  // Block the stop signals before any thread starts, so only the waiter below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // An absolute path, so reloads and file watches do not depend on the working directory.
  const std::string policy_path = std::filesystem::absolute(options.policy).lexically_normal().string();
  trust::PolicyLoadOptions load_options;
  load_options.trust_store_dir = options.trust_store;
  auto load = [load_options](const std::string& path) { return trust::LoadPolicyFile(path, load_options); };
  absl::StatusOr<std::shared_ptr<const trust::LoadedPolicy>> policy = load(policy_path);
  if (!policy.ok() && absl::IsNotFound(policy.status()) && !options.default_policy.empty()) {
    // Nothing is admitted by accident: the fallback is an explicit choice.
    if (options.default_policy == "reject") {
      LogWarning("no policy at " + policy_path + ": refusing every pull until one is written (--default-policy=reject)");
      policy = trust::RejectEverythingPolicy(policy_path);
    } else {
      LogWarning("no policy at " + policy_path + ": serving " + options.default_policy + " until one is written");
      policy = load(options.default_policy);
    }
  }
  if (!policy.ok()) {
    LogError("cannot load policy " + policy_path + ": " + std::string(policy.status().message()) +
             (absl::IsNotFound(policy.status()) ? " (write one, see pullsentry-policy(5), or start with "
                                                  "--default-policy=reject)"
                                                : ""));
    return 1;
  }
  for (const std::string& warning : (*policy)->warnings) LogWarning("policy " + policy_path + ": " + warning);
  PolicyHolder policy_holder(*policy);
  PolicyReloader reloader(policy_path, &policy_holder, load);
  if (absl::Status watching = reloader.StartWatching(); !watching.ok()) {
    LogWarning("policy file changes will not be noticed (" + std::string(watching.message()) + "); SIGHUP reloads");
  }

  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    LogError("cannot create state directory " + options.state_dir + ": " + ec.message());
    return 1;
  }
  std::string warning;
  absl::StatusOr<std::unique_ptr<TagLedger>> ledger = TagLedger::Open(options.state_dir + "/tag-ledger.json", &warning);
  if (!ledger.ok()) {
    LogError("cannot open tag ledger: " + std::string(ledger.status().message()));
    return 1;
  }
  if (!warning.empty()) LogWarning(warning);

  std::shared_ptr<registry::RegistryClient> registry_client = registry::NewCurlRegistryClient(options.registry);
  auto verifier = std::make_shared<verify::ImageVerifier>(registry_client);
  // Every pull is decided by the decider: one policy snapshot, the tag
  // resolved, the verdict cache asked, one shared verification on a miss.
  std::string cache_warning;
  absl::StatusOr<std::unique_ptr<VerdictCache>> verdict_cache = VerdictCache::Open(
      options.state_dir + "/verdict-cache.json",
      VerdictCacheOptions{options.cache_max_entries, options.cache_ttl, options.cache_refused_ttl},
      &std::chrono::system_clock::now, &cache_warning);
  if (!verdict_cache.ok()) {
    LogError("cannot open verdict cache: " + std::string(verdict_cache.status().message()));
    return 1;
  }
  if (!cache_warning.empty()) LogWarning(cache_warning);
  PullDecider decider(&policy_holder, PullDecider::PipelineOf(verifier), verdict_cache->get());
  PullVerifier decide = [&decider](const reference::ImageReference& image, std::optional<std::string_view> ns,
                                   const registry::PullContext& context) {
    return decider.Decide(image, ns, context);
  };

  // Metrics and the audit log see every decision the decider makes.
  absl::StatusOr<std::unique_ptr<Observability>> observability = Observability::Start(
      options, [&reloader] { return Metrics::ReloadCounts{reloader.reloads(), reloader.failures()}; });
  if (!observability.ok()) {
    LogError(std::string(observability.status().message()));
    return 1;
  }
  for (DecisionObserver* observer : (*observability)->observers()) decider.AddObserver(observer);

  // Once SIGTERM starts the drain, new pulls are refused as UNAVAILABLE
  // (kubelet retries them against the restarted daemon) while those already
  // deciding finish.
  std::atomic<bool> draining{false};
  decide = [&draining, inner = std::move(decide)](const reference::ImageReference& image,
                                                  std::optional<std::string_view> ns,
                                                  const registry::PullContext& context) -> absl::StatusOr<verify::Verdict> {
    if (draining.load()) return absl::UnavailableError("pullsentryd is shutting down; retry the pull");
    return inner(image, ns, context);
  };

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(options.runtime_endpoint, grpc::InsecureChannelCredentials(), channel_args);
  ImageServiceProxy proxy(runtime::v1::ImageService::NewStub(channel), decide, ledger->get());

  std::string socket_path = *UnixSocketPath(options.listen);
  std::filesystem::create_directories(std::filesystem::path(socket_path).parent_path(), ec);
  ::unlink(socket_path.c_str());  // a stale socket from an earlier run
  EnableServerHealthService();  // what the watchdog asks before each ping
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.RegisterService(&proxy);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    LogError("cannot listen on " + options.listen);
    return 1;
  }
  if (absl::Status access = RestrictSocketAccess(socket_path, options.socket_group); !access.ok()) {
    LogWarning("socket access: " + std::string(access.message()));
  }
  LogInfo("pullsentryd " + std::string(PULLSENTRY_VERSION) + " serving " + options.listen + " for runtime " +
          options.runtime_endpoint + " with policy " + policy_path + " (" +
          std::string(trust::PolicyFormatName(policy_holder.Get()->format)) + ", hash " + policy_holder.Get()->hash + ")");

  // The control socket: `pullsentry status|cache|doctor`, and containerd's
  // image verifier hook, which decides through the same decider and cache.
  control::StatusCounters control_counters;
  decider.AddObserver(&control_counters);
  control::ControlServerOptions control_options;
  control_options.socket_path = options.control_socket;
  control_options.allowed_uid = ::geteuid();  // root, or the user running a test
  control_options.log_warning = [](std::string_view message) { LogWarning(std::string(message)); };
  absl::StatusOr<std::unique_ptr<control::ControlServer>> control_server = control::ControlServer::Start(
      control_options,
      control::MakeDaemonHandlers({.version = PULLSENTRY_VERSION, .listen = options.listen,
                                   .trust_store = options.trust_store, .started = started, .policy = &policy_holder,
                                   .decider = &decider, .cache = verdict_cache->get(), .counters = &control_counters}));
  if (!control_server.ok()) {
    LogError("cannot serve the control socket " + options.control_socket + ": " +
             std::string(control_server.status().message()));
    server->Shutdown(std::chrono::system_clock::now());
    ::unlink(socket_path.c_str());
    return 1;
  }

  // The watchdog thread starts before the sandbox closes in (READY=1 waits for it).
  std::unique_ptr<ServiceNotifier> notifier = NewSystemdNotifier();
  std::unique_ptr<WatchdogPinger> watchdog;
  if (std::optional<std::chrono::microseconds> interval = notifier->WatchdogInterval()) {
    // The probe must answer well inside one ping period (half the interval).
    auto probe = std::make_shared<ServerHealthProbe>(
        options.listen, std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 4));
    watchdog = WatchdogPinger::StartIfRequested(notifier.get(), [probe] { return probe->Check().ok(); });
  }

  // Confine the daemon last: everything above may use calls the filter
  // refuses from here on (threads that need set-up are already running).
  std::unique_ptr<NoSeccompReminder> no_seccomp_reminder;
  if (options.no_seccomp) {
    no_seccomp_reminder = std::make_unique<NoSeccompReminder>();
  } else {
    absl::StatusOr<SandboxReport> sandbox = InstallSeccompSandbox();
    if (!sandbox.ok()) {
      // Fail closed: an unconfined daemon is not what the operator deployed.
      LogError("cannot confine pullsentryd: " + std::string(sandbox.status().message()) +
               " (--no-seccomp runs without the filter, for debugging only)");
      server->Shutdown(std::chrono::system_clock::now());
      ::unlink(socket_path.c_str());
      return 1;
    }
    LogInfo("seccomp filter installed: " + std::to_string(sandbox->allowed) +
            " system calls allowed, every other one refused with EPERM");
  }

  // Ready only now: the policy is loaded, the socket accepts calls, the sandbox is on.
  NotifyReady(*notifier, "serving " + options.listen + ", policy hash " + policy_holder.Get()->hash);

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    absl::Status reloaded = reloader.Reload("SIGHUP");
    (*observability)->Reopen();  // logrotate moved the audit file
    NotifyStatus(*notifier, reloaded.ok() ? "serving " + options.listen + ", policy hash " + policy_holder.Get()->hash
                                          : "serving the previous policy; reload failed: " + std::string(reloaded.message()));
  }
  LogInfo(std::string("stopping on ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT"));
  NotifyStopping(*notifier, "stopping");
  watchdog.reset();
  DrainAndStop(*server, draining, std::chrono::seconds(options.shutdown_timeout_seconds),
               [&proxy] { return proxy.PullsInFlight(); });
  (*control_server)->Stop();
  ::unlink(socket_path.c_str());
  LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace pullsentry::plugin

int main(int argc, char** argv) { return pullsentry::plugin::Run(argc, argv); }
