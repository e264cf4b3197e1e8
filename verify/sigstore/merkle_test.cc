#include "verify/sigstore/merkle.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "verify/sigstore/proto_json.h"
#include "verify/sigstore/test_util.h"

namespace pullsentry::sigstore {
namespace {

std::string B64(const nlohmann::json& v) { return *internal::DecodeProtoBase64(v.get<std::string>()); }

// merkle.json: proofs for every leaf of trees of 1, 2, 3, 5, 8 and 21
// leaves, built by RFC 6962's recursive PATH definition, then one-change
// variants that must fail.
TEST(Merkle, AgreesWithTheIndependentVectors) {
  nlohmann::json vectors = nlohmann::json::parse(testing_util::Fixture("merkle.json"));
  ASSERT_GT(vectors.size(), 40u);
  int good = 0, bad = 0;
  for (const nlohmann::json& v : vectors) {
    std::vector<std::string> proof;
    for (const auto& h : v["proof"]) proof.push_back(B64(h));
    absl::Status s = VerifyInclusion(v["index"].get<uint64_t>(), v["size"].get<uint64_t>(),
                                     MerkleLeafHash(B64(v["leaf"])), proof, B64(v["root"]));
    EXPECT_EQ(s.ok(), v["expect"].get<bool>()) << v.dump() << ": " << s;
    (v["expect"].get<bool>() ? good : bad)++;
  }
  EXPECT_GT(good, 0);
  EXPECT_GT(bad, 0);
}

TEST(Merkle, SingleLeafTreeRootIsTheLeafHash) {
  std::string leaf = MerkleLeafHash("x");
  EXPECT_TRUE(VerifyInclusion(0, 1, leaf, {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(0, 1, leaf, {leaf}, leaf).ok());
}

TEST(Merkle, RefusesAnIndexOutsideTheTree) {
  std::string leaf = MerkleLeafHash("x");
  absl::Status s = VerifyInclusion(1, 1, leaf, {}, leaf);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(0, 0, leaf, {}, leaf).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Merkle, RefusesShortHashes) {
  std::string leaf = MerkleLeafHash("a"), other = MerkleLeafHash("b");
  std::string root = MerkleNodeHash(leaf, other);
  EXPECT_TRUE(VerifyInclusion(0, 2, leaf, {other}, root).ok());
  EXPECT_EQ(VerifyInclusion(0, 2, leaf, {other.substr(1)}, root).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(0, 2, leaf.substr(1), {other}, root).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Merkle, ALeafCannotPoseAsANode) {
  // The root of a two-leaf tree is a node hash; presenting the children's
  // concatenation as a one-leaf tree gives another hash.
  std::string a = MerkleLeafHash("a"), b = MerkleLeafHash("b");
  std::string root = MerkleNodeHash(a, b);
  EXPECT_FALSE(VerifyInclusion(0, 1, MerkleLeafHash(a + b), {}, root).ok());
}

TEST(Merkle, HugeTreeSizesDoNotOverflow) {
  std::string leaf = MerkleLeafHash("a");
  std::vector<std::string> proof(63, leaf);
  absl::Status s = VerifyInclusion(0, uint64_t{1} << 63, leaf, proof, leaf);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  s = VerifyInclusion(UINT64_MAX - 1, UINT64_MAX, leaf, proof, leaf);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace pullsentry::sigstore
