// ImageStatus: find a tagged image by the digest its tag was verified as.
#include "plugin/image_service_proxy.h"

namespace pullsentry::plugin {

grpc::Status ImageServiceProxy::ImageStatus(grpc::ServerContext* context,
                                            const runtime::v1::ImageStatusRequest* request,
                                            runtime::v1::ImageStatusResponse* response) {
  runtime::v1::ImageStatusRequest translated = *request;
  translated.mutable_image()->set_image(TranslateForRuntime(request->image().image()));
  auto client = grpc::ClientContext::FromServerContext(*context);
  grpc::Status status = runtime_->ImageStatus(client.get(), translated, response);
  if (status.ok() && response->has_image()) AddLedgerTags(response->mutable_image());
  return status;
}

}  // namespace pullsentry::plugin
