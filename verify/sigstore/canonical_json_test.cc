#include "verify/sigstore/canonical_json.h"

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "verify/sigstore/test_util.h"

namespace pullsentry::sigstore {
namespace {

// canonical_json.json: inputs and their RFC 8785 form written out by hand
// (null "out": must be refused).
TEST(CanonicalJson, AgreesWithTheVectors) {
  nlohmann::json vectors = nlohmann::json::parse(testing_util::Fixture("canonical_json.json"));
  ASSERT_GE(vectors.size(), 8u);
  for (const nlohmann::json& v : vectors) {
    absl::StatusOr<std::string> out = CanonicalizeJsonText(v["in"].get<std::string>());
    if (v["out"].is_null()) {
      EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << v["in"];
    } else {
      ASSERT_TRUE(out.ok()) << v["in"] << ": " << out.status();
      EXPECT_EQ(*out, v["out"].get<std::string>()) << v["in"];
    }
  }
}

TEST(CanonicalJson, SortsKeysByUtf16CodeUnitsNotCodePoints) {
  // U+E000 sorts after U+10000 (D800 DC00) in UTF-16, before it by code point.
  absl::StatusOr<std::string> out = CanonicalizeJsonText("{\"\\ue000\":1,\"\\ud800\\udc00\":2}");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "{\"\xF0\x90\x80\x80\":2,\"\xEE\x80\x80\":1}");
}

TEST(CanonicalJson, IsIdempotent) {
  absl::StatusOr<std::string> once = CanonicalizeJsonText(R"({"z": [1, {"b": "\u00e9", "a": null}], "a": true})");
  ASSERT_TRUE(once.ok());
  absl::StatusOr<std::string> twice = CanonicalizeJsonText(*once);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*once, *twice);
  EXPECT_EQ(*once, "{\"a\":true,\"z\":[1,{\"a\":null,\"b\":\"\xC3\xA9\"}]}");
}

TEST(CanonicalJson, RefusesDuplicateKeysAndDeepNesting) {
  EXPECT_FALSE(CanonicalizeJsonText(R"({"a":1,"a":2})").ok());
  EXPECT_FALSE(CanonicalizeJsonText(std::string(40, '[') + std::string(40, ']')).ok());
  nlohmann::json deep = 1;
  for (int i = 0; i < 40; ++i) deep = nlohmann::json::array({deep});
  EXPECT_EQ(CanonicalizeJson(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalJson, IntegersAtTheSafeLimits) {
  EXPECT_EQ(*CanonicalizeJsonText("-9007199254740991"), "-9007199254740991");
  EXPECT_FALSE(CanonicalizeJsonText("-9007199254740992").ok());
  EXPECT_FALSE(CanonicalizeJsonText("18446744073709551615").ok());
  EXPECT_EQ(*CanonicalizeJsonText("-0"), "0");
}

}  // namespace
}  // namespace pullsentry::sigstore
