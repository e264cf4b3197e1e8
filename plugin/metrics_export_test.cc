#include "plugin/metrics_export.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "plugin/daemon_options.h"

namespace pullsentry::plugin {
namespace {

// Connects to the server and sends `request`; returns the whole answer.
std::string Exchange(const MetricsListenAddress& address, int port, const std::string& request) {
  UniqueFd fd;
  if (address.kind == MetricsListenAddress::Kind::kUnix) {
    fd.Reset(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, address.path.c_str(), sizeof sun.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) return "connect failed";
  } else {
    fd.Reset(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return "connect failed";
  }
  timeval timeout{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  (void)!::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<size_t>(n));
  return answer;
}

MetricsListenAddress Loopback() {
  MetricsListenAddress address;
  address.host = "127.0.0.1";
  address.port = 0;  // any free port
  return address;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pullsentry-export-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(ParseMetricsListenTest, LoopbackAndUnixOnly) {
  auto v4 = ParseMetricsListen("127.0.0.1:9464");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9464);
  EXPECT_TRUE(ParseMetricsListen("127.1.2.3:80").ok());
  auto v6 = ParseMetricsListen("[::1]:9464");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  auto unix_socket = ParseMetricsListen("unix:///run/pullsentry/metrics.sock");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->kind, MetricsListenAddress::Kind::kUnix);
  EXPECT_EQ(unix_socket->path, "/run/pullsentry/metrics.sock");

  for (const char* bad : {"0.0.0.0:9464", "10.0.0.1:9464", "[::]:9464", "[2001:db8::1]:9464", "localhost:9464",
                          "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1]9464",
                          "unix://relative", "unix://", ":9464"}) {
    EXPECT_FALSE(ParseMetricsListen(bad).ok()) << bad;
  }
  EXPECT_NE(ParseMetricsListen("0.0.0.0:1").status().message().find("loopback"), std::string_view::npos);
}

TEST_F(ExportTest, ServesMetricsAndOnlyMetrics) {
  std::atomic<int> scrapes{0};
  auto server = MetricsHttpServer::Start(Loopback(), [&] {
    ++scrapes;
    return std::string("demo_total 1\n");
  });
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  ASSERT_GT(port, 0);

  std::string ok = Exchange(Loopback(), port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(ok.find("Content-Length: 13\r\n"), std::string::npos);
  EXPECT_TRUE(ok.ends_with("\r\n\r\ndemo_total 1\n"));

  EXPECT_TRUE(Exchange(Loopback(), port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200"));
  std::string head = Exchange(Loopback(), port, "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  EXPECT_TRUE(Exchange(Loopback(), port, "GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Exchange(Loopback(), port, "GET /metricsx HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
  std::string post = Exchange(Loopback(), port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405")) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_TRUE(Exchange(Loopback(), port, "garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(Exchange(Loopback(), port, "GET /metrics SMTP\r\n\r\n").starts_with("HTTP/1.1 400"));
  EXPECT_EQ(scrapes.load(), 3);  // only the two GETs and the HEAD rendered
}

TEST_F(ExportTest, OversizedAndSilentClientsAreCutOff) {
  MetricsHttpServer::Limits limits;
  limits.max_request_bytes = 1024;
  limits.io_timeout = std::chrono::milliseconds(300);
  auto server = MetricsHttpServer::Start(Loopback(), [] { return std::string("x 1\n"); }, limits);
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();

  std::string huge = "GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a') + "\r\n\r\n";
  EXPECT_TRUE(Exchange(Loopback(), port, huge).starts_with("HTTP/1.1 431")) ;

  // A client that connects and says nothing holds the server for at most the timeout.
  auto started = std::chrono::steady_clock::now();
  std::string silent = Exchange(Loopback(), port, "");
  EXPECT_EQ(silent, "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_TRUE(Exchange(Loopback(), port, "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"));
}

TEST_F(ExportTest, StopsPromptlyWhileAClientIsSilent) {
  auto server = MetricsHttpServer::Start(Loopback(), [] { return std::string(); });
  ASSERT_TRUE(server.ok());
  UniqueFd idle(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>((*server)->port()));
  ::inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
  ASSERT_EQ(::connect(idle.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto started = std::chrono::steady_clock::now();
  server->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST_F(ExportTest, UnixSocketReplacesOnlyAStaleSocket) {
  std::string path = (dir_ / "metrics.sock").string();
  auto address = ParseMetricsListen("unix://" + path);
  ASSERT_TRUE(address.ok());
  {
    auto server = MetricsHttpServer::Start(*address, [] { return std::string("u 1\n"); });
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_TRUE(Exchange(*address, 0, "GET /metrics HTTP/1.1\r\n\r\n").ends_with("u 1\n"));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660);
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // removed at stop
  std::ofstream(path) << "not a socket";
  auto refused = MetricsHttpServer::Start(*address, [] { return std::string(); });
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(ExportTest, TextfilePathMustEndInPromAndHaveADirectory) {
  EXPECT_TRUE(ValidateTextfilePath((dir_ / "pullsentry.prom").string()).ok());
  EXPECT_FALSE(ValidateTextfilePath((dir_ / "pullsentry.txt").string()).ok());
  EXPECT_FALSE(ValidateTextfilePath((dir_ / ".prom").string()).ok());
  EXPECT_FALSE(ValidateTextfilePath((dir_ / "missing" / "pullsentry.prom").string()).ok());
}

TEST_F(ExportTest, TextfileIsReplacedAtomicallyPeriodicallyAndAtStop) {
  std::string path = (dir_ / "pullsentry.prom").string();
  std::atomic<int> renders{0};
  auto read = [&] {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  {
    auto writer = MetricsTextfileWriter::Start(path, std::chrono::seconds(1), [&] {
      return "demo_renders " + std::to_string(++renders) + "\n";
    });
    ASSERT_TRUE(writer.ok()) << writer.status();
    EXPECT_EQ(read(), "demo_renders 1\n");  // written before Start returns
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (read() == "demo_renders 1\n" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(read(), "demo_renders 2\n");
  }
  EXPECT_EQ(read(), "demo_renders " + std::to_string(renders.load()) + "\n");  // final write at stop
  EXPECT_GE(renders.load(), 3);
  // Nothing but the .prom file is left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".prom");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(ExportTest, UnwritableTextfileFailsStart) {
  std::filesystem::create_directories(dir_ / "blocked.prom.tmp");  // the temp name is taken by a directory
  auto writer = MetricsTextfileWriter::Start((dir_ / "blocked.prom").string(), std::chrono::seconds(1),
                                             [] { return std::string("x 1\n"); });
  EXPECT_FALSE(writer.ok());
}

}  // namespace
}  // namespace pullsentry::plugin

namespace pullsentry::plugin {
namespace {

TEST(ObservabilityFlagsTest, ParsedAndCheckedAtTheCommandLine) {
  auto parsed = ParseDaemonOptions({"--metrics-listen", "127.0.0.1:9464", "--metrics-textfile=/x/pullsentry.prom",
                                    "--metrics-textfile-interval", "30", "--audit-log", "/var/log/pullsentry.audit"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(parsed->metrics_textfile, "/x/pullsentry.prom");
  EXPECT_EQ(parsed->metrics_textfile_interval_seconds, 30);
  EXPECT_EQ(parsed->audit_log, "/var/log/pullsentry.audit");

  DaemonOptions defaults = *ParseDaemonOptions({});
  EXPECT_EQ(defaults.metrics_listen, "");  // off by default
  EXPECT_EQ(defaults.metrics_textfile, "");
  EXPECT_EQ(defaults.audit_log, "");
  EXPECT_EQ(defaults.metrics_textfile_interval_seconds, 15);

  EXPECT_FALSE(ParseDaemonOptions({"--metrics-textfile", "/x/metrics.txt"}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--metrics-textfile", "/x/.prom"}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--metrics-textfile-interval", "0"}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--metrics-listen", ""}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--audit-log", ""}).ok());
}

}  // namespace
}  // namespace pullsentry::plugin
