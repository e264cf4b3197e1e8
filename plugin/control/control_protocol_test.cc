#include "plugin/control/control_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace pullsentry::control {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ControlProtocolTest, ParsesEachOperation) {
  EXPECT_EQ(ParseRequest(R"({"op":"status"})")->op, Operation::kStatus);
  EXPECT_EQ(ParseRequest(R"({"op":"cache-list"})")->op, Operation::kCacheList);
  EXPECT_EQ(ParseRequest(R"({"op":"cache-flush"})")->op, Operation::kCacheFlush);
  absl::StatusOr<ControlRequest> verify =
      ParseRequest(R"({"op":"verify","name":"registry.example/app:v1","digest":")" + kDigest + R"(","namespace":"dev"})");
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_EQ(verify->op, Operation::kVerify);
  EXPECT_EQ(verify->verify.name, "registry.example/app:v1");
  EXPECT_EQ(verify->verify.digest, kDigest);
  EXPECT_EQ(verify->verify.kube_namespace, "dev");
}

TEST(ControlProtocolTest, SerializedRequestParsesBack) {
  ControlRequest request{Operation::kVerify, {"registry.example/app@" + kDigest, kDigest, std::string("team-a")}};
  absl::StatusOr<ControlRequest> parsed = ParseRequest(SerializeRequest(request));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->verify.name, request.verify.name);
  EXPECT_EQ(parsed->verify.kube_namespace, "team-a");
  ControlRequest no_namespace{Operation::kVerify, {"app", kDigest, std::nullopt}};
  EXPECT_FALSE(ParseRequest(SerializeRequest(no_namespace))->verify.kube_namespace.has_value());
}

TEST(ControlProtocolTest, RejectsMalformedRequests) {
  for (const std::string& line : std::vector<std::string>{
           "", "not json", "[]", R"("status")", R"({})", R"({"op":7})", R"({"op":"reboot"})",
           R"({"op":"status","extra":1})", R"({"op":"status","op":"verify"})",
           R"({"op":"verify","digest":")" + kDigest + R"("})",
           R"({"op":"verify","name":"app"})",
           R"({"op":"verify","name":"app","digest":"sha256:short"})",
           R"({"op":"verify","name":"","digest":")" + kDigest + R"("})",
           R"({"op":"verify","name":"app","digest":")" + kDigest + R"(","namespace":"Not_A_Namespace"})",
           R"({"op":"verify","name":["app"],"digest":")" + kDigest + R"("})"}) {
    absl::StatusOr<ControlRequest> parsed = ParseRequest(line);
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << line;
  }
}

TEST(ControlProtocolTest, BoundsSizeAndNesting) {
  std::string long_name(2000, 'a');
  EXPECT_FALSE(ParseRequest(R"({"op":"verify","name":")" + long_name + R"(","digest":")" + kDigest + R"("})").ok());
  std::string oversized = R"({"op":"status","pad":")" + std::string(kMaxRequestBytes, 'x') + R"("})";
  absl::StatusOr<ControlRequest> parsed = ParseRequest(oversized);
  EXPECT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("longer than"), std::string::npos);
  std::string deep = R"({"op":"status","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(ParseRequest(deep).ok());
}

TEST(ControlProtocolTest, ParseResponseTellsErrorsFromGarbage) {
  absl::StatusOr<nlohmann::json> ok = ParseResponse(OkLine({{"flushed", 3}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["flushed"], 3);
  EXPECT_FALSE(ok->contains("ok"));
  absl::StatusOr<nlohmann::json> error = ParseResponse(ErrorLine("cache not enabled"));
  EXPECT_TRUE(absl::IsFailedPrecondition(error.status()));
  EXPECT_EQ(error.status().message(), "cache not enabled");
  EXPECT_TRUE(absl::IsInvalidArgument(ParseResponse("hello").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseResponse(R"({"ok":"yes"})").status()));
}

TEST(ControlProtocolTest, VerifyAnswerNeedsAnExplicitVerdict) {
  EXPECT_FALSE(VerifyAnswerFromJson({{"reason", "x"}}).ok());
  EXPECT_FALSE(VerifyAnswerFromJson({{"admitted", "true"}, {"reason", "x"}}).ok());
  EXPECT_FALSE(VerifyAnswerFromJson({{"admitted", true}}).ok());
  absl::StatusOr<VerifyAnswer> answer = VerifyAnswerFromJson(VerifyAnswerToJson({true, "signed", kDigest, "team"}));
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->admitted);
  EXPECT_EQ(answer->digest, kDigest);
}

TEST(ControlProtocolTest, StatusRoundTrips) {
  StatusReport status;
  status.version = "1.2.3";
  status.policy_hash = "sha256:abc";
  status.trust_hash = "sha256:def";
  status.policy_path = "/etc/pullsentry/policy.json";
  status.uptime_seconds = 42;
  status.counters["decisions_admitted"] = 5;
  absl::StatusOr<StatusReport> back = StatusFromJson(StatusToJson(status));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->policy_hash, "sha256:abc");
  EXPECT_EQ(back->trust_hash, "sha256:def");
  EXPECT_EQ(back->uptime_seconds, 42);
  EXPECT_FALSE(back->cache_entries.has_value());
  EXPECT_EQ(back->counters["decisions_admitted"], 5u);
  status.cache_entries = 7;
  EXPECT_EQ(StatusFromJson(StatusToJson(status))->cache_entries, 7u);
}

}  // namespace
}  // namespace pullsentry::control
