#include "verify/crypto/digest.h"

#include <gtest/gtest.h>

namespace pullsentry::crypto {
namespace {

TEST(Digest, Sha256OfKnownInput) {
  // FIPS 180-2 test vector "abc".
  EXPECT_EQ(Sha256Digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, MatchesOnlyTheRightDigest) {
  EXPECT_TRUE(MatchesDigest("abc", Sha256Digest("abc")));
  EXPECT_FALSE(MatchesDigest("abd", Sha256Digest("abc")));
  EXPECT_FALSE(MatchesDigest("abc", "md5:900150983cd24fb0d6963f7d28e17f72"));
  EXPECT_FALSE(MatchesDigest("abc", "sha256:"));
}

TEST(Base64, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Base64Decode(Base64Encode(data)), data);
    data.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Zm9", "Zm=v", "Z===", "Zm9v!mFy", "=Zm8", "Zm8=Zm8="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace pullsentry::crypto
