// libFuzzer entry point for the Sigstore trusted root parser; a parsed root
// must answer log lookups without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/sigstore/trusted_root.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto root = pullsentry::sigstore::TrustedRoot::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (root.ok()) {
    for (const auto& log : (*root)->tlogs()) {
      (void)(*root)->FindTlog(log.log_id, pullsentry::sigstore::Time(std::chrono::seconds(1700000000)));
      (void)log.HostName();
    }
  }
  return 0;
}
