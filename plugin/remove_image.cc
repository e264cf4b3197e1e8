// RemoveImage: remove by the pinned digest, then forget the image's tags.
#include "plugin/image_service_proxy.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {

grpc::Status ImageServiceProxy::RemoveImage(grpc::ServerContext* context,
                                            const runtime::v1::RemoveImageRequest* request,
                                            runtime::v1::RemoveImageResponse* response) {
  runtime::v1::RemoveImageRequest translated = *request;
  translated.mutable_image()->set_image(TranslateForRuntime(request->image().image()));

  // The runtime removes the whole image with all its names, so learn those
  // names first: every ledger tag pinned to one of them goes too.
  runtime::v1::ImageStatusRequest status_request;
  *status_request.mutable_image() = translated.image();
  runtime::v1::ImageStatusResponse status_response;
  auto status_client = grpc::ClientContext::FromServerContext(*context);
  grpc::Status looked_up = runtime_->ImageStatus(status_client.get(), status_request, &status_response);

  auto client = grpc::ClientContext::FromServerContext(*context);
  grpc::Status removed = runtime_->RemoveImage(client.get(), translated, response);
  if (!removed.ok() || !looked_up.ok() || !status_response.has_image()) return removed;

  for (const std::string& repo_digest : status_response.image().repo_digests()) {
    size_t at = repo_digest.find('@');
    if (at == std::string::npos) continue;
    absl::Status forgotten = ledger_->Forget(repo_digest.substr(0, at), repo_digest.substr(at + 1));
    if (!forgotten.ok()) LogError("tag ledger: " + std::string(forgotten.message()));
  }
  return removed;
}

}  // namespace pullsentry::plugin
