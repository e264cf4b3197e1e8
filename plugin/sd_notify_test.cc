#include "plugin/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace pullsentry::plugin {
namespace {

// A real NOTIFY_SOCKET: a unix datagram socket in a temporary directory.
class NotifySocket {
 public:
  NotifySocket() {
    dir_ = std::filesystem::temp_directory_path() / ("sd-notify-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "notify.sock").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }
  // The next datagram, or "" after the 2 s receive timeout.
  std::string Receive() {
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, n) : std::string();
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
  int fd_ = -1;
};

TEST(SdNotify, ReadyStatusAndStoppingReachTheSocket) {
  NotifySocket socket;
  std::unique_ptr<ServiceNotifier> notifier = NewSystemdNotifier();
  NotifyReady(*notifier, "serving\nunix:///x");
  EXPECT_EQ(socket.Receive(), "READY=1\nSTATUS=serving unix:///x");
  NotifyStatus(*notifier, "reloaded");
  EXPECT_EQ(socket.Receive(), "STATUS=reloaded");
  NotifyStopping(*notifier, "stopping");
  EXPECT_EQ(socket.Receive(), "STOPPING=1\nSTATUS=stopping");
}

TEST(SdNotify, WithoutNotifySocketNothingFails) {
  ::unsetenv("NOTIFY_SOCKET");
  std::unique_ptr<ServiceNotifier> notifier = NewSystemdNotifier();
  EXPECT_TRUE(notifier->Notify("READY=1"));
}

TEST(SdNotify, WatchdogIntervalComesFromTheEnvironmentForThisProcessOnly) {
  std::unique_ptr<ServiceNotifier> notifier = NewSystemdNotifier();
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_FALSE(notifier->WatchdogInterval().has_value());
  ::setenv("WATCHDOG_USEC", "200000", 1);
  ASSERT_TRUE(notifier->WatchdogInterval().has_value());
  EXPECT_EQ(notifier->WatchdogInterval()->count(), 200000);
  // Meant for another process (a parent that did not unset it).
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(notifier->WatchdogInterval().has_value());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

// Records notifications instead of sending them.
class RecordingNotifier : public ServiceNotifier {
 public:
  bool Notify(std::string_view state) override {
    if (state == "WATCHDOG=1") ++pings;
    return true;
  }
  std::optional<std::chrono::microseconds> WatchdogInterval() const override { return interval; }
  std::atomic<int> pings{0};
  std::optional<std::chrono::microseconds> interval;
};

TEST(WatchdogPinger, PingsWhileHealthyAndWithholdsWhenNot) {
  RecordingNotifier notifier;
  std::atomic<bool> healthy{true};
  std::atomic<int> failed_checks{0};
  {
    WatchdogPinger pinger(&notifier, std::chrono::milliseconds(10), [&] {
      bool ok = healthy.load();
      if (!ok) ++failed_checks;
      return ok;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_GE(notifier.pings.load(), 3);
    healthy = false;
    // Once a check has failed, a ping from a check that passed before is done.
    for (int i = 0; i < 500 && failed_checks.load() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_GE(failed_checks.load(), 1);
    int withheld_from = notifier.pings.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(notifier.pings.load(), withheld_from);
    healthy = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_GT(notifier.pings.load(), withheld_from);
  }
  // Stopped and joined: no more pings.
  int after_stop = notifier.pings.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(notifier.pings.load(), after_stop);
}

TEST(WatchdogPinger, StartsOnlyWhenTheServiceManagerAsks) {
  RecordingNotifier notifier;
  EXPECT_EQ(WatchdogPinger::StartIfRequested(&notifier, [] { return true; }), nullptr);
  notifier.interval = std::chrono::milliseconds(40);
  std::unique_ptr<WatchdogPinger> pinger = WatchdogPinger::StartIfRequested(&notifier, [] { return true; });
  ASSERT_NE(pinger, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Half of 40 ms: about ten pings; at least a few even on a loaded machine.
  EXPECT_GE(notifier.pings.load(), 4);
}

}  // namespace
}  // namespace pullsentry::plugin
