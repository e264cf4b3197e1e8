// libFuzzer target: the control socket's request and answer parsers and the
// verifier hook's descriptor check, on arbitrary bytes.
//
// The daemon parses requests from its peers and the CLI and the hook parse
// the daemon's answers; none may crash, and a parsed request must survive a
// round trip unchanged (what the client sends is what the server reads).
// An answer that is not an explicit verdict must never read as admitted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugin/control/containerd_verifier.h"
#include "plugin/control/control_protocol.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pullsentry::control;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<ControlRequest> request = ParseRequest(text);
  if (request.ok()) {
    absl::StatusOr<ControlRequest> again = ParseRequest(SerializeRequest(*request));
    Check(again.ok());
    Check(again->op == request->op);
    Check(again->verify.name == request->verify.name);
    Check(again->verify.digest == request->verify.digest);
    Check(again->verify.kube_namespace == request->verify.kube_namespace);
  }

  absl::StatusOr<nlohmann::json> answer = ParseResponse(text);
  if (answer.ok()) {
    absl::StatusOr<VerifyAnswer> verdict = VerifyAnswerFromJson(*answer);
    if (verdict.ok() && verdict->admitted) Check((*answer)["admitted"].is_boolean() && (*answer)["admitted"].get<bool>());
    (void)StatusFromJson(answer->value("status", nlohmann::json()));
  }

  HookArgs args{"registry.example/app:v1", "sha256:" + std::string(64, 'a'), kDescriptorMediaType};
  (void)CheckDescriptor(text, args);
  return 0;
}
