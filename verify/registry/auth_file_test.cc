#include "verify/registry/auth_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "verify/crypto/digest.h"
#include "verify/registry/registry_limits.h"

namespace pullsentry::registry {
namespace {

reference::ImageReference Ref(const std::string& text) {
  auto ref = reference::ParseNormalized(text);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

TEST(AuthFile, DecodesBase64AuthForHostWithPort) {
  auto file = AuthFile::Parse(
      R"({"auths":{"registry.example:5000":{"auth":")" + crypto::Base64Encode("alice:s3:cret") + R"("}}})", "a.json");
  ASSERT_TRUE(file.ok()) << file.status();
  auto creds = file->Lookup(Ref("registry.example:5000/team/app:v1"));
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->username, "alice");
  EXPECT_EQ(creds->password, "s3:cret");  // only the first ':' separates
  EXPECT_FALSE(file->Lookup(Ref("registry.example/team/app:v1")).has_value());
}

TEST(AuthFile, ReadsUsernamePasswordAndTokens) {
  auto file = AuthFile::Parse(
      R"({"auths":{"quay.io":{"username":"u","password":"p"},
                   "ghcr.io":{"identitytoken":"refresh"},
                   "gcr.io":{"registrytoken":"bearer"}}})",
      "a.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Lookup(Ref("quay.io/a/b"))->password, "p");
  EXPECT_EQ(file->Lookup(Ref("ghcr.io/a/b"))->identity_token, "refresh");
  EXPECT_EQ(file->Lookup(Ref("gcr.io/a/b"))->registry_token, "bearer");
}

TEST(AuthFile, DockerHubLegacyKeyMatchesDockerIo) {
  auto file = AuthFile::Parse(R"({"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p"}}})", "a.json");
  ASSERT_TRUE(file.ok()) << file.status();
  auto creds = file->Lookup(Ref("nginx"));
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->username, "u");
}

TEST(AuthFile, PlainDockerIoKeyOutranksLegacyUrl) {
  auto file = AuthFile::Parse(R"({"auths":{"docker.io":{"username":"new","password":"p"},
                                           "https://index.docker.io/v1/":{"username":"old","password":"p"}}})",
                              "a.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Lookup(Ref("docker.io/library/nginx"))->username, "new");
}

TEST(AuthFile, MostSpecificNamespaceWins) {
  auto file = AuthFile::Parse(R"({"auths":{"quay.io":{"username":"any","password":"p"},
                                           "quay.io/acme":{"username":"acme","password":"p"},
                                           "quay.io/acme/app":{"username":"app","password":"p"}}})",
                              "a.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Lookup(Ref("quay.io/acme/app:v1"))->username, "app");
  EXPECT_EQ(file->Lookup(Ref("quay.io/acme/other:v1"))->username, "acme");
  EXPECT_EQ(file->Lookup(Ref("quay.io/acmeco/app:v1"))->username, "any");
}

TEST(AuthFile, NormalizesKeys) {
  EXPECT_EQ(NormalizeAuthKey("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormalizeAuthKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(NormalizeAuthKey("HTTP://Registry.Example:5000/v2/"), "registry.example:5000");
  EXPECT_EQ(NormalizeAuthKey("quay.io/acme/"), "quay.io/acme");
}

TEST(AuthFile, EmptyOrMissingAuthsIsNoCredentials) {
  for (const char* text : {"{}", R"({"auths":{}})", R"({"auths":null})", R"({"auths":{"quay.io":{}}})"}) {
    auto file = AuthFile::Parse(text, "a.json");
    ASSERT_TRUE(file.ok()) << text << ": " << file.status();
    EXPECT_EQ(file->size(), 0u) << text;
  }
}

TEST(AuthFile, MalformedFileIsAnErrorNamingTheFileButNoSecret) {
  const std::string secret = crypto::Base64Encode("alice:hunter2");
  for (const std::string& text : {std::string(R"({"auths":{"x":{"auth":")") + secret + "\"}",  // truncated JSON
                                   std::string(R"({"auths":{"x":{"auth":"hunter2!!"}}})"),   // not base64
                                   std::string(R"({"auths":{"x":{"auth":")") + crypto::Base64Encode("hunter2") +
                                       "\"}}}",  // no colon
                                   std::string(R"({"auths":{"x":{"password":["hunter2"]}}})"),
                                   std::string(R"({"auths":["hunter2"]})"), std::string("[\"hunter2\"]")}) {
    auto file = AuthFile::Parse(text, "/etc/pullsentry/auth.json");
    ASSERT_FALSE(file.ok()) << text;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(file.status().message());
    EXPECT_NE(message.find("/etc/pullsentry/auth.json"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

class AuthFileRead : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/ps-authfile-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    std::remove((dir_ + "/auth.json").c_str());
    std::remove(dir_.c_str());
  }
  std::string Write(const std::string& contents) {
    std::string path = dir_ + "/auth.json";
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  std::string dir_;
};

TEST_F(AuthFileRead, MissingFileIsNoCredentials) {
  auto file = AuthFile::Read(dir_ + "/nope.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), 0u);
}

TEST_F(AuthFileRead, ReadsAFile) {
  auto file = AuthFile::Read(Write(R"({"auths":{"quay.io":{"username":"u","password":"p"}}})"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), 1u);
}

TEST_F(AuthFileRead, RefusesOversizeFile) {
  auto file = AuthFile::Read(Write(std::string(kMaxAuthFileBytes + 1, ' ')));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(AuthFileRead, DirectoryIsAnErrorNamingThePath) {
  auto file = AuthFile::Read(dir_);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(std::string(file.status().message()).find(dir_), std::string::npos);
}

}  // namespace
}  // namespace pullsentry::registry
