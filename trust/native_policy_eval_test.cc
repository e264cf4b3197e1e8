// Evaluation of the native policy: anyOf/allOf composition, unsupported
// verifier types, modes, namespace overrides, break-glass expiry.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"
#include "trust/native_policy_test_util.h"

namespace pullsentry::trust {
namespace {

using testing_util::MustParseNative;
using testing_util::Ref;
using State = LeafOutcome::State;
using Action = Decision::Action;
using std::chrono::system_clock;

constexpr char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr char kOtherDigest[] = "sha256:abababababababababababababababababababababababababababababababab";

const std::string kVerifiers =
    R"({"a":{"type":"cosignKey","keys":["team.pub"]},"b":{"type":"cosignKey","keys":["release.pub"]},)"
    R"("c":{"type":"cosignKey","keys":["team.pub","release.pub"]},)"
    R"("kl":{"type":"keyless","issuer":"https://issuer.example","subjectRegex":".*@example\\.com","trustedRoot":"public"},)"
    R"("nv":{"type":"notation","trustPolicy":"acme"}})";

// A policy whose only scope, registry.example, requires `require`.
std::shared_ptr<const NativePolicy> Requiring(const std::string& require, const std::string& scope_extra = "") {
  return MustParseNative(R"({"version":1,"verifiers":)" + kVerifiers +
                         R"(,"default":{"require":"reject"},"scopes":[{"match":"registry.example","require":)" +
                         require + scope_extra + "}]}");
}

LeafOutcome Yes() { return {State::kSatisfied, "signed by key X"}; }
LeafOutcome No() { return {State::kNotSatisfied, "no signature found"}; }
LeafOutcome Unknown() { return {State::kIndeterminate, "registry unreachable"}; }

struct CompositionCase {
  std::string name;
  std::string require;
  LeafOutcomes outcomes;
  bool satisfied;
  bool indeterminate;
  std::string reason;
};

std::vector<CompositionCase> CompositionCases() {
  return {
      {"SingleVerifierHolds", R"("a")", {{"a", Yes()}}, true, false, "a: signed by key X"},
      {"SingleVerifierFails", R"("a")", {{"a", No()}}, false, false, "a: no signature found"},
      {"VerifierNotRunCountsAsNo", R"("a")", {}, false, false, "a: verifier was not run"},
      {"AcceptNeedsNoOutcome", R"("accept")", {}, true, false, "accept"},
      {"RejectNeverHolds", R"({"anyOf":["reject"]})", {}, false, false,
       "none of anyOf holds: the policy rejects these images (reject)"},
      {"AnyOfOneOfTwo", R"({"anyOf":["a","b"]})", {{"a", No()}, {"b", Yes()}}, true, false, "b: signed by key X"},
      {"AnyOfNone", R"({"anyOf":["a","b"]})", {{"a", No()}, {"b", No()}}, false, false,
       "none of anyOf holds: a: no signature found; b: no signature found"},
      {"AnyOfIndeterminateWithoutYes", R"({"anyOf":["a","b"]})", {{"a", No()}, {"b", Unknown()}}, false, true,
       "none of anyOf holds: a: no signature found; b: cannot verify: registry unreachable"},
      {"AnyOfYesBeatsIndeterminate", R"({"anyOf":["a","b"]})", {{"a", Unknown()}, {"b", Yes()}}, true, false,
       "b: signed by key X"},
      {"AllOfBoth", R"({"allOf":["a","b"]})", {{"a", Yes()}, {"b", Yes()}}, true, false,
       "a: signed by key X; b: signed by key X"},
      {"AllOfOneMissing", R"({"allOf":["a","b"]})", {{"a", Yes()}, {"b", No()}}, false, false,
       "b: no signature found"},
      {"AllOfDefiniteNoBeatsIndeterminate", R"({"allOf":["a","b"]})", {{"a", Unknown()}, {"b", No()}}, false,
       false, "b: no signature found"},
      {"AllOfIndeterminate", R"({"allOf":["a","b"]})", {{"a", Yes()}, {"b", Unknown()}}, false, true,
       "b: cannot verify: registry unreachable"},
      {"AllOfWithAcceptIsTheOther", R"({"allOf":["accept","a"]})", {{"a", Yes()}}, true, false,
       "accept; a: signed by key X"},
      {"AllOfWithRejectNeverHolds", R"({"allOf":["a","reject"]})", {{"a", Yes()}}, false, false,
       "the policy rejects these images (reject)"},
      {"NestedAllOfInAnyOf", R"({"anyOf":[{"allOf":["a","b"]},"c"]})", {{"a", Yes()}, {"b", No()}, {"c", Yes()}},
       true, false, "c: signed by key X"},
      {"NestedAnyOfInAllOf", R"({"allOf":["a",{"anyOf":["b","c"]}]})", {{"a", Yes()}, {"b", No()}, {"c", No()}},
       false, false, "none of anyOf holds: b: no signature found; c: no signature found"},
      // Fail closed: a type that cannot be checked yet refuses even when
      // another branch holds.
      {"UnsupportedKeylessRefusesEvenInAnyOf", R"({"anyOf":["a","kl"]})", {{"a", Yes()}}, false, false,
       "verifier type keyless is not supported yet (verifier \"kl\"): refusing"},
      {"UnsupportedNotationRefuses", R"("nv")", {{"nv", Yes()}}, false, false,
       "verifier type notation is not supported yet (verifier \"nv\"): refusing"},
  };
}

class Composition : public ::testing::TestWithParam<CompositionCase> {};

TEST_P(Composition, CombinesVerifierOutcomes) {
  const CompositionCase& c = GetParam();
  auto p = Requiring(c.require);
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("registry.example/app:v1"), std::nullopt);
  Evaluation e = Evaluate(*rule.requirement, c.outcomes);
  EXPECT_EQ(e.satisfied, c.satisfied);
  EXPECT_EQ(e.indeterminate, c.indeterminate);
  EXPECT_EQ(e.reason, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Table, Composition, ::testing::ValuesIn(CompositionCases()),
                         [](const ::testing::TestParamInfo<CompositionCase>& info) { return info.param.name; });

TEST(Composition, DescribesTheTree) {
  auto p = Requiring(R"({"allOf":["a",{"anyOf":["b","c"]}]})");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(DescribeRequirement(*p->Resolve(Ref("registry.example/app"), std::nullopt).requirement),
            "allOf(a, anyOf(b, c))");
}

struct ModeCase {
  std::string mode;
  bool satisfied;
  Action action;
  bool admitted;
};

class Modes : public ::testing::TestWithParam<ModeCase> {};

TEST_P(Modes, DecideByMode) {
  auto p = Requiring(R"("a")", R"(,"mode":")" + GetParam().mode + "\"");
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("registry.example/app:v1"), std::nullopt);
  EXPECT_EQ(PolicyModeName(rule.mode), GetParam().mode);
  Evaluation e = Evaluate(*rule.requirement, {{"a", GetParam().satisfied ? Yes() : No()}});
  Decision d = Decide(rule, e, p->CheckBreakGlass(kOtherDigest, system_clock::now()));
  EXPECT_EQ(d.action, GetParam().action);
  EXPECT_EQ(d.admitted, GetParam().admitted);
}

