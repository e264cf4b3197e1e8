// libFuzzer entry point for the x509.subject DN parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/notation/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dn = pullsentry::notation::ParseDistinguishedName(std::string_view(reinterpret_cast<const char*>(data), size));
  if (dn.ok()) {
    // Notation's mandatory attributes are always there, and a DN matches itself.
    if (!dn->contains("C") || !dn->contains("ST") || !dn->contains("O")) __builtin_trap();
    if (!pullsentry::notation::SubjectMatches(*dn, *dn)) __builtin_trap();
  }
  return 0;
}
