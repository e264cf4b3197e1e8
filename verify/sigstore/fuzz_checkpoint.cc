// libFuzzer entry point for the signed-note checkpoint parser. A parsed
// checkpoint's signed text must be a prefix of the input ending in "\n".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "verify/sigstore/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cp = pullsentry::sigstore::ParseCheckpoint(input);
  if (cp.ok()) {
    if (!input.starts_with(cp->signed_text) || cp->signed_text.back() != '\n' || cp->signatures.empty() ||
        cp->root_hash.size() != 32) {
      std::abort();
    }
  }
  return 0;
}
