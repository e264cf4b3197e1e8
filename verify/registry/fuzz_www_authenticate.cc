// libFuzzer target: ParseWwwAuthenticate on arbitrary header values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/registry/registry_limits.h"
#include "verify/registry/www_authenticate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  auto challenges = pullsentry::registry::ParseWwwAuthenticate(header);
  if (challenges.ok()) {
    // The bounds the header promises must hold for whatever was accepted.
    if (challenges->empty() || challenges->size() > pullsentry::registry::kMaxChallenges) __builtin_trap();
    for (const auto& challenge : *challenges) {
      if (challenge.scheme.empty() || challenge.params.size() > pullsentry::registry::kMaxChallengeParams) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
