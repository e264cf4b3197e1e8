// Helpers for the native policy tests.
#ifndef PULLSENTRY_TRUST_NATIVE_POLICY_TEST_UTIL_H_
#define PULLSENTRY_TRUST_NATIVE_POLICY_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "trust/native_policy.h"
#include "trust/test_util.h"

namespace pullsentry::trust::testing_util {

inline std::string NativeDir() { return std::string(PULLSENTRY_FIXTURES_DIR) + "/native_policy"; }

// Relative keyPaths resolve against tests/fixtures/crypto; "keys" names are
// found in tests/fixtures/native_policy/truststore/keys.
inline NativePolicyOptions TestOptions() {
  NativePolicyOptions o;
  o.base_dir = CryptoDir();
  o.trust_store_dir = NativeDir() + "/truststore";
  return o;
}

inline absl::StatusOr<std::shared_ptr<const NativePolicy>> ParseNative(const std::string& json) {
  return NativePolicy::Parse(json, TestOptions());
}

inline std::shared_ptr<const NativePolicy> MustParseNative(const std::string& json) {
  auto p = ParseNative(json);
  EXPECT_TRUE(p.ok()) << p.status() << "\n" << json;
  return p.ok() ? *p : nullptr;
}

}  // namespace pullsentry::trust::testing_util

#endif  // PULLSENTRY_TRUST_NATIVE_POLICY_TEST_UTIL_H_
