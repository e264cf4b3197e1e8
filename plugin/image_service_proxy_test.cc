// The proxy between two real gRPC endpoints on unix sockets: a scripted
// runtime that records what it is asked, and a client calling the proxy.
#include "plugin/image_service_proxy.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

namespace fs = std::filesystem;
using runtime::v1::ImageService;

const std::string kDigest = "sha256:" + std::string(64, 'd');
const std::string kImageId = "sha256:" + std::string(64, 'e');
const std::string kName = "registry.example/team/app";

// Stands in for containerd: remembers requests, knows one image.
class RecordingRuntime final : public ImageService::Service {
 public:
  grpc::Status PullImage(grpc::ServerContext* context, const runtime::v1::PullImageRequest* request,
                         runtime::v1::PullImageResponse* response) override {
    std::lock_guard lock(mu);
    pulls.push_back(*request);
    pull_had_deadline = context->deadline() < std::chrono::system_clock::now() + std::chrono::hours(1);
    response->set_image_ref(kImageId);
    return grpc::Status::OK;
  }
  grpc::Status ImageStatus(grpc::ServerContext*, const runtime::v1::ImageStatusRequest* request,
                           runtime::v1::ImageStatusResponse* response) override {
    std::lock_guard lock(mu);
    status_queries.push_back(request->image().image());
    if (request->image().image() == kName + "@" + kDigest || request->image().image() == kImageId) FillImage(response->mutable_image());
    return grpc::Status::OK;
  }
  grpc::Status ListImages(grpc::ServerContext*, const runtime::v1::ListImagesRequest*,
                          runtime::v1::ListImagesResponse* response) override {
    FillImage(response->add_images());
    response->add_images()->set_id("sha256:" + std::string(64, 'f'));
    return grpc::Status::OK;
  }
  grpc::Status RemoveImage(grpc::ServerContext*, const runtime::v1::RemoveImageRequest* request,
                           runtime::v1::RemoveImageResponse*) override {
    std::lock_guard lock(mu);
    removals.push_back(request->image().image());
    return grpc::Status::OK;
  }
  grpc::Status ImageFsInfo(grpc::ServerContext*, const runtime::v1::ImageFsInfoRequest*,
                           runtime::v1::ImageFsInfoResponse* response) override {
    response->add_image_filesystems()->mutable_fs_id()->set_mountpoint("/var/lib/runtime");
    return grpc::Status::OK;
  }

  static void FillImage(runtime::v1::Image* image) {
    image->set_id(kImageId);
    image->add_repo_digests(kName + "@" + kDigest);
  }

  std::mutex mu;
  std::vector<runtime::v1::PullImageRequest> pulls;
  std::vector<std::string> status_queries;
  std::vector<std::string> removals;
  bool pull_had_deadline = false;
};

class ImageServiceProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "proxy-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::string runtime_endpoint = "unix://" + (dir_ / "runtime.sock").string();
    std::string proxy_endpoint = "unix://" + (dir_ / "proxy.sock").string();

    grpc::ServerBuilder runtime_builder;
    runtime_builder.AddListeningPort(runtime_endpoint, grpc::InsecureServerCredentials());
    runtime_builder.RegisterService(&runtime_);
    runtime_server_ = runtime_builder.BuildAndStart();
    ASSERT_TRUE(runtime_server_);

    auto ledger = TagLedger::Open((dir_ / "ledger.json").string(), nullptr);
    ASSERT_TRUE(ledger.ok());
    ledger_ = std::move(*ledger);
    proxy_ = std::make_unique<ImageServiceProxy>(
        ImageService::NewStub(grpc::CreateChannel(runtime_endpoint, grpc::InsecureChannelCredentials())),
        [this](const reference::ImageReference& image, std::optional<std::string_view> ns,
               const registry::PullContext& context) {
          std::lock_guard lock(mu_);
          verified_.push_back(image.String());
          last_context_ = context;
          last_namespace_ = ns ? std::string(*ns) : "(none)";
          return next_verdict_;
        },
        ledger_.get());
    grpc::ServerBuilder proxy_builder;
    proxy_builder.AddListeningPort(proxy_endpoint, grpc::InsecureServerCredentials());
    proxy_builder.RegisterService(proxy_.get());
    proxy_server_ = proxy_builder.BuildAndStart();
    ASSERT_TRUE(proxy_server_);
    client_ = ImageService::NewStub(grpc::CreateChannel(proxy_endpoint, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    proxy_server_->Shutdown();
    runtime_server_->Shutdown();
    fs::remove_all(dir_);
  }

  void Admit(const std::string& digest) {
    verify::Verdict verdict;
    verdict.admitted = true;
    verdict.digest = digest;
    verdict.reason = "signed by test key";
    next_verdict_ = verdict;
  }

  grpc::Status Pull(const std::string& image, runtime::v1::PullImageResponse* response,
                    runtime::v1::PullImageRequest request = {}) {
    request.mutable_image()->set_image(image);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return client_->PullImage(&context, request, response);
  }

  runtime::v1::ImageStatusResponse Status(const std::string& image) {
    runtime::v1::ImageStatusRequest request;
    request.mutable_image()->set_image(image);
    runtime::v1::ImageStatusResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(client_->ImageStatus(&context, request, &response).ok());
    return response;
  }

  fs::path dir_;
  RecordingRuntime runtime_;
  std::unique_ptr<grpc::Server> runtime_server_;
  std::unique_ptr<TagLedger> ledger_;
  std::unique_ptr<ImageServiceProxy> proxy_;
  std::unique_ptr<grpc::Server> proxy_server_;
  std::unique_ptr<ImageService::Stub> client_;

  std::mutex mu_;
  absl::StatusOr<verify::Verdict> next_verdict_ = absl::InternalError("no verdict scripted");
  std::vector<std::string> verified_;
  registry::PullContext last_context_;
  std::string last_namespace_;
};