INSTANTIATE_TEST_SUITE_P(Table, Modes,
                         ::testing::Values(ModeCase{"enforce", true, Action::kAdmitVerified, true},
                                           ModeCase{"enforce", false, Action::kRefuse, false},
                                           ModeCase{"warn", true, Action::kAdmitVerified, true},
                                           ModeCase{"warn", false, Action::kAdmitWarn, true},
                                           ModeCase{"audit", true, Action::kAdmitVerified, true},
                                           ModeCase{"audit", false, Action::kAdmitAudit, true}));

TEST(Modes, ReasonsNameTheScopeAndMode) {
  auto p = Requiring(R"("a")", R"(,"mode":"warn")");
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("registry.example/app:v1"), std::nullopt);
  Decision d = Decide(rule, Evaluate(*rule.requirement, {{"a", No()}}), {});
  EXPECT_EQ(d.reason, "warn mode, would refuse: scope \"registry.example\": a: no signature found");
}

TEST(Modes, DefaultModeIsEnforce) {
  auto p = Requiring(R"("a")");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Resolve(Ref("registry.example/app:v1"), std::nullopt).mode, PolicyMode::kEnforce);
  EXPECT_EQ(p->Resolve(Ref("quay.io/app:v1"), std::nullopt).mode, PolicyMode::kEnforce);
}

