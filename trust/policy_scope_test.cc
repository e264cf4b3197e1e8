#include <gtest/gtest.h>

#include "trust/containers_policy.h"
#include "trust/test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::Ref;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Every scope rejects, so the scope that matched is the only observable.
std::shared_ptr<const ContainersPolicy> PolicyWithScopes(const std::vector<std::string>& scopes,
                                                         bool docker_default = true) {
  std::string json = R"({"default":[{"type":"reject"}],"transports":{"docker":{)";
  bool first = true;
  if (docker_default) {
    json += R"("":[{"type":"insecureAcceptAnything"}])";
    first = false;
  }
  for (const std::string& s : scopes) {
    json += (first ? "\"" : ",\"") + s + R"(":[{"type":"reject"}])";
    first = false;
  }
  json += "}}}";
  auto p = ContainersPolicy::Parse(json, "");
  EXPECT_TRUE(p.ok()) << p.status() << json;
  return p.ok() ? *p : nullptr;
}

std::string ScopeFor(const std::shared_ptr<const ContainersPolicy>& p, const std::string& image) {
  ScopeMatch m = p->Match(Ref(image));
  EXPECT_NE(m.requirements, nullptr);
  EXPECT_FALSE(m.requirements->empty());
  return m.scope;
}

TEST(Match, FullReferenceBeatsRepository) {
  auto p = PolicyWithScopes({"docker.io/library/busybox:latest", "docker.io/library/busybox"});
  EXPECT_EQ(ScopeFor(p, "busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(ScopeFor(p, "busybox:1.36"), "docker.io/library/busybox");
}

TEST(Match, DigestReferenceMatchesItsDigestScope) {
  std::string by_digest = std::string("docker.io/library/busybox@") + kDigest;
  auto p = PolicyWithScopes({by_digest, "docker.io/library/busybox:latest", "docker.io/library/busybox"});
  EXPECT_EQ(ScopeFor(p, by_digest), by_digest);
  // With tag and digest the digest is what is looked up, as in CRI-O.
  EXPECT_EQ(ScopeFor(p, std::string("busybox:latest@") + kDigest), by_digest);
}

TEST(Match, RepositoryBeatsParentNamespaces) {
  auto p = PolicyWithScopes({"registry.example/a/b/c", "registry.example/a/b", "registry.example/a"});
  EXPECT_EQ(ScopeFor(p, "registry.example/a/b/c:v1"), "registry.example/a/b/c");
  EXPECT_EQ(ScopeFor(p, "registry.example/a/b/d:v1"), "registry.example/a/b");
  EXPECT_EQ(ScopeFor(p, "registry.example/a/x:v1"), "registry.example/a");
}

TEST(Match, NamespaceBeatsHost) {
  auto p = PolicyWithScopes({"registry.example/a", "registry.example"});
  EXPECT_EQ(ScopeFor(p, "registry.example/a/b:v1"), "registry.example/a");
  EXPECT_EQ(ScopeFor(p, "registry.example/z/b:v1"), "registry.example");
}

TEST(Match, HostWithPortIsItsOwnScope) {
  auto p = PolicyWithScopes({"registry.example:5000", "registry.example"});
  EXPECT_EQ(ScopeFor(p, "registry.example:5000/a:v1"), "registry.example:5000");
  EXPECT_EQ(ScopeFor(p, "registry.example/a:v1"), "registry.example");
}

TEST(Match, HostBeatsWildcards) {
  auto p = PolicyWithScopes({"a.b.example.com", "*.b.example.com", "*.example.com"});
  EXPECT_EQ(ScopeFor(p, "a.b.example.com/x:v1"), "a.b.example.com");
}

TEST(Match, LongestWildcardFirst) {
  auto p = PolicyWithScopes({"*.b.example.com", "*.example.com", "*.com"});
  EXPECT_EQ(ScopeFor(p, "a.b.example.com/x:v1"), "*.b.example.com");
  EXPECT_EQ(ScopeFor(p, "c.example.com/x:v1"), "*.example.com");
  EXPECT_EQ(ScopeFor(p, "other.com/x:v1"), "*.com");
}

TEST(Match, WildcardDoesNotMatchTheDomainItself) {
  auto p = PolicyWithScopes({"*.example.com"});
  EXPECT_EQ(ScopeFor(p, "example.com/x:v1"), "");
}

TEST(Match, WildcardsIgnoreThePort) {
  auto p = PolicyWithScopes({"*.example.com"});
  EXPECT_EQ(ScopeFor(p, "reg.example.com:8443/x:v1"), "*.example.com");
}

TEST(Match, DockerHubNamesMatchOnlyInExpandedForm) {
  auto p = PolicyWithScopes({"busybox", "library/busybox", "docker.io/library"});
  EXPECT_EQ(ScopeFor(p, "busybox"), "docker.io/library");
}

TEST(Match, FallsBackToTheTransportDefaultThenTheGlobalDefault) {
  auto p = PolicyWithScopes({"registry.example"});
  EXPECT_EQ(ScopeFor(p, "other.example/x:v1"), "");
  auto q = PolicyWithScopes({"registry.example"}, /*docker_default=*/false);
  EXPECT_EQ(ScopeFor(q, "other.example/x:v1"), "(default)");
}

TEST(Match, OnlyTheDockerTransportApplies) {
  auto p = ContainersPolicy::Parse(
      R"({"default":[{"type":"reject"}],"transports":{"atomic":{"registry.example":[{"type":"insecureAcceptAnything"}]}}})",
      "");
  ASSERT_TRUE(p.ok()) << p.status();
  ScopeMatch m = (*p)->Match(Ref("registry.example/x:v1"));
  EXPECT_EQ(m.scope, "(default)");
  ASSERT_EQ(m.requirements->size(), 1u);
  EXPECT_EQ((*m.requirements)[0].type, Requirement::Type::kReject);
}

TEST(MatchExplained, AgreesWithMatchAndListsEveryCandidate) {
  auto p = PolicyWithScopes({"registry.example/a", "registry.example", "*.example"});
  for (const char* image : {"registry.example/a/b:v1", "registry.example/x:v1", "other.example/x:v1", "busybox",
                            "registry.example/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    ExplainedScopeMatch e = p->MatchExplained(Ref(image));
    ScopeMatch m = p->Match(Ref(image));
    EXPECT_EQ(e.match.scope, m.scope) << image;
    EXPECT_EQ(e.match.requirements, m.requirements) << image;
  }
  ExplainedScopeMatch e = p->MatchExplained(Ref("registry.example/a/b:v1"));
  std::vector<std::string> scopes;
  std::vector<bool> present;
  for (const ScopeCandidate& c : e.candidates) {
    scopes.push_back(c.scope);
    present.push_back(c.in_policy);
  }
  EXPECT_EQ(scopes, (std::vector<std::string>{"registry.example/a/b:v1", "registry.example/a/b", "registry.example/a",
                                              "registry.example", "*.example"}));
  EXPECT_EQ(present, (std::vector<bool>{false, false, true, true, true}));
  EXPECT_EQ(e.match.scope, "registry.example/a");
}

TEST(MatchExplained, CandidateScopesIsWhatMatchTries) {
  EXPECT_EQ(ContainersPolicy::CandidateScopes(Ref("reg.example.com:8443/ns/app:v1")),
            (std::vector<std::string>{"reg.example.com:8443/ns/app:v1", "reg.example.com:8443/ns/app",
                                      "reg.example.com:8443/ns", "reg.example.com:8443", "*.example.com", "*.com"}));
}

TEST(MatchExplained, AccessorsExposeTheParsedScopes) {
  auto p = PolicyWithScopes({"registry.example/a"});
  EXPECT_EQ(p->DockerScopes().size(), 1u);
  EXPECT_TRUE(p->DockerScopes().contains("registry.example/a"));
  ASSERT_NE(p->DockerDefault(), nullptr);
  EXPECT_EQ((*p->DockerDefault())[0].type, Requirement::Type::kInsecureAcceptAnything);
  EXPECT_EQ(p->GlobalDefault()[0].type, Requirement::Type::kReject);
  EXPECT_EQ(PolicyWithScopes({"registry.example/a"}, /*docker_default=*/false)->DockerDefault(), nullptr);
}

}  // namespace
}  // namespace pullsentry::trust
