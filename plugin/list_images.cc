// ListImages: the runtime's list, with the tags pullsentry pinned.
#include "plugin/image_service_proxy.h"

namespace pullsentry::plugin {

grpc::Status ImageServiceProxy::ListImages(grpc::ServerContext* context,
                                           const runtime::v1::ListImagesRequest* request,
                                           runtime::v1::ListImagesResponse* response) {
  runtime::v1::ListImagesRequest translated = *request;
  if (request->has_filter() && request->filter().has_image() && !request->filter().image().image().empty()) {
    translated.mutable_filter()->mutable_image()->set_image(TranslateForRuntime(request->filter().image().image()));
  }
  auto client = grpc::ClientContext::FromServerContext(*context);
  grpc::Status status = runtime_->ListImages(client.get(), translated, response);
  if (status.ok()) {
    for (runtime::v1::Image& image : *response->mutable_images()) AddLedgerTags(&image);
  }
  return status;
}

}  // namespace pullsentry::plugin
