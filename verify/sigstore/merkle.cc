#include "verify/sigstore/merkle.h"

#include <openssl/evp.h>

#include <bit>

#include "absl/strings/str_cat.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::sigstore {
namespace {

std::string Sha256(unsigned char prefix, std::string_view a, std::string_view b) {
  std::string input;
  input.reserve(1 + a.size() + b.size());
  input.push_back(static_cast<char>(prefix));
  input.append(a).append(b);
  std::string out(kMerkleHashBytes, '\0');
  unsigned int len = 0;
  // EVP_Digest with SHA-256 fails only when out of memory; an empty result
  // then never matches a root.
  if (EVP_Digest(input.data(), input.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(),
                 nullptr) != 1) {
    return std::string();
  }
  return out;
}

}  // namespace

std::string MerkleLeafHash(std::string_view leaf) { return Sha256(0x00, leaf, {}); }

std::string MerkleNodeHash(std::string_view left, std::string_view right) { return Sha256(0x01, left, right); }

absl::Status VerifyInclusion(uint64_t index, uint64_t tree_size, std::string_view leaf_hash,
                             const std::vector<std::string>& proof, std::string_view root_hash) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("inclusion proof: leaf index ", index, " is not below the tree size ", tree_size));
  }
  if (leaf_hash.size() != kMerkleHashBytes || root_hash.size() != kMerkleHashBytes) {
    return absl::InvalidArgumentError("inclusion proof: leaf and root hashes must be 32 bytes");
  }
  // The path from leaf `index` to the root of a tree of `tree_size` leaves
  // has one sibling per level where the node is not the lone right edge:
  // the bits of index ^ last below their highest differing bit, plus one
  // per set bit of `index` above it (RFC 9162 §2.1.3.2 walks the same path).
  const uint64_t last = tree_size - 1;
  const size_t inner = static_cast<size_t>(std::bit_width(index ^ last));
  const size_t border = static_cast<size_t>(std::popcount(index >> inner));
  if (proof.size() != inner + border) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof: ", proof.size(), " hashes for leaf ", index,
                                                   " of ", tree_size, ", want ", inner + border));
  }
  for (const std::string& h : proof) {
    if (h.size() != kMerkleHashBytes) return absl::InvalidArgumentError("inclusion proof: a hash is not 32 bytes");
  }
  std::string node(leaf_hash);
  for (size_t i = 0; i < inner; ++i) {
    node = ((index >> i) & 1) ? MerkleNodeHash(proof[i], node) : MerkleNodeHash(node, proof[i]);
  }
  // Above the split every sibling is on the left.
  for (size_t i = inner; i < proof.size(); ++i) node = MerkleNodeHash(proof[i], node);
  if (node != root_hash) {
    return absl::PermissionDeniedError(absl::StrCat("inclusion proof: computed root ", HexEncode(node),
                                                    " does not match ", HexEncode(root_hash)));
  }
  return absl::OkStatus();
}

}  // namespace pullsentry::sigstore
