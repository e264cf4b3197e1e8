// libFuzzer entry point for the containers-policy.json parser. Relative key
// paths resolve under a directory that does not exist; absolute ones are read
// (regular files only, at most 64 KiB).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trust/containers_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)pullsentry::trust::ContainersPolicy::Parse(std::string_view(reinterpret_cast<const char*>(data), size),
                                                   "/nonexistent-pullsentry-fuzz");
  return 0;
}
