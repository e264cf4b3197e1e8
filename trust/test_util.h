// Helpers for the trust tests.
#ifndef PULLSENTRY_TRUST_TEST_UTIL_H_
#define PULLSENTRY_TRUST_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "verify/reference/image_reference.h"

namespace pullsentry::trust::testing_util {

inline std::string CryptoDir() { return std::string(PULLSENTRY_FIXTURES_DIR) + "/crypto"; }
inline std::string PolicyDir() { return std::string(PULLSENTRY_FIXTURES_DIR) + "/policy"; }

inline std::string ReadFixture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline reference::ImageReference Ref(const std::string& text) {
  auto r = reference::ParseNormalized(text);
  if (!r.ok()) std::abort();
  return *r;
}

}  // namespace pullsentry::trust::testing_util

#endif  // PULLSENTRY_TRUST_TEST_UTIL_H_
