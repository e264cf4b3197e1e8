// libFuzzer entry point for the Notation JWS envelope parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/notation/fuzz_envelope_common.h"
#include "verify/notation/jws_envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto env = pullsentry::notation::ParseJwsEnvelope(std::string_view(reinterpret_cast<const char*>(data), size));
  if (env.ok()) pullsentry::notation::internal::ExerciseEnvelope(*env);
  return 0;
}
