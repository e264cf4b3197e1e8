// libFuzzer entry point for the native policy parser (needs trust_dep).
// Relative key paths and trust-store names resolve under a directory that
// does not exist; absolute key paths are read (regular files only, at most
// 64 KiB).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trust/native_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pullsentry::trust::NativePolicyOptions options;
  options.base_dir = "/nonexistent-pullsentry-fuzz";
  options.trust_store_dir = "/nonexistent-pullsentry-fuzz";
  auto policy =
      pullsentry::trust::NativePolicy::Parse(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (policy.ok()) {
    auto ref = pullsentry::reference::ParseNormalized("registry.example/acme/app:v1");
    if (ref.ok()) (void)(*policy)->Resolve(*ref, "default");
  }
  return 0;
}
