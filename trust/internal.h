// Helpers shared by the files of the trust module; not API.
#ifndef PULLSENTRY_TRUST_INTERNAL_H_
#define PULLSENTRY_TRUST_INTERNAL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pullsentry::trust::internal {

// A remapIdentity prefix or signedPrefix: host[:port], or a fully expanded
// repository or namespace (docker.io/library, not library). Stricter than
// containers/image's validateIdentityRemappingPrefix, which accepts some
// values (short names) that can then never match; here they fail to load.
absl::Status ValidateRemapPrefix(std::string_view prefix);

// At most `limit` bytes of a regular file (a FIFO or device named by mistake
// cannot hang the caller). Errors read `cannot read <what> "<path>": <why>`:
// NotFound when the file does not exist, InvalidArgument otherwise.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t limit, std::string_view what);

}  // namespace pullsentry::trust::internal

#endif  // PULLSENTRY_TRUST_INTERNAL_H_
