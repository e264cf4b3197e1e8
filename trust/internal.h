// Helpers shared by the files of the trust module; not API.
#ifndef PULLSENTRY_TRUST_INTERNAL_H_
#define PULLSENTRY_TRUST_INTERNAL_H_

#include <string_view>

#include "absl/status/status.h"

namespace pullsentry::trust::internal {

// A remapIdentity prefix or signedPrefix: host[:port], or a fully expanded
// repository or namespace (docker.io/library, not library). Stricter than
// containers/image's validateIdentityRemappingPrefix, which accepts some
// values (short names) that can then never match; here they fail to load.
absl::Status ValidateRemapPrefix(std::string_view prefix);

}  // namespace pullsentry::trust::internal

#endif  // PULLSENTRY_TRUST_INTERNAL_H_
