#include "plugin/control/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/control/control_client.h"
#include "plugin/control/unix_socket.h"

namespace pullsentry::control {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'b');

Deadline Soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(5); }

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ps-control-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    socket_ = dir_ + "/run/control.sock";  // the directory is created by Start
    handlers_.status = [] {
      StatusReport status;
      status.version = "test";
      status.policy_hash = "sha256:feed";
      status.counters["decisions_admitted"] = 2;
      return status;
    };
    handlers_.verify = [this](const VerifyQuery& query) -> absl::StatusOr<VerifyAnswer> {
      ++verify_calls_;
      if (query.name == "broken") return absl::UnavailableError("registry down");
      bool admitted = query.name.find("signed") != std::string::npos;
      return VerifyAnswer{admitted, admitted ? "signed by team.pub" : "no signature", query.digest, "scope"};
    };
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start(std::chrono::milliseconds idle = std::chrono::seconds(10)) {
    ControlServerOptions options;
    options.socket_path = socket_;
    options.allowed_uid = ::geteuid();
    options.idle_timeout = idle;
    absl::StatusOr<std::unique_ptr<ControlServer>> server = ControlServer::Start(options, handlers_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  // Sends raw bytes, returns the first answer line (or the error).
  absl::StatusOr<std::string> Raw(const std::string& bytes) {
    absl::StatusOr<UniqueFd> fd = ConnectUnix(socket_);
    if (!fd.ok()) return fd.status();
    if (absl::Status sent = WriteAll(fd->get(), bytes, Soon()); !sent.ok()) return sent;
    std::string buffer;
    return ReadLine(fd->get(), &buffer, kMaxResponseBytes, Soon());
  }

  std::string dir_, socket_;
  ControlHandlers handlers_;
  std::atomic<int> verify_calls_{0};
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, AnswersStatus) {
  Start();
  absl::StatusOr<StatusReport> status = QueryStatus(socket_, Soon());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->policy_hash, "sha256:feed");
  EXPECT_EQ(status->counters["decisions_admitted"], 2u);
}

TEST_F(ControlServerTest, SocketIsPrivate) {
  Start();
  struct stat info {};
  ASSERT_EQ(::stat(socket_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_uid, ::geteuid());
}

TEST_F(ControlServerTest, VerifiesAdmittedRefusedAndUndecided) {
  Start();
  absl::StatusOr<VerifyAnswer> yes = QueryVerify(socket_, {"registry.example/signed:v1", kDigest, {}}, Soon());
  ASSERT_TRUE(yes.ok()) << yes.status();
  EXPECT_TRUE(yes->admitted);
  EXPECT_EQ(yes->digest, kDigest);
  absl::StatusOr<VerifyAnswer> no = QueryVerify(socket_, {"registry.example/plain:v1", kDigest, {}}, Soon());
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->admitted);
  EXPECT_EQ(no->reason, "no signature");
  absl::StatusOr<VerifyAnswer> error = QueryVerify(socket_, {"broken", kDigest, {}}, Soon());
  EXPECT_TRUE(absl::IsFailedPrecondition(error.status()));
  EXPECT_NE(error.status().message().find("registry down"), std::string::npos);
}

TEST_F(ControlServerTest, MissingCacheSaysSo) {
  Start();
  absl::StatusOr<nlohmann::json> listed = CallControl(socket_, {Operation::kCacheList, {}}, Soon());
  EXPECT_TRUE(absl::IsFailedPrecondition(listed.status()));
  EXPECT_NE(listed.status().message().find("cache not enabled"), std::string::npos);
}

TEST_F(ControlServerTest, CacheOperationsReachTheHandlers) {
  handlers_.cache_list = []() -> absl::StatusOr<nlohmann::json> { return nlohmann::json::array({{{"digest", "d"}}}); };
  handlers_.cache_flush = []() -> absl::StatusOr<uint64_t> { return 4; };
  Start();
  absl::StatusOr<nlohmann::json> listed = CallControl(socket_, {Operation::kCacheList, {}}, Soon());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)["entries"][0]["digest"], "d");
  absl::StatusOr<nlohmann::json> flushed = CallControl(socket_, {Operation::kCacheFlush, {}}, Soon());
  ASSERT_TRUE(flushed.ok());
  EXPECT_EQ((*flushed)["flushed"], 4);
}

