// libFuzzer entry point for the RFC 8785 canonicaliser. Canonical output
// must be a fixed point: canonicalising it again gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "verify/sigstore/canonical_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto once = pullsentry::sigstore::CanonicalizeJsonText(std::string_view(reinterpret_cast<const char*>(data), size));
  if (once.ok()) {
    auto twice = pullsentry::sigstore::CanonicalizeJsonText(*once);
    if (!twice.ok() || *twice != *once) std::abort();
  }
  return 0;
}
