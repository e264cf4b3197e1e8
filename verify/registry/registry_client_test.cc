// Behaviour of the real libcurl client against testdata/test_registry.py, a
// scripted registry on 127.0.0.1 (plus a second port playing blob storage).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "verify/crypto/digest.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/curl_transport.h"
#include "verify/registry/registry_client.h"
#include "verify/registry/registry_limits.h"

extern char** environ;

namespace pullsentry::registry {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Must match testdata/test_registry.py.
const std::string kBlob = "signature payload\n";
const Credentials kAlice{"alice", "secret", "", ""};

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// The scripted server, started once for the suite.
class TestRegistry {
 public:
  static TestRegistry* Start() {
    int fds[2];
    if (pipe(fds) != 0) return nullptr;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const char* argv[] = {"/usr/bin/python3", REGISTRY_TEST_SERVER, nullptr};
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      return nullptr;
    }
    auto* server = new TestRegistry(pid);
    FILE* out = fdopen(fds[0], "r");
    if (out == nullptr || std::fscanf(out, "%d %d", &server->port_, &server->storage_port_) != 2) {
      if (out != nullptr) std::fclose(out);
      delete server;
      return nullptr;
    }
    std::fclose(out);
    return server;
  }
  ~TestRegistry() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // How often the server saw event `name` (see the server's docstring).
  int Count(const std::string& name) const {
    auto transport = NewCurlTransport({});
    HttpRequest request;
    request.url = "http://" + host() + "/_count/" + name;
    request.max_body_bytes = 64;
    auto response = transport->Send(request);
    if (!response.ok() || response->status != 200) return -1;
    return std::stoi(response->body);
  }

 private:
  explicit TestRegistry(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  int port_ = 0;
  int storage_port_ = 0;
};

class RegistryClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = TestRegistry::Start(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "could not start " << REGISTRY_TEST_SERVER;
    options_.insecure_registries = {server_->host()};
    options_.max_manifest_bytes = 4096;
    options_.connect_timeout = milliseconds(2000);
    options_.request_timeout = milliseconds(5000);
    context_.deadline = steady_clock::now() + std::chrono::seconds(10);
  }

  std::unique_ptr<RegistryClient> Client() { return NewCurlRegistryClient(options_); }

  reference::ImageReference Repo(const std::string& name) {
    auto ref = reference::ParseNormalized(server_->host() + "/" + name);
    EXPECT_TRUE(ref.ok()) << ref.status();
    return *ref;
  }

  PullContext WithCredentials(Credentials creds) {
    PullContext context = context_;
    context.credentials = std::move(creds);
    return context;
  }

  static TestRegistry* server_;
  RegistryOptions options_;
  PullContext context_;
};

TestRegistry* RegistryClientTest::server_ = nullptr;

TEST_F(RegistryClientTest, FetchesManifestByTag) {
  auto manifest = Client()->GetManifest(Repo("good"), "v1", context_);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->digest, crypto::Sha256Digest(manifest->body));
  EXPECT_EQ(manifest->media_type, "application/vnd.oci.image.manifest.v1+json");  // parameters stripped
  EXPECT_NE(manifest->body.find("schemaVersion"), std::string::npos);
}

TEST_F(RegistryClientTest, FetchesManifestByDigest) {
  auto client = Client();
  auto by_tag = client->GetManifest(Repo("good"), "v1", context_);
  ASSERT_TRUE(by_tag.ok()) << by_tag.status();
  auto by_digest = client->GetManifest(Repo("good"), by_tag->digest, context_);
  ASSERT_TRUE(by_digest.ok()) << by_digest.status();
  EXPECT_EQ(by_digest->body, by_tag->body);
}

TEST_F(RegistryClientTest, MediaTypeFallsBackToBody) {
  auto manifest = Client()->GetManifest(Repo("notype"), "v1", context_);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->media_type, "application/vnd.oci.image.manifest.v1+json");
}

TEST_F(RegistryClientTest, FetchesBlob) {
  auto blob = Client()->GetBlob(Repo("good"), crypto::Sha256Digest(kBlob), 1024, context_);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(*blob, kBlob);
}

TEST_F(RegistryClientTest, RejectsManifestDisagreeingWithDockerContentDigest) {
  auto manifest = Client()->GetManifest(Repo("bad"), "v1", context_);
  ASSERT_EQ(manifest.status().code(), absl::StatusCode::kDataLoss) << manifest.status();
  EXPECT_NE(Message(manifest.status()).find("content does not match"), std::string::npos);
}

TEST_F(RegistryClientTest, RejectsManifestNotMatchingRequestedDigest) {
  auto good = Client()->GetManifest(Repo("good"), "v1", context_);
  ASSERT_TRUE(good.ok()) << good.status();
  auto manifest = Client()->GetManifest(Repo("bad"), good->digest, context_);
  ASSERT_EQ(manifest.status().code(), absl::StatusCode::kDataLoss) << manifest.status();
  EXPECT_NE(Message(manifest.status()).find("content does not match digest"), std::string::npos);
}

