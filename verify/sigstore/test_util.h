// Test-only helpers shared by the verify/sigstore tests: fixture files from
// tests/fixtures/sigstore (made by make_sigstore_fixtures.py).
#ifndef PULLSENTRY_VERIFY_SIGSTORE_TEST_UTIL_H_
#define PULLSENTRY_VERIFY_SIGSTORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace pullsentry::sigstore::testing_util {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Fixture(const std::string& name) {
  return ReadFile(std::string(PULLSENTRY_FIXTURES_DIR) + "/sigstore/" + name);
}

}  // namespace pullsentry::sigstore::testing_util

#endif  // PULLSENTRY_VERIFY_SIGSTORE_TEST_UTIL_H_
