// libFuzzer entry point for the simple-signing payload parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/cosign/simple_signing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)pullsentry::cosign::ParseSimpleSigningPayload(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
