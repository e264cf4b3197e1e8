#include "plugin/daemon_options.h"

#include <gtest/gtest.h>

namespace pullsentry::plugin {
namespace {

TEST(DaemonOptions, DefaultsMatchTheDocumentedPaths) {
  auto options = ParseDaemonOptions({});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->listen, "unix:///run/pullsentry/cri.sock");
  EXPECT_EQ(options->runtime_endpoint, "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(options->policy, "/etc/pullsentry/policy.json");
  EXPECT_EQ(options->state_dir, "/var/lib/pullsentry");
}

TEST(DaemonOptions, ParsesEveryFlagInBothSpellings) {
  auto options = ParseDaemonOptions({"--listen", "unix:///tmp/a.sock", "--runtime-endpoint=unix:///tmp/b.sock",
                                     "--policy", "/p.json", "--state-dir", "/s", "--insecure-registry",
                                     "127.0.0.1:5000", "--insecure-registry=localhost:5001", "--auth-file", "/a.json",
                                     "--registry-timeout", "7", "--log-level", "debug",
                                     "--trust-store", "/ts", "--default-policy", "reject"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "unix:///tmp/a.sock");
  EXPECT_EQ(options->runtime_endpoint, "unix:///tmp/b.sock");
  EXPECT_EQ(options->policy, "/p.json");
  EXPECT_EQ(options->state_dir, "/s");
  EXPECT_EQ(options->registry.insecure_registries, (std::set<std::string>{"127.0.0.1:5000", "localhost:5001"}));
  EXPECT_EQ(options->registry.auth_file, "/a.json");
  EXPECT_EQ(options->registry.request_timeout, std::chrono::seconds(7));
  EXPECT_EQ(options->log_level, "debug");
  EXPECT_EQ(options->trust_store, "/ts");
  EXPECT_EQ(options->default_policy, "reject");
}

TEST(DaemonOptions, RejectsBadInputNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{{{"--bogus", "x"}, "--bogus"},
                                         {{"--policy"}, "--policy"},
                                         {{"--listen", "tcp://0.0.0.0:1"}, "tcp://0.0.0.0:1"},
                                         {{"--runtime-endpoint", "unix://relative"}, "unix://relative"},
                                         {{"--registry-timeout", "0"}, "--registry-timeout"},
                                         {{"--registry-timeout", "5s"}, "--registry-timeout"},
                                         {{"--log-level", "loud"}, "--log-level"}}) {
    auto options = ParseDaemonOptions(c.args);
    ASSERT_FALSE(options.ok()) << c.args[0];
    EXPECT_NE(std::string(options.status().message()).find(c.mentions), std::string::npos)
        << options.status().message();
  }
}

TEST(DaemonOptions, SandboxAndShutdownFlags) {
  auto defaults = ParseDaemonOptions({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->no_seccomp);  // confined unless asked otherwise
  EXPECT_EQ(defaults->shutdown_timeout_seconds, 30);
  auto set = ParseDaemonOptions({"--no-seccomp", "--shutdown-timeout=7"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->no_seccomp);
  EXPECT_EQ(set->shutdown_timeout_seconds, 7);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--no-seccomp=yes"}, {"--shutdown-timeout", "0"}, {"--shutdown-timeout", "forever"}}) {
    auto options = ParseDaemonOptions(bad);
    ASSERT_FALSE(options.ok()) << bad[0];
    EXPECT_NE(std::string(options.status().message()).find(bad[0].substr(0, bad[0].find('='))), std::string::npos);
  }
}

TEST(DaemonOptions, ControlSocket) {
  EXPECT_EQ(ParseDaemonOptions({})->control_socket, "/run/pullsentry/control.sock");
  EXPECT_EQ(ParseDaemonOptions({"--control-socket", "/tmp/c.sock"})->control_socket, "/tmp/c.sock");
  EXPECT_EQ(ParseDaemonOptions({"--control-socket=/tmp/d.sock"})->control_socket, "/tmp/d.sock");
  absl::StatusOr<DaemonOptions> relative = ParseDaemonOptions({"--control-socket", "c.sock"});
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.status().message().find("--control-socket"), std::string::npos);
  EXPECT_NE(DaemonUsage().find("--control-socket"), std::string::npos);
}

TEST(DaemonOptions, UnixSocketPathStripsTheScheme) {
  EXPECT_EQ(*UnixSocketPath("unix:///run/x.sock"), "/run/x.sock");
  EXPECT_FALSE(UnixSocketPath("/run/x.sock").ok());
}

}  // namespace
}  // namespace pullsentry::plugin
