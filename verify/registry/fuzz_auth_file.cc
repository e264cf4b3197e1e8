// libFuzzer target: AuthFile::Parse and Lookup on arbitrary file contents.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "verify/reference/image_reference.h"
#include "verify/registry/auth_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view contents(reinterpret_cast<const char*>(data), size);
  auto file = pullsentry::registry::AuthFile::Parse(contents, "fuzz.json");
  if (!file.ok()) {
    // A parse error must never echo the input (it may hold passwords); the
    // only input-derived text allowed is an entry key, so check a long input
    // is not reproduced wholesale.
    if (size > 64 && std::string(file.status().message()).find(contents) != std::string::npos) __builtin_trap();
    return 0;
  }
  for (const char* name : {"docker.io/library/nginx", "quay.io/acme/app", "localhost:5000/a/b/c"}) {
    auto ref = pullsentry::reference::ParseNormalized(name);
    if (ref.ok()) (void)file->Lookup(*ref);
  }
  (void)pullsentry::registry::NormalizeAuthKey(contents);
  return 0;
}
