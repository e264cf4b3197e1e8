// Evaluation of native policy requirements: anyOf/allOf composition, modes,
// break-glass. Pure functions of their arguments; time is passed in.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"

namespace pullsentry::trust {
namespace {

struct Result {
  bool satisfied = false;
  bool indeterminate = false;
  std::string reason;
};

Result EvaluateNode(const RequirementNode& node, const LeafOutcomes& outcomes) {
  switch (node.kind) {
    case RequirementNode::Kind::kVerifier: {
      const Verifier& v = *node.verifier;
      if (v.type == Verifier::Type::kAccept) return {true, false, "accept"};
      if (v.type == Verifier::Type::kReject) return {false, false, "the policy rejects these images (reject)"};
      auto it = outcomes.find(v.name);
      if (it == outcomes.end()) return {false, false, absl::StrCat(v.name, ": verifier was not run")};
      switch (it->second.state) {
        case LeafOutcome::State::kSatisfied: return {true, false, absl::StrCat(v.name, ": ", it->second.detail)};
        case LeafOutcome::State::kNotSatisfied: return {false, false, absl::StrCat(v.name, ": ", it->second.detail)};
        case LeafOutcome::State::kIndeterminate:
          return {false, true, absl::StrCat(v.name, ": cannot verify: ", it->second.detail)};
      }
      return {false, false, absl::StrCat(v.name, ": unknown outcome")};
    }
    case RequirementNode::Kind::kAllOf: {
      std::vector<std::string> reasons;
      const Result* first_indeterminate = nullptr;
      std::vector<Result> results;
      results.reserve(node.children.size());
      for (const RequirementNode& c : node.children) {
        results.push_back(EvaluateNode(c, outcomes));
        const Result& r = results.back();
        // A definite "no" decides allOf whatever the indeterminate ones say.
        if (!r.satisfied && !r.indeterminate) return {false, false, r.reason};
        if (!r.satisfied && first_indeterminate == nullptr) first_indeterminate = &r;
        reasons.push_back(r.reason);
      }
      if (first_indeterminate != nullptr) return {false, true, first_indeterminate->reason};
      return {true, false, absl::StrJoin(reasons, "; ")};
    }
    case RequirementNode::Kind::kAnyOf: {
      std::vector<std::string> reasons;
      bool indeterminate = false;
      for (const RequirementNode& c : node.children) {
        Result r = EvaluateNode(c, outcomes);
        if (r.satisfied) return r;
        indeterminate = indeterminate || r.indeterminate;
        reasons.push_back(std::move(r.reason));
      }
      return {false, indeterminate, absl::StrCat("none of anyOf holds: ", absl::StrJoin(reasons, "; "))};
    }
  }
  return {false, false, "malformed requirement"};
}

void CollectUnsupported(const RequirementNode& node, std::vector<const Verifier*>* out) {
  if (node.kind == RequirementNode::Kind::kVerifier) {
    if (!node.verifier->Supported() &&
        std::find(out->begin(), out->end(), node.verifier.get()) == out->end()) {
      out->push_back(node.verifier.get());
    }
    return;
  }
  for (const RequirementNode& c : node.children) CollectUnsupported(c, out);
}

}  // namespace

std::string_view PolicyModeName(PolicyMode mode) {
  switch (mode) {
    case PolicyMode::kEnforce: return "enforce";
    case PolicyMode::kWarn: return "warn";
    case PolicyMode::kAudit: return "audit";
  }
  return "?";
}

std::string_view VerifierTypeName(Verifier::Type type) {
  switch (type) {
    case Verifier::Type::kAccept: return "accept";
    case Verifier::Type::kReject: return "reject";
    case Verifier::Type::kCosignKey: return "cosignKey";
    case Verifier::Type::kKeyless: return "keyless";
    case Verifier::Type::kNotation: return "notation";
  }
  return "?";
}

bool Verifier::Matcher::Matches(std::string_view value) const {
  if (!is_regex) return value == text;
  if (regex == nullptr) return false;
  try {
    return std::regex_match(value.begin(), value.end(), *regex);
  } catch (const std::regex_error&) {
    return false;  // e.g. error_complexity: no match, fail closed
  }
}

std::string DescribeRequirement(const RequirementNode& node) {
  if (node.kind == RequirementNode::Kind::kVerifier) return node.verifier->name;
  std::vector<std::string> parts;
  for (const RequirementNode& c : node.children) parts.push_back(DescribeRequirement(c));
  return absl::StrCat(node.kind == RequirementNode::Kind::kAllOf ? "allOf(" : "anyOf(", absl::StrJoin(parts, ", "),
                      ")");
}

const SignedIdentity& EffectiveIdentity(const ResolvedRule& rule, const Verifier& verifier) {
  return verifier.identity.has_value() ? *verifier.identity : rule.scope->identity;
}

Evaluation Evaluate(const RequirementNode& tree, const LeafOutcomes& outcomes) {
  std::vector<const Verifier*> unsupported;
  CollectUnsupported(tree, &unsupported);
  if (!unsupported.empty()) {
    std::vector<std::string> what;
    for (const Verifier* v : unsupported) {
      what.push_back(absl::StrCat("verifier type ", std::string(VerifierTypeName(v->type)), " is not supported yet (verifier \"",
                                  v->name, "\")"));
    }
    return {false, false, absl::StrCat(absl::StrJoin(what, "; "), ": refusing")};
  }
  Result r = EvaluateNode(tree, outcomes);
  return {r.satisfied, !r.satisfied && r.indeterminate, std::move(r.reason)};
}

Decision Decide(const ResolvedRule& rule, const Evaluation& evaluation, const BreakGlassCheck& break_glass) {
  using Action = Decision::Action;
  if (evaluation.satisfied) return {Action::kAdmitVerified, true, evaluation.reason};
  if (break_glass.active) return {Action::kAdmitBreakGlass, true, break_glass.message};
  std::string failure = absl::StrCat("scope \"", rule.scope->pattern, "\": ", evaluation.reason);
  switch (rule.mode) {
    case PolicyMode::kEnforce: return {Action::kRefuse, false, failure};
    case PolicyMode::kWarn: return {Action::kAdmitWarn, true, absl::StrCat("warn mode, would refuse: ", failure)};
    case PolicyMode::kAudit: return {Action::kAdmitAudit, true, absl::StrCat("audit mode, would refuse: ", failure)};
  }
  return {Action::kRefuse, false, failure};
}

BreakGlassCheck NativePolicy::CheckBreakGlass(std::string_view digest, std::chrono::system_clock::time_point now) const {
  BreakGlassCheck out;
  auto it = break_glass_by_digest_.find(digest);
  if (it == break_glass_by_digest_.end()) return out;
  out.entry = &break_glass_[it->second];
  out.active = now < out.entry->expires;
  if (out.active) {
    out.message = absl::StrCat("break-glass ", out.entry->pointer, " admits ", out.entry->digest, " until ",
                               out.entry->expires_text, ": ", out.entry->reason);
  } else {
    out.message = absl::StrCat("break-glass ", out.entry->pointer, " for ", out.entry->digest, " expired at ",
                               out.entry->expires_text, " and no longer admits");
  }
  return out;
}

namespace native_internal {

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view s) {
  // date-time = full-date "T" partial-time time-offset (RFC 3339 §5.6).
  size_t pos = 0;
  auto digits = [&](size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  };
  auto expect = [&](std::string_view chars) {
    if (pos < s.size() && chars.find(s[pos]) != std::string_view::npos) {
      ++pos;
      return true;
    }
    return false;
  };
  auto year = digits(4);
  if (!year || !expect("-")) return std::nullopt;
  auto month = digits(2);
  if (!month || !expect("-")) return std::nullopt;
  auto day = digits(2);
  if (!day || !expect("Tt")) return std::nullopt;
  auto hour = digits(2);
  if (!hour || !expect(":")) return std::nullopt;
  auto minute = digits(2);
  if (!minute || !expect(":")) return std::nullopt;
  auto second = digits(2);
  if (!second) return std::nullopt;
  std::chrono::nanoseconds fraction{0};
  if (expect(".")) {
    size_t start = pos;
    long long ns = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 9) ns = ns * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 9; ++n) ns *= 10;
    fraction = std::chrono::nanoseconds(ns);
  }
  int offset_minutes = 0;
  if (!expect("Zz")) {
    if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = digits(2);
    if (!oh || !expect(":")) return std::nullopt;
    auto om = digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  }
  if (pos != s.size()) return std::nullopt;
  // system_clock counts nanoseconds in a 64-bit integer (years 1678-2262):
  // refuse what it cannot hold rather than overflow. Leap second 60 is
  // refused too: an expiry has no need of it.
  if (*year < 1970 || *year > 2199) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                  std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second) - std::chrono::minutes(offset_minutes);
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction);
}

}  // namespace native_internal
}  // namespace pullsentry::trust
