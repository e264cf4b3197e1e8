#include "plugin/control/containerd_verifier.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "plugin/control/control_server.h"

namespace pullsentry::control {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'c');
const std::string kOther = "sha256:" + std::string(64, 'd');

std::vector<std::string> ContainerdArgs(const std::string& name, const std::string& digest = kDigest) {
  // Exactly what containerd's bindir verifier passes.
  return {"-name", name, "-digest", digest, "-stdin-media-type", kDescriptorMediaType};
}

std::string Descriptor(const std::string& digest = kDigest) {
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest + R"(","size":527})";
}

Deadline Soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(5); }

TEST(HookArgsTest, AcceptsGoFlagSpellings) {
  absl::StatusOr<HookArgs> single = ParseHookArgs(ContainerdArgs("registry.example/app:v1"));
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_EQ(single->name, "registry.example/app:v1");
  EXPECT_EQ(single->digest, kDigest);
  absl::StatusOr<HookArgs> mixed =
      ParseHookArgs({"--name=registry.example/app:v1", "-digest=" + kDigest, "--stdin-media-type", kDescriptorMediaType});
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  EXPECT_EQ(mixed->name, "registry.example/app:v1");
}

TEST(HookArgsTest, RejectsWhatContainerdNeverSends) {
  EXPECT_FALSE(ParseHookArgs({}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name", "app"}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name", "app", "-digest", "sha256:xyz"}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name", "app", "-digest", kDigest, "-stdin-media-type", "text/plain"}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name", "app", "-digest", kDigest, "-other", "x"}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name", "a", "-name", "b", "-digest", kDigest}).ok());
  EXPECT_FALSE(ParseHookArgs({"app", "-digest", kDigest}).ok());
  EXPECT_FALSE(ParseHookArgs({"-name"}).ok());
}

TEST(HookDescriptorTest, ChecksShapeAndDigest) {
  HookArgs args{"app", kDigest, kDescriptorMediaType};
  EXPECT_TRUE(CheckDescriptor(Descriptor(), args).ok());
  EXPECT_FALSE(CheckDescriptor(Descriptor(kOther), args).ok());
  EXPECT_FALSE(CheckDescriptor("", args).ok());
  EXPECT_FALSE(CheckDescriptor("{", args).ok());
  EXPECT_FALSE(CheckDescriptor(R"({"digest":")" + kDigest + R"("})", args).ok());
  EXPECT_FALSE(CheckDescriptor(std::string(kMaxDescriptorBytes + 1, ' '), args).ok());
}

class HookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ps-hook-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    socket_ = dir_ + "/control.sock";
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartDaemon() {
    ControlHandlers handlers;
    handlers.verify = [](const VerifyQuery& query) -> absl::StatusOr<VerifyAnswer> {
      last_name_ = query.name;
      if (query.name.find("slow") != std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      if (query.name.find("lying") != std::string::npos) return VerifyAnswer{true, "ok", kOther, ""};
      bool admitted = query.name.find("signed") != std::string::npos;
      return VerifyAnswer{admitted, admitted ? "signed by team.pub" : "no signature for the digest", query.digest, ""};
    };
    ControlServerOptions options;
    options.socket_path = socket_;
    options.allowed_uid = ::geteuid();
    server_ = *ControlServer::Start(options, handlers);
  }
  static inline std::string last_name_;
  std::string dir_, socket_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(HookTest, AllowsWhatTheDaemonAdmits) {
  StartDaemon();
  HookOutcome outcome =
      RunContainerdVerifier(ContainerdArgs("registry.example/signed:v1"), Descriptor(), socket_, Soon());
  EXPECT_EQ(outcome.exit_code, kHookAllow) << outcome.reason;
  EXPECT_EQ(last_name_, "registry.example/signed:v1");
}

TEST_F(HookTest, BlocksWhatTheDaemonRefusesWithItsReason) {
  StartDaemon();
  HookOutcome outcome = RunContainerdVerifier(ContainerdArgs("registry.example/plain:v1"), Descriptor(), socket_, Soon());
  EXPECT_EQ(outcome.exit_code, kHookBlock);
  EXPECT_NE(outcome.reason.find("no signature for the digest"), std::string::npos) << outcome.reason;
  EXPECT_EQ(outcome.reason.find('\n'), std::string::npos);
}

TEST_F(HookTest, BlocksAnAdmissionOfAnotherDigest) {
  StartDaemon();
  HookOutcome outcome = RunContainerdVerifier(ContainerdArgs("registry.example/lying:v1"), Descriptor(), socket_, Soon());
  EXPECT_EQ(outcome.exit_code, kHookBlock) << outcome.reason;
}

TEST_F(HookTest, BlocksAMismatchedDescriptorWithoutAsking) {
  StartDaemon();
  last_name_.clear();
  HookOutcome outcome =
      RunContainerdVerifier(ContainerdArgs("registry.example/signed:v1"), Descriptor(kOther), socket_, Soon());
  EXPECT_EQ(outcome.exit_code, kHookBlock);
  EXPECT_TRUE(last_name_.empty());
}

TEST_F(HookTest, BlocksWhenTheDaemonIsUnreachable) {
  HookOutcome outcome =
      RunContainerdVerifier(ContainerdArgs("registry.example/signed:v1"), Descriptor(), socket_, Soon());
  EXPECT_EQ(outcome.exit_code, kHookBlock);
  EXPECT_NE(outcome.reason.find("no verdict from pullsentryd"), std::string::npos) << outcome.reason;
}

TEST_F(HookTest, BlocksWhenTheDaemonIsTooSlow) {
  StartDaemon();
  auto started = std::chrono::steady_clock::now();
  HookOutcome outcome = RunContainerdVerifier(ContainerdArgs("registry.example/signed-slow:v1"), Descriptor(), socket_,
                                              std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  EXPECT_EQ(outcome.exit_code, kHookBlock) << outcome.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST_F(HookTest, BlocksOnGarbageAnswers) {
  for (const std::string& garbage :
       {std::string("yes\n"), std::string("{\"ok\":true}\n"), std::string("{\"ok\":true,\"admitted\":1,\"reason\":\"\"}\n"),
        std::string("{\"ok\":true,\"admitted\":true")}) {
    std::filesystem::remove(socket_);
    int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_.c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    std::thread fake([listener, garbage] {
      int fd = ::accept(listener, nullptr, nullptr);
      char request[4096];
      (void)!::read(fd, request, sizeof(request));
      (void)!::write(fd, garbage.data(), garbage.size());
      ::close(fd);
    });
    HookOutcome outcome =
        RunContainerdVerifier(ContainerdArgs("registry.example/signed:v1"), Descriptor(), socket_, Soon());
    fake.join();
    ::close(listener);
    EXPECT_EQ(outcome.exit_code, kHookBlock) << garbage;
  }
}

TEST_F(HookTest, UsageErrorsBlockToo) {
  HookOutcome outcome = RunContainerdVerifier({"--help-me"}, Descriptor(), socket_, Soon());
  EXPECT_NE(outcome.exit_code, kHookAllow);
}

}  // namespace
}  // namespace pullsentry::control
