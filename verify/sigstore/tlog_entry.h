// One transparency-log entry of a bundle checked against the trusted root:
// its SET (when present), its RFC 6962 inclusion proof over the
// canonicalized body, and the signed checkpoint the proof leads to. The
// pieces are set.h, merkle.h and checkpoint.h; this file fixes their order.
// Whether the entry describes the bundle's signature (hashedrekord, dsse,
// intoto consistency) is a later step, not this one.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_TLOG_ENTRY_H_
#define PULLSENTRY_VERIFY_SIGSTORE_TLOG_ENTRY_H_

#include <optional>

#include "absl/status/statusor.h"
#include "verify/sigstore/bundle.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::sigstore {

struct TlogEntryCheck {
  const TransparencyLog* log = nullptr;  // the entry's log, from the trusted root
  // integratedTime when the SET vouched for it. nullopt otherwise (Rekor v2,
  // or a v0.2+ entry without SET): the log was then picked by id alone (or
  // at the unverified integratedTime), and the caller must check
  // log->valid_for at a trusted time, e.g. from an RFC 3161 timestamp.
  std::optional<Time> integrated_time;
  bool inclusion_proven = false;  // proof and checkpoint verified
};

// Checks `entry`. `require_inclusion_proof` is true for bundles from v0.2
// on (the parser already insists) and for policies that want more than a
// promise. Errors: NotFound when the log is unknown or its key not valid at
// integratedTime; PermissionDenied for a SET, proof or checkpoint that does
// not verify; FailedPrecondition when the entry carries neither a SET nor a
// proof, or no checkpoint for a proof it needs (a v0.1 entry with a verified
// SET may carry a proof without one; that proof is then not checked).
absl::StatusOr<TlogEntryCheck> VerifyTlogEntry(const TlogEntry& entry, const TrustedRoot& root,
                                               bool require_inclusion_proof);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_TLOG_ENTRY_H_
