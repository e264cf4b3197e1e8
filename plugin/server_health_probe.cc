#include "plugin/server_health_probe.h"

#include <grpcpp/health_check_service_interface.h>

#include <future>

namespace pullsentry::plugin {
namespace {

// grpc.health.v1 HealthCheckResponse{status: SERVING}: field 1, varint 1.
// The request for the whole server (service "") is the empty message.
constexpr unsigned char kServing[] = {0x08, 0x01};

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return {};
  std::string out;
  for (const grpc::Slice& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

}  // namespace

void EnableServerHealthService() { grpc::EnableDefaultHealthCheckService(true); }

ServerHealthProbe::ServerHealthProbe(const std::string& endpoint, std::chrono::milliseconds timeout)
    : endpoint_(endpoint), timeout_(timeout) {}

absl::Status ServerHealthProbe::Check() {
  // A fresh channel with its own connection each time: a channel that once
  // failed would otherwise wait out its reconnect backoff, and a shared one
  // could answer from a connection made before the server wedged.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  grpc::ByteBuffer request;  // empty HealthCheckRequest
  grpc::Slice empty;
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
  // The deadline above bounds the call; the callback always runs.
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return absl::UnavailableError("health check: " + status.error_message());
  if (Flatten(response) != std::string(reinterpret_cast<const char*>(kServing), sizeof(kServing)))
    return absl::UnavailableError("health check: server is not SERVING");
  return absl::OkStatus();
}

}  // namespace pullsentry::plugin
