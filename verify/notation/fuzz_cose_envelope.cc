// libFuzzer entry point for the Notation COSE_Sign1 envelope parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/notation/cose_envelope.h"
#include "verify/notation/fuzz_envelope_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto env = pullsentry::notation::ParseCoseEnvelope(std::string_view(reinterpret_cast<const char*>(data), size));
  if (env.ok()) {
    // The Sig_structure is a four-element CBOR array.
    if (env->signed_bytes.empty() || static_cast<unsigned char>(env->signed_bytes[0]) != 0x84) __builtin_trap();
    pullsentry::notation::internal::ExerciseEnvelope(*env);
  }
  return 0;
}
