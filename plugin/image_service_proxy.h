// The CRI ImageService that kubelet's imageServiceEndpoint points at.
//
// PullImage verifies first and then asks the runtime to pull exactly the
// verified digest; the other RPCs pass through, with tags translated through
// the tag ledger because runtimes record no tag for a pull by digest.
// Thread-safe: gRPC calls these methods from many threads.
#ifndef PULLSENTRY_PLUGIN_IMAGE_SERVICE_PROXY_H_
#define PULLSENTRY_PLUGIN_IMAGE_SERVICE_PROXY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plugin/cri/image_service.grpc.pb.h"
#include "plugin/tag_ledger.h"
#include "verify/pipeline/verdict.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::plugin {

// Decides one pull. The daemon binds this to the policy in force and the
// image verifier; tests bind it to scripted verdicts.
// `ns` is the pod's Kubernetes namespace, when the pull request names one.
using PullVerifier = std::function<absl::StatusOr<verify::Verdict>(
    const reference::ImageReference& image, std::optional<std::string_view> ns, const registry::PullContext& context)>;

class ImageServiceProxy final : public runtime::v1::ImageService::Service {
 public:
  ImageServiceProxy(std::unique_ptr<runtime::v1::ImageService::StubInterface> runtime, PullVerifier verifier,
                    TagLedger* ledger);

  grpc::Status PullImage(grpc::ServerContext* context, const runtime::v1::PullImageRequest* request,
                         runtime::v1::PullImageResponse* response) override;
  grpc::Status ImageStatus(grpc::ServerContext* context, const runtime::v1::ImageStatusRequest* request,
                           runtime::v1::ImageStatusResponse* response) override;
  grpc::Status ListImages(grpc::ServerContext* context, const runtime::v1::ListImagesRequest* request,
                          runtime::v1::ListImagesResponse* response) override;
  grpc::Status RemoveImage(grpc::ServerContext* context, const runtime::v1::RemoveImageRequest* request,
                           runtime::v1::RemoveImageResponse* response) override;
  grpc::Status ImageFsInfo(grpc::ServerContext* context, const runtime::v1::ImageFsInfoRequest* request,
                           runtime::v1::ImageFsInfoResponse* response) override;

  // PullImage calls under way (verifying or pulling); the drain on SIGTERM
  // waits for this to reach zero.
  int PullsInFlight() const { return pulls_in_flight_.load(); }

 private:
  // The runtime's spelling for an image named by kubelet: a tag recorded in
  // the ledger becomes name@digest; anything else is passed on unchanged.
  std::string TranslateForRuntime(const std::string& image) const;
  // Adds the ledger's tags to an image the runtime describes.
  void AddLedgerTags(runtime::v1::Image* image) const;

  std::unique_ptr<runtime::v1::ImageService::StubInterface> runtime_;
  PullVerifier verifier_;
  TagLedger* ledger_;
  std::atomic<int> pulls_in_flight_{0};
};

// Credentials carried by a CRI AuthConfig, or nullopt when it has none.
std::optional<registry::Credentials> CredentialsFromAuthConfig(const runtime::v1::AuthConfig& auth);

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_IMAGE_SERVICE_PROXY_H_
