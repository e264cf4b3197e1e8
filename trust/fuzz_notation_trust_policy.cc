// libFuzzer entry point for the Notation trust policy parser and its
// conversion to the native format (needs trust_dep). Anything the parser
// accepts must convert to a native policy that loads; the converter returns
// InternalError otherwise, and that aborts here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/status/status.h"
#include "trust/notation_import.h"
#include "trust/notation_trust_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = pullsentry::trust::NotationTrustPolicyDocument::Parse(text);
  if (!doc.ok()) return 0;
  (void)(*doc)->Match("registry.example/acme/app");
  auto imported = pullsentry::trust::ImportNotationTrustPolicy(text);
  if (!imported.ok() && imported.status().code() == absl::StatusCode::kInternal) std::abort();
  return 0;
}
