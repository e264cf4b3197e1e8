// Transparency-log checkpoints in the signed-note format (C2SP
// tlog-checkpoint and signed-note): the log's signed statement of its size
// and root hash, which an inclusion proof must lead to.
//
//   <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n...]
//   \n
//   — <signer name> <base64(4-byte key hint || signature)>\n   (one or more)
#ifndef PULLSENTRY_VERIFY_SIGSTORE_CHECKPOINT_H_
#define PULLSENTRY_VERIFY_SIGSTORE_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::sigstore {

struct CheckpointSignature {
  std::string name;
  std::string key_hint;   // 4 bytes
  std::string signature;  // the rest
};

struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 bytes
  std::vector<std::string> extensions;
  std::string signed_text;  // the note text: every body line with its "\n"
  std::vector<CheckpointSignature> signatures;
};

// Parses a checkpoint envelope. InvalidArgument naming the line and rule
// for anything malformed (no blank line, a size with leading zeros, a root
// that is not 32 bytes of base64, a signature line not starting with the em
// dash "—", control characters) or over the limits in sigstore_limits.h.
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view envelope);

// The signed-note key hint `log` signs with: for ECDSA (Rekor v1) the first
// 4 bytes of SHA-256 of its DER key; for Ed25519 (Rekor v2) the first 4
// bytes of SHA-256(name || "\n" || 0x01 || raw key), name = its host name.
std::string CheckpointKeyHint(const TransparencyLog& log);

// Checks that `checkpoint` carries a valid signature by `log` and that its
// origin is the log's: its host name, or Rekor v1's "<name> - <tree id>"
// form (which Rekor v1 builds from its own configured name, not the URL).
// PermissionDenied with a one-line reason otherwise.
absl::Status VerifyCheckpointSignature(const Checkpoint& checkpoint, const TransparencyLog& log);

// Parses `envelope`, verifies it with `log`, and requires its size and root
// to equal the inclusion proof's. InvalidArgument for a malformed envelope,
// PermissionDenied for a bad signature or a mismatch.
absl::Status VerifyCheckpointForProof(std::string_view envelope, const TransparencyLog& log, uint64_t tree_size,
                                      std::string_view root_hash);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_CHECKPOINT_H_
