// The signed entry timestamp (SET, the bundle's inclusionPromise): Rekor v1's
// signature, with its log key, over the RFC 8785 canonical JSON
//   {"body":<base64 canonicalizedBody>,"integratedTime":<int>,
//    "logID":<hex log id>,"logIndex":<global index>}
// It is what makes integratedTime a trusted time.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_SET_H_
#define PULLSENTRY_VERIFY_SIGSTORE_SET_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verify/sigstore/bundle.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::sigstore {

// The canonical JSON bytes the SET of `entry` signs.
absl::StatusOr<std::string> SignedEntryTimestampPayload(const TlogEntry& entry);

// Verifies the SET of `entry` with the key of the log its logId names, which
// must be valid at its integratedTime. FailedPrecondition when the entry has
// no SET or no integratedTime; NotFound when no log of the trusted root has
// that id or its key was not valid then; PermissionDenied when the signature
// does not verify.
absl::Status VerifySignedEntryTimestamp(const TlogEntry& entry, const TrustedRoot& root);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_SET_H_
