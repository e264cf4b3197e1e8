// PullImage: verify, then pull exactly the verified digest.
#include <chrono>
#include <string>

#include "plugin/image_service_proxy.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {
namespace {

// gRPC deadlines are wall-clock; the registry client works on the steady clock.
std::chrono::steady_clock::time_point SteadyDeadline(const grpc::ServerContext& context) {
  auto deadline = context.deadline();
  if (deadline >= std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 365))
    return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - std::chrono::system_clock::now());
}

// Counts a PullImage call for as long as it runs.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() { --count_; }

 private:
  std::atomic<int>& count_;
};

grpc::Status ToGrpc(const absl::Status& status, const std::string& message) {
  auto code = static_cast<grpc::StatusCode>(status.code());
  // A failure to decide must never read as success.
  if (code == grpc::StatusCode::OK) code = grpc::StatusCode::INTERNAL;
  return grpc::Status(code, message);
}

}  // namespace

grpc::Status ImageServiceProxy::PullImage(grpc::ServerContext* context, const runtime::v1::PullImageRequest* request,
                                          runtime::v1::PullImageResponse* response) {
  InFlight counted(pulls_in_flight_);
  const std::string& requested = request->image().image();
  absl::StatusOr<reference::ImageReference> image = reference::ParseNormalized(requested);
  if (!image.ok()) {
    LogWarning("refused pull of \"" + requested + "\": " + std::string(image.status().message()));
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "pullsentry: " + std::string(image.status().message()));
  }

  registry::PullContext pull_context;
  pull_context.credentials = CredentialsFromAuthConfig(request->auth());
  pull_context.deadline = SteadyDeadline(*context);

  std::optional<std::string_view> kube_namespace;
  if (!request->sandbox_config().metadata().namespace_().empty())
    kube_namespace = request->sandbox_config().metadata().namespace_();

  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<verify::Verdict> verdict = verifier_(*image, kube_namespace, pull_context);
  auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();

  if (!verdict.ok()) {
    std::string message = "pullsentry refused " + image->String() + ": cannot verify: " +
                          std::string(verdict.status().message());
    LogWarning(message + " (" + std::to_string(elapsed_ms) + " ms)");
    return ToGrpc(verdict.status(), message);
  }
  if (!verdict->admitted) {
    std::string message = "pullsentry refused " + image->String() +
                          (verdict->digest.empty() ? "" : " (" + verdict->digest + ")") + ": " + verdict->reason;
    LogWarning(message + " [scope " + verdict->scope + ", " + std::to_string(elapsed_ms) + " ms]");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message);
  }

  // Pull exactly what was verified: a tag moved since cannot slip through.
  runtime::v1::PullImageRequest pinned = *request;
  pinned.mutable_image()->set_image(image->NameWithDigest(verdict->digest));
  auto client = grpc::ClientContext::FromServerContext(*context);
  grpc::Status pulled = runtime_->PullImage(client.get(), pinned, response);
  if (!pulled.ok()) {
    LogWarning("runtime failed to pull verified " + pinned.image().image() + ": " + pulled.error_message());
    return pulled;
  }
  if (image->HasTag()) {
    absl::Status recorded = ledger_->Record(image->Name(), image->tag, verdict->digest);
    if (!recorded.ok()) {
      // The image is verified and pulled; only the tag lookup is lost, which
      // costs a re-verification on the next pull.
      LogError("tag ledger: " + std::string(recorded.message()));
    }
  }
  std::string record = "admitted " + image->String() + " as " + pinned.image().image() + ": " + verdict->reason +
                       " [scope " + verdict->scope + ", mode " + verdict->mode +
                       (verdict->kube_namespace.empty() ? "" : ", namespace " + verdict->kube_namespace) + ", " +
                       std::to_string(elapsed_ms) + " ms]";
  // warn: admitted although the policy would refuse — operators must see it.
  if (verdict->action == "warn") {
    LogWarning(record);
  } else {
    LogInfo(record);
  }
  return pulled;
}

}  // namespace pullsentry::plugin
