#include "verify/sigstore/set.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "verify/crypto/digest.h"
#include "verify/sigstore/canonical_json.h"

namespace pullsentry::sigstore {

absl::StatusOr<std::string> SignedEntryTimestampPayload(const TlogEntry& entry) {
  nlohmann::json payload = {
      {"body", crypto::Base64Encode(entry.canonicalized_body)},
      {"integratedTime", entry.integrated_time},
      {"logID", HexEncode(entry.log_id)},
      {"logIndex", entry.log_index},
  };
  return CanonicalizeJson(payload);
}

absl::Status VerifySignedEntryTimestamp(const TlogEntry& entry, const TrustedRoot& root) {
  if (!entry.signed_entry_timestamp.has_value()) {
    return absl::FailedPreconditionError("tlog entry has no signed entry timestamp");
  }
  if (entry.integrated_time <= 0) {
    return absl::FailedPreconditionError("tlog entry has a signed entry timestamp but no integratedTime");
  }
  // The key must have been the log's when the entry was integrated: a
  // retired (possibly leaked) key must not vouch for later entries.
  Time at{std::chrono::seconds(entry.integrated_time)};
  absl::StatusOr<const TransparencyLog*> log = root.FindTlog(entry.log_id, at);
  if (!log.ok()) return log.status();
  absl::StatusOr<std::string> payload = SignedEntryTimestampPayload(entry);
  if (!payload.ok()) return payload.status();
  absl::Status s = (*log)->key->Verify(*payload, *entry.signed_entry_timestamp);
  if (!s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("signed entry timestamp of entry ", entry.log_index,
                                                    " does not verify with the key of log ", (*log)->HostName()));
  }
  return absl::OkStatus();
}

}  // namespace pullsentry::sigstore
