#include "verify/sigstore/tlog_entry.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/sigstore/checkpoint.h"
#include "verify/sigstore/merkle.h"
#include "verify/sigstore/set.h"

namespace pullsentry::sigstore {
namespace {

absl::Status Context(const absl::Status& s, std::string_view step) {
  return absl::Status(s.code(), absl::StrCat(std::string(step), ": ", s.message()));
}

}  // namespace

absl::StatusOr<TlogEntryCheck> VerifyTlogEntry(const TlogEntry& entry, const TrustedRoot& root,
                                               bool require_inclusion_proof) {
  TlogEntryCheck out;
  if (!entry.signed_entry_timestamp.has_value() && !entry.inclusion_proof.has_value()) {
    return absl::FailedPreconditionError("tlog entry carries neither a signed entry timestamp nor an inclusion proof");
  }
  if (require_inclusion_proof && !entry.inclusion_proof.has_value()) {
    return absl::FailedPreconditionError("tlog entry has no inclusion proof");
  }
  std::optional<Time> at;
  if (entry.integrated_time > 0) at = Time(std::chrono::seconds(entry.integrated_time));
  absl::StatusOr<const TransparencyLog*> log = root.FindTlog(entry.log_id, at);
  if (!log.ok()) return log.status();
  out.log = *log;

  if (entry.signed_entry_timestamp.has_value()) {
    if (absl::Status s = VerifySignedEntryTimestamp(entry, root); !s.ok()) return s;
    out.integrated_time = at;
  }
  // A v0.1 bundle may carry a proof without a checkpoint; with a verified
  // SET and no demand for inclusion it adds nothing and is left unchecked.
  bool skip_proof = entry.inclusion_proof.has_value() && !entry.inclusion_proof->checkpoint.has_value() &&
                    out.integrated_time.has_value() && !require_inclusion_proof;
  if (entry.inclusion_proof.has_value() && !skip_proof) {
    const InclusionProof& proof = *entry.inclusion_proof;
    absl::Status s = VerifyInclusion(static_cast<uint64_t>(proof.log_index), static_cast<uint64_t>(proof.tree_size),
                                     MerkleLeafHash(entry.canonicalized_body), proof.hashes, proof.root_hash);
    if (!s.ok()) return Context(s, absl::StrCat("entry ", entry.log_index));
    // A proof to a root nobody signed proves nothing.
    if (!proof.checkpoint.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("entry ", entry.log_index, ": inclusion proof without a checkpoint"));
    }
    s = VerifyCheckpointForProof(*proof.checkpoint, **log, static_cast<uint64_t>(proof.tree_size), proof.root_hash);
    if (!s.ok()) return Context(s, absl::StrCat("entry ", entry.log_index));
    out.inclusion_proven = true;
  }
  return out;
}

}  // namespace pullsentry::sigstore
