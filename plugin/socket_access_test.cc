#include "plugin/socket_access.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "plugin/cri/image_service.grpc.pb.h"
#include "plugin/server_health_probe.h"

namespace pullsentry::plugin {
namespace {

class SocketDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("socket-access-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A real bound unix socket file, mode as the umask leaves it.
  std::string BoundSocket(const std::string& name) {
    std::string path = (dir_ / name).string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
    ::chmod(path.c_str(), 0777);
    return path;
  }

  static struct stat Stat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st;
  }

  std::filesystem::path dir_;
};

TEST_F(SocketDir, ModeBecomes0660) {
  std::string path = BoundSocket("a.sock");
  ASSERT_TRUE(RestrictSocketAccess(path, "").ok());
  EXPECT_EQ(Stat(path).st_mode & 07777, 0660u);
}

TEST_F(SocketDir, UnknownGroupIsNotFoundAndTheSocketStaysOwnerAndOwnGroupOnly) {
  std::string path = BoundSocket("b.sock");
  gid_t before = Stat(path).st_gid;
  absl::Status status = RestrictSocketAccess(path, "no-such-group-pullsentry-test");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_NE(status.message().find("groupadd --system"), std::string::npos) << status;
  EXPECT_EQ(Stat(path).st_mode & 07777, 0660u);
  EXPECT_EQ(Stat(path).st_gid, before);
}

TEST_F(SocketDir, GroupIsApplied) {
  std::string path = BoundSocket("c.sock");
  // The process's own group always works (no CAP_CHOWN needed); as root,
  // any other existing group does too.
  struct group* own = ::getgrgid(::getegid());
  ASSERT_NE(own, nullptr);
  ASSERT_TRUE(RestrictSocketAccess(path, own->gr_name).ok());
  EXPECT_EQ(Stat(path).st_gid, ::getegid());
  if (::geteuid() == 0) {
    struct group* other = ::getgrnam("nogroup");
    if (other != nullptr) {
      gid_t other_gid = other->gr_gid;
      ASSERT_TRUE(RestrictSocketAccess(path, "nogroup").ok());
      EXPECT_EQ(Stat(path).st_gid, other_gid);
    }
  }
}

TEST_F(SocketDir, MissingSocketNamesThePath) {
  absl::Status status = RestrictSocketAccess((dir_ / "missing.sock").string(), "");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("missing.sock"), std::string::npos) << status;
}

TEST_F(SocketDir, HealthProbeNeedsAnAnsweringServer) {
  std::string endpoint = "unix://" + (dir_ / "health.sock").string();
  ServerHealthProbe probe(endpoint, std::chrono::milliseconds(500));
  EXPECT_FALSE(probe.Check().ok());  // nothing listens yet

  EnableServerHealthService();
  // The daemon's service (every call unimplemented here): the health service
  // answers on the same server threads.
  runtime::v1::ImageService::Service cri;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(endpoint, grpc::InsecureServerCredentials());
  builder.RegisterService(&cri);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  absl::Status status = probe.Check();
  EXPECT_TRUE(status.ok()) << status;

  server->GetHealthCheckService()->SetServingStatus(false);
  EXPECT_FALSE(probe.Check().ok());
  server->Shutdown();
}

}  // namespace
}  // namespace pullsentry::plugin
