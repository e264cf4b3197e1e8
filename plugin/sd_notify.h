// Talking to the service manager (sd_notify(3)): readiness, status lines,
// stopping, and watchdog keep-alives. Outside systemd (no NOTIFY_SOCKET)
// every call is a no-op, so the daemon runs the same by hand.
//
// The watchdog pinger sends WATCHDOG=1 only while a health check passes: a
// daemon whose request threads are wedged stops pinging and systemd restarts
// it, instead of it sitting there refusing nothing and admitting nothing.
#ifndef PULLSENTRY_PLUGIN_SD_NOTIFY_H_
#define PULLSENTRY_PLUGIN_SD_NOTIFY_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace pullsentry::plugin {

// Sends one notification, e.g. "READY=1\nSTATUS=serving". An interface so
// tests can record what would be sent; the real one is libsystemd's.
class ServiceNotifier {
 public:
  virtual ~ServiceNotifier() = default;
  // Returns false when the message could not be sent (logged by the caller
  // at most; the daemon keeps working without a service manager).
  virtual bool Notify(std::string_view state) = 0;
  // The watchdog interval the service manager expects pings within
  // (WATCHDOG_USEC, for this process), or nullopt when there is no watchdog.
  virtual std::optional<std::chrono::microseconds> WatchdogInterval() const = 0;
};

// libsystemd's sd_notify/sd_watchdog_enabled: reads NOTIFY_SOCKET,
// WATCHDOG_USEC and WATCHDOG_PID from the environment on every call.
std::unique_ptr<ServiceNotifier> NewSystemdNotifier();

// Status-line helpers. Newlines in `status` are replaced: one line per
// STATUS= is what systemctl status shows.
void NotifyReady(ServiceNotifier& notifier, std::string_view status);
void NotifyStatus(ServiceNotifier& notifier, std::string_view status);
void NotifyStopping(ServiceNotifier& notifier, std::string_view status);

// Pings WATCHDOG=1 from its own thread every `period` while `healthy()`
// returns true; a failed check is logged once per change and no ping is
// sent, so the service manager's watchdog fires if it lasts. `healthy` runs
// on the pinger's thread and should return within `period`.
class WatchdogPinger {
 public:
  using HealthCheck = std::function<bool()>;

  // Starts the thread. `notifier` must outlive the pinger.
  WatchdogPinger(ServiceNotifier* notifier, std::chrono::microseconds period, HealthCheck healthy);
  // Stops and joins the thread.
  ~WatchdogPinger();
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

  // Starts a pinger at half the service manager's interval (sd_watchdog_enabled(3)
  // recommends pinging at half), or returns null when there is no watchdog.
  static std::unique_ptr<WatchdogPinger> StartIfRequested(ServiceNotifier* notifier, HealthCheck healthy);

 private:
  void Loop();

  ServiceNotifier* const notifier_;
  const std::chrono::microseconds period_;
  const HealthCheck healthy_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_SD_NOTIFY_H_