// registry.example: warn with anyOf(a, b); "payments" tightens to enforce
// and allOf(a, b); "sandbox" relaxes to audit; "ci" relaxes the requirement
// only.
std::shared_ptr<const NativePolicy> WithNamespaces() {
  return Requiring(R"({"anyOf":["a","b"]})", R"(,"mode":"warn","namespaces":{)"
                                             R"("payments":{"mode":"enforce","require":{"allOf":["a","b"]}},)"
                                             R"("sandbox":{"mode":"audit"},)"
                                             R"("ci":{"require":"accept"}})");
}

struct NamespaceCase {
  std::optional<std::string> ns;
  LeafOutcomes outcomes;
  std::string applied;
  PolicyMode mode;
  Action action;
};

class NamespaceOverrides : public ::testing::TestWithParam<NamespaceCase> {};

TEST_P(NamespaceOverrides, TightenOrRelaxPerNamespace) {
  static const std::shared_ptr<const NativePolicy> p = WithNamespaces();
  ASSERT_NE(p, nullptr);
  const NamespaceCase& c = GetParam();
  ResolvedRule rule =
      p->Resolve(Ref("registry.example/app:v1"), c.ns.has_value() ? std::optional<std::string_view>(*c.ns) : std::nullopt);
  EXPECT_EQ(rule.applied_namespace, c.applied);
  EXPECT_EQ(rule.mode, c.mode);
  Decision d = Decide(rule, Evaluate(*rule.requirement, c.outcomes), {});
  EXPECT_EQ(d.action, c.action) << d.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NamespaceOverrides,
    ::testing::Values(
        // No namespace, or one without an override: the scope's own rule.
        NamespaceCase{std::nullopt, {{"a", Yes()}, {"b", No()}}, "", PolicyMode::kWarn, Action::kAdmitVerified},
        NamespaceCase{"default", {{"a", No()}, {"b", No()}}, "", PolicyMode::kWarn, Action::kAdmitWarn},
        // Tightened: both keys needed, and refused when not.
        NamespaceCase{"payments", {{"a", Yes()}, {"b", No()}}, "payments", PolicyMode::kEnforce, Action::kRefuse},
        NamespaceCase{"payments", {{"a", Yes()}, {"b", Yes()}}, "payments", PolicyMode::kEnforce,
                      Action::kAdmitVerified},
        // Relaxed mode, same requirement.
        NamespaceCase{"sandbox", {{"a", No()}, {"b", No()}}, "sandbox", PolicyMode::kAudit, Action::kAdmitAudit},
        // Relaxed requirement, mode inherited from the scope.
        NamespaceCase{"ci", {}, "ci", PolicyMode::kWarn, Action::kAdmitVerified}));

TEST(NamespaceOverrides, WhySaysAnOverrideApplied) {
  auto p = WithNamespaces();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Resolve(Ref("registry.example/app:v1"), "payments").why,
            "prefix \"registry.example\" covers registry.example/app; override for namespace \"payments\"");
}

TEST(NamespaceOverrides, DefaultRuleCanHaveThem) {
  auto p = MustParseNative(R"({"version":1,"default":{"require":"reject","namespaces":{"kube-system":{"require":"accept"}}}})");
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("registry.k8s.io/pause:3.9"), "kube-system");
  EXPECT_EQ(rule.scope->kind, ScopeKind::kDefault);
  EXPECT_TRUE(Evaluate(*rule.requirement, {}).satisfied);
  EXPECT_FALSE(Evaluate(*p->Resolve(Ref("registry.k8s.io/pause:3.9"), "other").requirement, {}).satisfied);
}

std::shared_ptr<const NativePolicy> WithBreakGlass() {
  return MustParseNative(R"({"version":1,"default":{"require":"reject"},"breakGlass":[{"digest":")" +
                         std::string(kDigest) +
                         R"(","reason":"INC-1: hotfix","expires":"2026-12-01T10:00:00+02:00"}]})");
}

