// Conversion of a containers-policy.json(5) document into the native policy
// format, deciding the same for every image.
#ifndef PULLSENTRY_TRUST_NATIVE_POLICY_IMPORT_H_
#define PULLSENTRY_TRUST_NATIVE_POLICY_IMPORT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::trust {

// Returns native policy JSON (version 1, two-space indented) equivalent to
// the containers policy `json`: the same scope wins for every image, with
// the same requirements (all of them: allOf), keys and signedIdentity, all
// in enforce mode. Relative keyPath values are resolved against `base_dir`
// and written as absolute paths, so the result is valid anywhere.
//
// InvalidArgument when `json` is not a valid containers policy (the
// ContainersPolicy::Parse error, unchanged) or holds something the native
// format cannot say the same way: inline keys (keyData, keyDatas: write the
// key to a file and use keyPath) and docker scopes that can never match an
// image (not fully expanded, or with both tag and digest). The output is
// checked by parsing it with NativePolicy::Parse before it is returned.
absl::StatusOr<std::string> ImportContainersPolicy(std::string_view json, const std::string& base_dir);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_NATIVE_POLICY_IMPORT_H_
