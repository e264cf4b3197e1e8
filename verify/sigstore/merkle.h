// RFC 6962 / RFC 9162 Merkle tree inclusion proofs over SHA-256, as
// transparency logs (Rekor v1 and v2, CT) publish them.
#ifndef PULLSENTRY_VERIFY_SIGSTORE_MERKLE_H_
#define PULLSENTRY_VERIFY_SIGSTORE_MERKLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace pullsentry::sigstore {

inline constexpr size_t kMerkleHashBytes = 32;

// SHA-256(0x00 || leaf): the domain separation keeps a leaf from posing as a
// node (RFC 6962 §2.1).
std::string MerkleLeafHash(std::string_view leaf);
// SHA-256(0x01 || left || right).
std::string MerkleNodeHash(std::string_view left, std::string_view right);

// Checks that `leaf_hash` is leaf number `index` of the tree of `tree_size`
// leaves whose root is `root_hash`, by the inclusion proof `proof` (sibling
// hashes from the leaf up), per RFC 9162 §2.1.3.2. The proof must have
// exactly the length the index and size call for.
// InvalidArgument when index >= tree_size, a hash is not 32 bytes or the
// proof length is wrong; PermissionDenied ("inclusion proof: computed root
// … does not match …") when the proof leads to another root.
absl::Status VerifyInclusion(uint64_t index, uint64_t tree_size, std::string_view leaf_hash,
                             const std::vector<std::string>& proof, std::string_view root_hash);

}  // namespace pullsentry::sigstore

#endif  // PULLSENTRY_VERIFY_SIGSTORE_MERKLE_H_
