#include "plugin/sd_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>

#include "plugin/logging.h"

namespace pullsentry::plugin {
namespace {

class SystemdNotifier final : public ServiceNotifier {
 public:
  bool Notify(std::string_view state) override {
    // sd_notify returns 0 when NOTIFY_SOCKET is unset: nothing to tell.
    return sd_notify(0, std::string(state).c_str()) >= 0;
  }

  std::optional<std::chrono::microseconds> WatchdogInterval() const override {
    uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is us.
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec);
  }
};

std::string OneLine(std::string_view text) {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

}  // namespace

std::unique_ptr<ServiceNotifier> NewSystemdNotifier() { return std::make_unique<SystemdNotifier>(); }

void NotifyReady(ServiceNotifier& notifier, std::string_view status) {
  notifier.Notify("READY=1\nSTATUS=" + OneLine(status));
}

void NotifyStatus(ServiceNotifier& notifier, std::string_view status) { notifier.Notify("STATUS=" + OneLine(status)); }

void NotifyStopping(ServiceNotifier& notifier, std::string_view status) {
  notifier.Notify("STOPPING=1\nSTATUS=" + OneLine(status));
}

WatchdogPinger::WatchdogPinger(ServiceNotifier* notifier, std::chrono::microseconds period, HealthCheck healthy)
    : notifier_(notifier), period_(std::max(period, std::chrono::microseconds(1000))), healthy_(std::move(healthy)) {
  thread_ = std::thread([this] { Loop(); });
}

WatchdogPinger::~WatchdogPinger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::unique_ptr<WatchdogPinger> WatchdogPinger::StartIfRequested(ServiceNotifier* notifier, HealthCheck healthy) {
  std::optional<std::chrono::microseconds> interval = notifier->WatchdogInterval();
  if (!interval) return nullptr;
  return std::make_unique<WatchdogPinger>(notifier, *interval / 2, std::move(healthy));
}

void WatchdogPinger::Loop() {
  bool was_healthy = true;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    const bool healthy = healthy_();
    if (healthy) notifier_->Notify("WATCHDOG=1");
    if (healthy != was_healthy) {
      // Said once per change, not every period.
      if (healthy) {
        LogInfo("health check passes again; watchdog pings resumed");
      } else {
        LogError("health check failed: the CRI server does not answer; watchdog pings withheld");
      }
      was_healthy = healthy;
    }
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stop_; });
  }
}

}  // namespace pullsentry::plugin
