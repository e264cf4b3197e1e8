// Construction, shared helpers and the pass-through RPCs of the proxy.
#include "plugin/image_service_proxy.h"

#include <algorithm>

#include "verify/crypto/digest.h"

namespace pullsentry::plugin {

ImageServiceProxy::ImageServiceProxy(std::unique_ptr<runtime::v1::ImageService::StubInterface> runtime,
                                     PullVerifier verifier, TagLedger* ledger)
    : runtime_(std::move(runtime)), verifier_(std::move(verifier)), ledger_(ledger) {}

std::string ImageServiceProxy::TranslateForRuntime(const std::string& image) const {
  if (reference::IsImageId(image)) return image;
  auto ref = reference::ParseNormalized(image);
  if (!ref.ok() || ref->HasDigest()) return image;
  if (std::optional<std::string> digest = ledger_->Lookup(ref->Name(), ref->tag)) return ref->NameWithDigest(*digest);
  return image;
}

void ImageServiceProxy::AddLedgerTags(runtime::v1::Image* image) const {
  for (const std::string& repo_digest : std::vector<std::string>(image->repo_digests().begin(),
                                                                 image->repo_digests().end())) {
    size_t at = repo_digest.find('@');
    if (at == std::string::npos) continue;
    std::string name = repo_digest.substr(0, at);
    std::string digest = repo_digest.substr(at + 1);
    for (const std::string& tag : ledger_->TagsFor(name, digest)) {
      std::string tagged = name + ":" + tag;
      if (std::find(image->repo_tags().begin(), image->repo_tags().end(), tagged) == image->repo_tags().end())
        image->add_repo_tags(tagged);
    }
  }
}

grpc::Status ImageServiceProxy::ImageFsInfo(grpc::ServerContext* context,
                                            const runtime::v1::ImageFsInfoRequest* request,
                                            runtime::v1::ImageFsInfoResponse* response) {
  auto client = grpc::ClientContext::FromServerContext(*context);
  return runtime_->ImageFsInfo(client.get(), *request, response);
}

std::optional<registry::Credentials> CredentialsFromAuthConfig(const runtime::v1::AuthConfig& auth) {
  registry::Credentials credentials;
  credentials.username = auth.username();
  credentials.password = auth.password();
  credentials.identity_token = auth.identity_token();
  credentials.registry_token = auth.registry_token();
  // `auth` is base64("user:password"), as in docker's config.json.
  if (credentials.username.empty() && !auth.auth().empty()) {
    if (std::optional<std::string> decoded = crypto::Base64Decode(auth.auth())) {
      size_t colon = decoded->find(':');
      if (colon != std::string::npos) {
        credentials.username = decoded->substr(0, colon);
        credentials.password = decoded->substr(colon + 1);
      }
    }
  }
  if (credentials.empty()) return std::nullopt;
  return credentials;
}

}  // namespace pullsentry::plugin
