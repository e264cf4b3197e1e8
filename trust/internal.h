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

// `s` in JSON string syntax, cut at 256 bytes: how every message of the
// trust module quotes a value from a policy or a file.
std::string Quote(std::string_view s);

// pullsentry's native format's name rules: a Kubernetes namespace (a
// DNS-1123 label) and a verifier name. The parser and the linter share them.
bool IsDns1123Label(std::string_view s);
bool IsVerifierName(std::string_view s);

// At most `limit` bytes of a regular file (a FIFO or device named by mistake
// cannot hang the caller). Errors read `cannot read <what> "<path>": <why>`:
// NotFound when the file does not exist, InvalidArgument otherwise.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t limit, std::string_view what);

}  // namespace pullsentry::trust::internal

#endif  // PULLSENTRY_TRUST_INTERNAL_H_