TEST_F(RegistryClientTest, RejectsBlobNotMatchingDigest) {
  auto blob = Client()->GetBlob(Repo("bad"), crypto::Sha256Digest(kBlob), 1024, context_);
  EXPECT_EQ(blob.status().code(), absl::StatusCode::kDataLoss) << blob.status();
}

TEST_F(RegistryClientTest, MissingManifestIsNotFoundNamingRegistryAndWhat) {
  auto manifest = Client()->GetManifest(Repo("missing"), "v1", context_);
  ASSERT_EQ(manifest.status().code(), absl::StatusCode::kNotFound) << manifest.status();
  const std::string message = Message(manifest.status());
  EXPECT_NE(message.find("registry " + server_->host()), std::string::npos) << message;
  EXPECT_NE(message.find("manifest missing:v1"), std::string::npos) << message;
  EXPECT_NE(message.find("MANIFEST_UNKNOWN"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(RegistryClientTest, OversizeManifestIsResourceExhausted) {
  auto manifest = Client()->GetManifest(Repo("big"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kResourceExhausted) << manifest.status();
}

TEST_F(RegistryClientTest, OversizeChunkedManifestIsCutOffWhileReceiving) {
  auto manifest = Client()->GetManifest(Repo("bigchunked"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kResourceExhausted) << manifest.status();
}

TEST_F(RegistryClientTest, OversizeBlobIsResourceExhausted) {
  auto blob = Client()->GetBlob(Repo("good"), crypto::Sha256Digest(kBlob), kBlob.size() - 1, context_);
  EXPECT_EQ(blob.status().code(), absl::StatusCode::kResourceExhausted) << blob.status();
}

TEST_F(RegistryClientTest, TrickleEndsAtTheCallersDeadline) {
  context_.deadline = steady_clock::now() + milliseconds(500);
  const auto start = steady_clock::now();
  auto manifest = Client()->GetManifest(Repo("slow"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kDeadlineExceeded) << manifest.status();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST_F(RegistryClientTest, PassedDeadlineFailsWithoutRequest) {
  context_.deadline = steady_clock::now() - milliseconds(1);
  auto manifest = Client()->GetManifest(Repo("good"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kDeadlineExceeded) << manifest.status();
}

TEST_F(RegistryClientTest, ServerErrorIsUnavailable) {
  auto manifest = Client()->GetManifest(Repo("error"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kUnavailable) << manifest.status();
}

TEST_F(RegistryClientTest, BearerTokenFromBasicCredentialsIsFetchedOnceAndCached) {
  auto client = Client();
  const int tokens_before = server_->Count("token");
  for (int i = 0; i < 3; ++i) {
    auto manifest = client->GetManifest(Repo("bearer"), "v1", WithCredentials(kAlice));
    ASSERT_TRUE(manifest.ok()) << manifest.status();
  }
  EXPECT_EQ(server_->Count("token") - tokens_before, 1);
}

TEST_F(RegistryClientTest, ConcurrentPullsShareOneClient) {
  auto client = Client();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (!client->GetManifest(Repo("bearer"), "v1", WithCredentials(kAlice)).ok()) ++failures;
        if (!client->GetBlob(Repo("good"), crypto::Sha256Digest(kBlob), 1024, context_).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(RegistryClientTest, CachedTokenIsNotSharedWithAnonymousPulls) {
  auto client = Client();
  ASSERT_TRUE(client->GetManifest(Repo("bearer"), "v1", WithCredentials(kAlice)).ok());
  auto anonymous = client->GetManifest(Repo("bearer"), "v1", context_);
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();
}

TEST_F(RegistryClientTest, BearerWithWrongPasswordIsUnauthenticatedWithoutLeakingIt) {
  auto manifest = Client()->GetManifest(Repo("bearer"), "v1", WithCredentials({"alice", "hunter2", "", ""}));
  ASSERT_EQ(manifest.status().code(), absl::StatusCode::kUnauthenticated) << manifest.status();
  EXPECT_EQ(Message(manifest.status()).find("hunter2"), std::string::npos);
  EXPECT_NE(Message(manifest.status()).find("manifest bearer:v1"), std::string::npos);
}

TEST_F(RegistryClientTest, BearerWithIdentityTokenPostsRefreshGrant) {
  auto manifest = Client()->GetManifest(Repo("bearer"), "v1", WithCredentials({"", "", "refresh-alice", ""}));
  EXPECT_TRUE(manifest.ok()) << manifest.status();
}

TEST_F(RegistryClientTest, RegistryTokenIsSentAsBearer) {
  auto manifest = Client()->GetManifest(Repo("bearer"), "v1", WithCredentials({"", "", "", "tok-alice"}));
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  auto refused = Client()->GetManifest(Repo("bearer"), "v1", WithCredentials({"", "", "", "stolen"}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
}

TEST_F(RegistryClientTest, RegistryTokenCannotInjectHeaders) {
  auto manifest =
      Client()->GetManifest(Repo("bearer"), "v1", WithCredentials({"", "", "", "x\r\nAuthorization: Bearer tok-alice"}));
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kInvalidArgument) << manifest.status();
}

TEST_F(RegistryClientTest, BasicAuth) {
  auto manifest = Client()->GetManifest(Repo("basic"), "v1", WithCredentials(kAlice));
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  auto wrong = Client()->GetManifest(Repo("basic"), "v1", WithCredentials({"alice", "hunter2", "", ""}));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated) << wrong.status();
  EXPECT_EQ(Message(wrong.status()).find("hunter2"), std::string::npos);
  auto anonymous = Client()->GetManifest(Repo("basic"), "v1", context_);
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();
}

TEST_F(RegistryClientTest, CredentialsComeFromTheAuthFile) {
  char dir_template[] = "/tmp/ps-registry-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/auth.json";
  std::ofstream(path) << R"({"auths":{")" << server_->host() << R"(":{"auth":")"
                      << crypto::Base64Encode("alice:secret") << R"("}}})";
  options_.auth_file = path;
  auto manifest = Client()->GetManifest(Repo("basic"), "v1", context_);
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  // Credentials in the request win over the file.
  auto wrong = Client()->GetManifest(Repo("basic"), "v1", WithCredentials({"alice", "hunter2", "", ""}));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated) << wrong.status();

  std::ofstream(path) << "{not json";
  auto malformed = Client()->GetManifest(Repo("basic"), "v1", context_);
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument) << malformed.status();
  EXPECT_NE(Message(malformed.status()).find(path), std::string::npos);
  std::remove(path.c_str());
  std::remove(dir_template);
}

TEST_F(RegistryClientTest, BlobRedirectToStorageDropsAuthorization) {
  const int leaks_before = server_->Count("storage_auth");
  const int storage_before = server_->Count("storage");
  auto blob = Client()->GetBlob(Repo("redirect"), crypto::Sha256Digest(kBlob), 1024, WithCredentials(kAlice));
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(*blob, kBlob);
  EXPECT_EQ(server_->Count("storage") - storage_before, 1);
  EXPECT_EQ(server_->Count("storage_auth") - leaks_before, 0);
}

TEST_F(RegistryClientTest, RedirectLoopIsBounded) {
  options_.max_redirects = 3;
  auto blob = Client()->GetBlob(Repo("redirectloop"), crypto::Sha256Digest(kBlob), 1024, context_);
  EXPECT_FALSE(blob.ok());
  EXPECT_NE(Message(blob.status()).find("redirects"), std::string::npos) << blob.status();
}

TEST_F(RegistryClientTest, UnauthorizedLoopIsBounded) {
  const int before = server_->Count("loop");
  auto manifest = Client()->GetManifest(Repo("loop"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kUnauthenticated) << manifest.status();
  const int requests = server_->Count("loop") - before;
  EXPECT_GE(requests, 2);
  EXPECT_LE(requests, kMaxAuthAttempts);
}

TEST_F(RegistryClientTest, ConnectionRefusedIsUnavailableWithCurlsMessage) {
  // Port 1 on loopback: nothing listens there.
  options_.insecure_registries = {"127.0.0.1:1"};
  auto ref = reference::ParseNormalized("127.0.0.1:1/demo/app:v1");
  ASSERT_TRUE(ref.ok());
  auto manifest = Client()->GetManifest(*ref, "v1", context_);
  ASSERT_EQ(manifest.status().code(), absl::StatusCode::kUnavailable) << manifest.status();
  const std::string message = Message(manifest.status());
  EXPECT_EQ(message.rfind("registry 127.0.0.1:1 unreachable fetching manifest demo/app:v1: ", 0), 0u) << message;
  EXPECT_NE(message.find("onnect"), std::string::npos) << message;
}

TEST_F(RegistryClientTest, RegistryNotListedInsecureIsReachedOverTls) {
  options_.insecure_registries.clear();
  auto manifest = Client()->GetManifest(Repo("good"), "v1", context_);
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kUnavailable) << manifest.status();
}

TEST_F(RegistryClientTest, RejectsMalformedTagAndDigestBeforeAnyRequest) {
  auto client = Client();
  EXPECT_EQ(client->GetManifest(Repo("good"), "../../etc", context_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->GetManifest(Repo("good"), "v1?x=1", context_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->GetBlob(Repo("good"), "sha256:abc", 10, context_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pullsentry::registry