TEST_F(ImageServiceProxyTest, AdmittedPullAsksTheRuntimeForExactlyTheVerifiedDigest) {
  Admit(kDigest);
  runtime::v1::PullImageResponse response;
  ASSERT_TRUE(Pull(kName + ":v1", &response).ok());
  EXPECT_EQ(response.image_ref(), kImageId);
  ASSERT_EQ(runtime_.pulls.size(), 1u);
  EXPECT_EQ(runtime_.pulls[0].image().image(), kName + "@" + kDigest);
  EXPECT_EQ(verified_, std::vector<std::string>{kName + ":v1"});
  EXPECT_EQ(last_namespace_, "(none)");
  EXPECT_EQ(ledger_->Lookup(kName, "v1"), kDigest);
}

TEST_F(ImageServiceProxyTest, ShortNamesAreNormalisedBeforeVerification) {
  Admit(kDigest);
  runtime::v1::PullImageResponse response;
  ASSERT_TRUE(Pull("nginx", &response).ok());
  EXPECT_EQ(verified_, std::vector<std::string>{"docker.io/library/nginx:latest"});
  EXPECT_EQ(runtime_.pulls.at(0).image().image(), "docker.io/library/nginx@" + kDigest);
}

TEST_F(ImageServiceProxyTest, RefusedPullNeverReachesTheRuntime) {
  verify::Verdict verdict;
  verdict.digest = kDigest;
  verdict.reason = "no signature found";
  next_verdict_ = verdict;
  runtime::v1::PullImageResponse response;
  grpc::Status status = Pull(kName + ":v1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find(kName + ":v1"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find(kDigest), std::string::npos);
  EXPECT_NE(status.error_message().find("no signature found"), std::string::npos);
  EXPECT_TRUE(runtime_.pulls.empty());
  EXPECT_FALSE(ledger_->Lookup(kName, "v1").has_value());
}

TEST_F(ImageServiceProxyTest, FailureToDecideRefusesWithItsCode) {
  next_verdict_ = absl::UnavailableError("registry registry.example unreachable");
  runtime::v1::PullImageResponse response;
  grpc::Status status = Pull(kName + ":v1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("cannot verify"), std::string::npos);
  EXPECT_TRUE(runtime_.pulls.empty());
}

TEST_F(ImageServiceProxyTest, MalformedReferenceIsInvalidArgument) {
  runtime::v1::PullImageResponse response;
  EXPECT_EQ(Pull("Not A Reference", &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(verified_.empty());
}

TEST_F(ImageServiceProxyTest, CredentialsDeadlineAndSandboxConfigPassThrough) {
  Admit(kDigest);
  runtime::v1::PullImageRequest request;
  request.mutable_auth()->set_auth("dXNlcjpzZWNyZXQ=");  // user:secret
  request.mutable_sandbox_config()->mutable_metadata()->set_namespace_("team-a");
  // Field 2 (hostname) is not declared in pullsentry's proto: it must survive.
  request.mutable_sandbox_config()->GetReflection()->MutableUnknownFields(request.mutable_sandbox_config())
      ->AddLengthDelimited(2, "pod-host");
  runtime::v1::PullImageResponse response;
  ASSERT_TRUE(Pull(kName + ":v1", &response, request).ok());
  EXPECT_EQ(last_namespace_, "team-a");
  ASSERT_TRUE(last_context_.credentials.has_value());
  EXPECT_EQ(last_context_.credentials->username, "user");
  EXPECT_EQ(last_context_.credentials->password, "secret");
  EXPECT_LT(last_context_.deadline, std::chrono::steady_clock::now() + std::chrono::seconds(31));
  const auto& forwarded = runtime_.pulls.at(0);
  EXPECT_EQ(forwarded.auth().auth(), "dXNlcjpzZWNyZXQ=");
  EXPECT_EQ(forwarded.sandbox_config().metadata().namespace_(), "team-a");
  const auto& unknown = forwarded.sandbox_config().GetReflection()->GetUnknownFields(forwarded.sandbox_config());
  ASSERT_EQ(unknown.field_count(), 1);
  EXPECT_EQ(unknown.field(0).length_delimited(), "pod-host");
  EXPECT_TRUE(runtime_.pull_had_deadline);
}

TEST_F(ImageServiceProxyTest, ImageStatusByTagFindsThePinnedDigestAndReportsTheTag) {
  Admit(kDigest);
  runtime::v1::PullImageResponse pulled;
  ASSERT_TRUE(Pull(kName + ":v1", &pulled).ok());
  runtime::v1::ImageStatusResponse status = Status(kName + ":v1");
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().id(), kImageId);
  EXPECT_EQ(std::vector<std::string>(status.image().repo_tags().begin(), status.image().repo_tags().end()),
            std::vector<std::string>{kName + ":v1"});
  EXPECT_EQ(runtime_.status_queries.back(), kName + "@" + kDigest);
  EXPECT_EQ(runtime_.pulls.size(), 1u);
}

TEST_F(ImageServiceProxyTest, UnknownTagAndImageIdsPassThroughUnchanged) {
  EXPECT_FALSE(Status(kName + ":never-pulled").has_image());
  EXPECT_EQ(runtime_.status_queries.back(), kName + ":never-pulled");
  EXPECT_TRUE(Status(kImageId).has_image());
  EXPECT_EQ(runtime_.status_queries.back(), kImageId);
}

TEST_F(ImageServiceProxyTest, ListImagesAddsLedgerTags) {
  ASSERT_TRUE(ledger_->Record(kName, "v1", kDigest).ok());
  ASSERT_TRUE(ledger_->Record(kName, "stable", kDigest).ok());
  runtime::v1::ListImagesResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(client_->ListImages(&context, {}, &response).ok());
  ASSERT_EQ(response.images_size(), 2);
  EXPECT_EQ(std::vector<std::string>(response.images(0).repo_tags().begin(), response.images(0).repo_tags().end()),
            (std::vector<std::string>{kName + ":stable", kName + ":v1"}));
  EXPECT_EQ(response.images(1).repo_tags_size(), 0);
}

TEST_F(ImageServiceProxyTest, RemoveImageByTagRemovesTheDigestAndForgetsItsTags) {
  ASSERT_TRUE(ledger_->Record(kName, "v1", kDigest).ok());
  ASSERT_TRUE(ledger_->Record(kName, "stable", kDigest).ok());
  runtime::v1::RemoveImageRequest request;
  request.mutable_image()->set_image(kName + ":v1");
  runtime::v1::RemoveImageResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(client_->RemoveImage(&context, request, &response).ok());
  EXPECT_EQ(runtime_.removals, std::vector<std::string>{kName + "@" + kDigest});
  EXPECT_EQ(ledger_->size(), 0u);
}

TEST_F(ImageServiceProxyTest, ImageFsInfoPassesThrough) {
  runtime::v1::ImageFsInfoResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(client_->ImageFsInfo(&context, {}, &response).ok());
  ASSERT_EQ(response.image_filesystems_size(), 1);
  EXPECT_EQ(response.image_filesystems(0).fs_id().mountpoint(), "/var/lib/runtime");
}

}  // namespace
}  // namespace pullsentry::plugin
