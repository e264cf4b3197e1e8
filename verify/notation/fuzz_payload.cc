// libFuzzer entry point for the Notation payload parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/notation/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto payload = pullsentry::notation::ParsePayload(std::string_view(reinterpret_cast<const char*>(data), size));
  if (payload.ok()) {
    // A parsed descriptor always matches itself.
    if (!pullsentry::notation::CheckTargetArtifact(payload->target_artifact, payload->target_artifact).ok()) {
      __builtin_trap();
    }
  }
  return 0;
}
