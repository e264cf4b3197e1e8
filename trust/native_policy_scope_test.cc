// Scope precedence of the native policy: exact reference, component-wise
// comparison of prefixes and globs, ties refused at load, and `why`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"
#include "trust/native_policy_test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::MustParseNative;
using testing_util::ParseNative;
using testing_util::Ref;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string WithScopes(const std::vector<std::string>& patterns) {
  std::string json = R"({"version":1,"default":{"require":"reject"},"scopes":[)";
  for (size_t i = 0; i < patterns.size(); ++i) {
    json += (i ? "," : "") + std::string(R"({"match":")") + patterns[i] + R"(","require":"accept"})";
  }
  return json + "]}";
}

struct PrecedenceCase {
  std::string image;
  std::string scope;  // "(default)" when none matches
};

// The whole set is loaded at once, so every case also checks that the scopes
// it does not expect lose to the one it does.
const std::vector<std::string> kScopes = {
    "registry.example",
    "registry.example/acme",
    "registry.example/acme/app",
    "registry.example/acme/app:v1",
    std::string("registry.example/acme/app@") + kDigest,
    "registry.example/acme/*",
    "registry.example/acme/team-*/*",
    "registry.example/*/tools",
    "registry.example:5000",
    "*.example.com",
    "*.eu.example.com",
    "*.example.com/team",
    "*.example.com:*",
    "mirror.example.com",
    "docker.io/library",
    "docker.io/library/busybox:latest",
    "ghcr.io/acme-*",
    "ghcr.io/*-corporation",
    "localhost:5000/*",
};

std::vector<PrecedenceCase> PrecedenceCases() {
  return {
      // Exact references first; a digest pull is matched by its digest only.
      {"registry.example/acme/app:v1", "registry.example/acme/app:v1"},
      {std::string("registry.example/acme/app@") + kDigest, std::string("registry.example/acme/app@") + kDigest},
      {std::string("registry.example/acme/app:v1@") + kDigest, std::string("registry.example/acme/app@") + kDigest},
      {"registry.example/acme/app:v2", "registry.example/acme/app"},
      // Deeper literal prefixes beat shallower ones.
      {"registry.example/acme/other:v1", "registry.example/acme/*"},
      {"registry.example/acme:v1", "registry.example/acme"},
      {"registry.example/base:v1", "registry.example"},
      // A literal component beats a glob in the same position …
      {"registry.example/acme/app/sub:v1", "registry.example/acme/app"},
      // … and a glob that covers a deeper component beats a shallower literal.
      {"registry.example/acme/x/y:v1", "registry.example/acme/*"},
      {"registry.example/acme/team-a/svc:v1", "registry.example/acme/team-*/*"},
      {"registry.example/acme/team-a:v1", "registry.example/acme/*"},
      // At the first differing component a literal beats a glob, whatever follows.
      {"registry.example/acme/tools:v1", "registry.example/acme/*"},
      {"registry.example/other/tools:v1", "registry.example/*/tools"},
      // Ports are part of the host.
      {"registry.example:5000/acme/app:v1", "registry.example:5000"},
      {"registry.example:5001/acme/app:v1", "(default)"},
      // Host globs: more literal characters win; a literal host wins over all.
      {"a.eu.example.com/x:v1", "*.eu.example.com"},
      {"a.example.com/x:v1", "*.example.com"},
      {"a.example.com/team/x:v1", "*.example.com/team"},
      {"a.example.com:443/x:v1", "*.example.com:*"},
      {"mirror.example.com/team/x:v1", "mirror.example.com"},
      {"example.com/x:v1", "(default)"},  // '*' is at least one character
      {"a.eu.example.com:5000/x:v1", "*.example.com:*"},  // "*.eu.example.com" has no port
      // Docker Hub names are matched in normalised form.
      {"busybox", "docker.io/library/busybox:latest"},
      {"busybox:1.36", "docker.io/library"},
      {"alpine", "docker.io/library"},
      {"someone/app", "(default)"},
      // Globs within one component.
      {"ghcr.io/acme-labs/app:v1", "ghcr.io/acme-*"},
      {"ghcr.io/big-corporation/app:v1", "ghcr.io/*-corporation"},
      {"ghcr.io/acme-corporation/app:v1", "ghcr.io/*-corporation"},  // 12 literal characters beat 5
      {"ghcr.io/acme/app:v1", "(default)"},
      {"localhost:5000/app:v1", "localhost:5000/*"},
  };
}

class ScopePrecedence : public ::testing::TestWithParam<PrecedenceCase> {};

TEST_P(ScopePrecedence, MostSpecificScopeWins) {
  static const std::shared_ptr<const NativePolicy> policy = MustParseNative(WithScopes(kScopes));
  ASSERT_NE(policy, nullptr);
  ResolvedRule r = policy->Resolve(Ref(GetParam().image), std::nullopt);
  EXPECT_EQ(r.scope->pattern, GetParam().scope) << GetParam().image << ": " << r.why;
}

INSTANTIATE_TEST_SUITE_P(Table, ScopePrecedence, ::testing::ValuesIn(PrecedenceCases()));

TEST(ScopePrecedenceOrder, ListOrderDoesNotMatter) {
  std::vector<std::string> reversed(kScopes.rbegin(), kScopes.rend());
  auto forward = MustParseNative(WithScopes(kScopes));
  auto backward = MustParseNative(WithScopes(reversed));
  ASSERT_NE(forward, nullptr);
  ASSERT_NE(backward, nullptr);
  for (const PrecedenceCase& c : PrecedenceCases()) {
    EXPECT_EQ(forward->Resolve(Ref(c.image), std::nullopt).scope->pattern,
              backward->Resolve(Ref(c.image), std::nullopt).scope->pattern)
        << c.image;
  }
}

struct TieCase {
  std::string a;
  std::string b;
  bool tie;  // a load error
};

class ScopeTies : public ::testing::TestWithParam<TieCase> {};

TEST_P(ScopeTies, EquallySpecificOverlappingScopesAreALoadError) {
  auto p = ParseNative(WithScopes({GetParam().a, GetParam().b}));
  if (GetParam().tie) {
    ASSERT_FALSE(p.ok()) << GetParam().a << " vs " << GetParam().b;
    EXPECT_TRUE(std::string(p.status().message()).starts_with("/scopes/1/match (line 1, column ")) << p.status();
    const char* expected = GetParam().a == GetParam().b ? "is already defined at /scopes/0"
                                                        : "are equally specific and can match the same image";
    EXPECT_NE(std::string(p.status().message()).find(expected), std::string::npos)
        << p.status();
  } else {
    EXPECT_TRUE(p.ok()) << GetParam().a << " vs " << GetParam().b << ": " << p.status();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ScopeTies,
    ::testing::Values(
        // Same shape, and some repository matches both.
        TieCase{"registry.example/a*", "registry.example/*a", true},
        TieCase{"registry.example/*/x", "registry.example/*/y", false},  // disjoint literals
        TieCase{"*.example.com/*", "*.example.com/*", true},
        TieCase{"ghcr.io/acme-*", "ghcr.io/*-corp", true},  // acme-corp matches both
        TieCase{"ghcr.io/acme-*", "ghcr.io/*-labs", true},
        TieCase{"ghcr.io/ab*cd", "ghcr.io/abx*d", true},  // "abxcd"… both: prefixes and suffixes compatible
        TieCase{"ghcr.io/ab*", "ghcr.io/ac*", false},     // literal prefixes disagree
        TieCase{"ghcr.io/*ab", "ghcr.io/*cb", false},     // literal suffixes disagree
        TieCase{"*.a.example", "*.b.example", false},
        TieCase{"a*.example", "*b.example", true},
        // A host glob never spans the port: with and without one never overlap.
        TieCase{"*.io:*", "*.com", false},
        TieCase{"a*:5000", "*b:5000", true},
        TieCase{"a*:5000", "*b:5001", false},
        // Different shape: ordered, never a tie.
        TieCase{"registry.example/acme-*", "registry.example/a*", false},  // more literal characters
        TieCase{"registry.example/*/*", "registry.example/*", false},      // deeper
        TieCase{"registry.example/app/*", "registry.example/*/app", false}));

TEST(ScopeTies, DuplicateExactReferenceIsALoadError) {
  auto p = ParseNative(WithScopes({"registry.example/a:v1", "registry.example/a:v1"}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()),
            "/scopes/1/match (line 1, column 117): scope \"registry.example/a:v1\" is already defined at /scopes/0");
}

TEST(ScopeWhy, SaysWhichScopeMatchedAndWhy) {
  auto p = MustParseNative(WithScopes(
      {"registry.example", "registry.example/acme/*", "registry.example/acme/app:v1"}));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Resolve(Ref("registry.example/acme/app:v1"), std::nullopt).why,
            "exact reference \"registry.example/acme/app:v1\" names registry.example/acme/app:v1");
  EXPECT_EQ(p->Resolve(Ref("registry.example/acme/app:v2"), std::nullopt).why,
            "glob \"registry.example/acme/*\" covers registry.example/acme/app and is more specific than 1 other "
            "matching scope");
  EXPECT_EQ(p->Resolve(Ref("registry.example/x:v2"), std::nullopt).why,
            "prefix \"registry.example\" covers registry.example/x");
  EXPECT_EQ(p->Resolve(Ref("quay.io/x:v2"), std::nullopt).why, "no scope covers quay.io/x; the default applies");
}

TEST(GlobComponent, StarIsOneOrMoreCharacters) {
  struct Case {
    std::string glob, text;
    bool match;
  };
  for (const Case& c : std::vector<Case>{{"*", "a", true},
                                         {"*", "", false},
                                         {"a*", "a", false},
                                         {"a*", "ab", true},
                                         {"*.example.com", "a.b.example.com", true},
                                         {"*.example.com", ".example.com", false},
                                         {"a*b*c", "aXbYc", true},
                                         {"a*b*c", "abc", false},
                                         {"a*b*c", "aXbc", false},
                                         {"*-*", "a-b-c", true},
                                         {"team-*", "team-", false}}) {
    EXPECT_EQ(native_internal::GlobComponentMatches(c.glob, c.text), c.match) << c.glob << " ~ " << c.text;
  }
}

}  // namespace
}  // namespace pullsentry::trust