TEST_F(ControlServerTest, ServesSeveralRequestsOnOneConnection) {
  Start();
  absl::StatusOr<UniqueFd> fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "{\"op\":\"status\"}\n{\"op\":\"nope\"}\n{\"op\":\"status\"}\n", Soon()).ok());
  std::string buffer;
  EXPECT_TRUE(ParseResponse(*ReadLine(fd->get(), &buffer, kMaxResponseBytes, Soon())).ok());
  EXPECT_FALSE(ParseResponse(*ReadLine(fd->get(), &buffer, kMaxResponseBytes, Soon())).ok());
  EXPECT_TRUE(ParseResponse(*ReadLine(fd->get(), &buffer, kMaxResponseBytes, Soon())).ok());
}

TEST_F(ControlServerTest, OversizedRequestIsRefusedAndClosed) {
  Start();
  absl::StatusOr<std::string> answer = Raw(std::string(kMaxRequestBytes + 10, 'x'));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_NE(answer->find("longer than"), std::string::npos);
}

TEST_F(ControlServerTest, IdleConnectionIsClosed) {
  Start(std::chrono::milliseconds(200));
  absl::StatusOr<UniqueFd> fd = ConnectUnix(socket_);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(fd->get(), "{\"op\":", Soon()).ok());  // never finished
  std::string buffer;
  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> line = ReadLine(fd->get(), &buffer, kMaxResponseBytes, Soon());
  EXPECT_TRUE(absl::IsOutOfRange(line.status())) << line.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(ControlServerTest, SecondServerOnALiveSocketFails) {
  Start();
  ControlServerOptions options;
  options.socket_path = socket_;
  absl::StatusOr<std::unique_ptr<ControlServer>> second = ControlServer::Start(options, handlers_);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_TRUE(QueryStatus(socket_, Soon()).ok());  // the first one still answers
}

TEST_F(ControlServerTest, StaleSocketIsReplacedAndStopRemovesIt) {
  Start();
  server_->Stop();
  EXPECT_FALSE(std::filesystem::exists(socket_));
  // A socket file left by a crashed daemon: nothing listens on it.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
  Start();
  EXPECT_TRUE(QueryStatus(socket_, Soon()).ok());
}

TEST_F(ControlServerTest, NonSocketInTheWayIsNotRemoved) {
  std::filesystem::create_directories(std::filesystem::path(socket_).parent_path());
  { std::ofstream(socket_) << "keep me"; }
  ControlServerOptions options;
  options.socket_path = socket_;
  EXPECT_FALSE(ControlServer::Start(options, handlers_).ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_));
}

TEST_F(ControlServerTest, OverlongPathIsRefusedSayingSo) {
  ControlServerOptions options;
  options.socket_path = dir_ + "/" + std::string(120, 'x') + ".sock";
  absl::StatusOr<std::unique_ptr<ControlServer>> server = ControlServer::Start(options, handlers_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("longer than 107 bytes"), std::string::npos) << server.status();
}

TEST_F(ControlServerTest, UnreachableDaemonIsUnavailable) {
  absl::StatusOr<StatusReport> status = QueryStatus(socket_, Soon());
  EXPECT_TRUE(absl::IsUnavailable(status.status())) << status.status();
}

// The peer check behind the socket's mode: even with the mode loosened, a
// peer that is neither root nor the daemon's user gets nothing.
TEST_F(ControlServerTest, RefusesOtherUsersEvenWithALooseMode) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
  Start();
  ASSERT_EQ(::chmod(socket_.c_str(), 0666), 0);
  ASSERT_EQ(::chmod(std::filesystem::path(socket_).parent_path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only system calls between fork and _exit: the parent has threads.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) ::_exit(4);
    const char request[] = "{\"op\":\"status\"}\n";
    // The daemon may have answered and closed already: no SIGPIPE.
    (void)!::send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL);
    char answer[512];
    ssize_t n = ::read(fd, answer, sizeof(answer));
    if (n > 0) (void)!::write(pipe_fds[1], answer, static_cast<size_t>(n));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  char chunk[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], chunk, sizeof(chunk))) > 0;) answer.append(chunk, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int wait_status = 0;
  ::waitpid(child, &wait_status, 0);
  ASSERT_TRUE(WIFEXITED(wait_status));
  ASSERT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_NE(answer.find("permission denied"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("sha256:feed"), std::string::npos) << answer;
}

}  // namespace
}  // namespace pullsentry::control