system_clock::time_point At(const std::string& rfc3339) {
  auto t = native_internal::ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(system_clock::time_point{});
}

TEST(BreakGlass, AdmitsTheListedDigestBeforeItsExpiry) {
  auto p = WithBreakGlass();
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("quay.io/app:v1"), std::nullopt);
  BreakGlassCheck bg = p->CheckBreakGlass(kDigest, At("2026-12-01T07:59:59Z"));
  ASSERT_NE(bg.entry, nullptr);
  EXPECT_TRUE(bg.active);
  EXPECT_EQ(bg.message,
            std::string("break-glass /breakGlass/0 admits ") + kDigest + " until 2026-12-01T10:00:00+02:00: INC-1: hotfix");
  Decision d = Decide(rule, Evaluate(*rule.requirement, {}), bg);
  EXPECT_EQ(d.action, Action::kAdmitBreakGlass);
  EXPECT_TRUE(d.admitted);
}

TEST(BreakGlass, StopsAdmittingAtItsExpiry) {
  auto p = WithBreakGlass();
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("quay.io/app:v1"), std::nullopt);
  for (const char* now : {"2026-12-01T08:00:00Z", "2026-12-01T10:00:00+02:00", "2027-01-01T00:00:00Z"}) {
    BreakGlassCheck bg = p->CheckBreakGlass(kDigest, At(now));
    ASSERT_NE(bg.entry, nullptr);
    EXPECT_FALSE(bg.active) << now;
    EXPECT_EQ(bg.message, std::string("break-glass /breakGlass/0 for ") + kDigest +
                              " expired at 2026-12-01T10:00:00+02:00 and no longer admits");
    EXPECT_EQ(Decide(rule, Evaluate(*rule.requirement, {}), bg).action, Action::kRefuse) << now;
  }
}

TEST(BreakGlass, OtherDigestsAreNotListed) {
  auto p = WithBreakGlass();
  ASSERT_NE(p, nullptr);
  BreakGlassCheck bg = p->CheckBreakGlass(kOtherDigest, At("2026-01-01T00:00:00Z"));
  EXPECT_EQ(bg.entry, nullptr);
  EXPECT_FALSE(bg.active);
  EXPECT_EQ(bg.message, "");
}

TEST(BreakGlass, VerifiedImagesDoNotNeedIt) {
  auto p = WithBreakGlass();
  ASSERT_NE(p, nullptr);
  ResolvedRule rule = p->Resolve(Ref("quay.io/app:v1"), std::nullopt);
  Evaluation yes{true, false, "ok"};
  EXPECT_EQ(Decide(rule, yes, p->CheckBreakGlass(kDigest, At("2026-01-01T00:00:00Z"))).action,
            Action::kAdmitVerified);
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  using std::chrono::milliseconds;
  auto utc = native_internal::ParseRfc3339("2026-12-01T08:00:00Z");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(native_internal::ParseRfc3339("2026-12-01T10:00:00+02:00"), utc);
  EXPECT_EQ(native_internal::ParseRfc3339("2026-12-01T03:30:00-04:30"), utc);
  EXPECT_EQ(native_internal::ParseRfc3339("2026-12-01t08:00:00z"), utc);
  EXPECT_EQ(native_internal::ParseRfc3339("2026-12-01T08:00:00.250Z"), *utc + milliseconds(250));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                native_internal::ParseRfc3339("1970-01-01T00:00:00Z")->time_since_epoch())
                .count(),
            0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                native_internal::ParseRfc3339("2024-02-29T00:00:00Z")->time_since_epoch())
                .count(),
            1709164800);
}

TEST(Rfc3339, RefusesWhatIsNotADateTime) {
  for (const char* bad : {"", "2026-12-01", "2026-12-01T08:00:00", "2026-12-01 08:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T08:60:00Z",
                          "2026-12-01T08:00:60Z", "2026-12-01T08:00:00.Z", "2026-12-01T08:00:00+0200",
                          "2026-12-01T08:00:00+24:00", "2026-12-01T08:00:00Zjunk", "26-12-01T08:00:00Z",
                          // Outside what the clock can represent without overflow.
                          "0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
                          "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(native_internal::ParseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace pullsentry::trust
