// Scope patterns of the native policy: classification, matching, the
// specificity order and NativePolicy::Resolve.
#include <algorithm>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "trust/internal.h"
#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"

namespace pullsentry::trust {
namespace native_internal {
namespace {

bool IsGlob(std::string_view component) { return component.find('*') != std::string_view::npos; }

size_t LiteralCount(std::string_view component) {
  return static_cast<size_t>(std::count_if(component.begin(), component.end(), [](char c) { return c != '*'; }));
}

bool ValidGlobComponent(std::string_view c, bool host) {
  if (c.empty() || c.find("**") != std::string_view::npos) return false;
  for (char ch : c) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
              ch == '*';
    if (host) ok = ok || (ch >= 'A' && ch <= 'Z') || ch == ':';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    out.emplace_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

}  // namespace

absl::Status ParseScopePattern(std::string_view pattern, NativeScope* scope) {
  auto invalid = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("scope \"", std::string(pattern.substr(0, 256)), "\": ", why));
  };
  if (pattern.empty()) return invalid("must not be empty (use \"default\" for images no scope matches)");
  if (pattern.size() > kMaxNativeScopePatternLength) {
    return invalid(absl::StrCat("longer than ", kMaxNativeScopePatternLength, " characters"));
  }
  std::vector<std::string> components = Split(pattern);
  // A tag sits after a ':' in a component other than the host; a digest
  // after '@'. Either makes the pattern an exact reference.
  bool exact = pattern.find('@') != std::string_view::npos;
  for (size_t i = 1; i < components.size(); ++i) exact = exact || components[i].find(':') != std::string::npos;
  if (components.size() == 1 && pattern.find('*') == std::string_view::npos) {
    // "busybox:1.36" is a short name with a tag, not a host with a port.
    size_t colon = pattern.rfind(':');
    exact = exact || (colon != std::string_view::npos && pattern.find(']', colon) == std::string_view::npos &&
                      pattern.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos);
  }
  if (exact) {
    if (pattern.find('*') != std::string_view::npos) {
      return invalid("an exact reference (with a tag or digest) cannot contain '*'");
    }
    auto parsed = reference::ParseNormalized(pattern, /*default_tag=*/false);
    if (!parsed.ok()) return invalid(std::string(parsed.status().message()));
    if (parsed->HasTag() && parsed->HasDigest()) {
      return invalid("name a tag or a digest, not both (an image pulled by digest is matched by its digest)");
    }
    if (parsed->String() != pattern) {
      return invalid(absl::StrCat("write the reference fully expanded, as \"", parsed->String(), "\""));
    }
    scope->kind = ScopeKind::kExactReference;
    scope->components.clear();
    return absl::OkStatus();
  }
  if (pattern.find('*') == std::string_view::npos) {
    if (absl::Status s = internal::ValidateRemapPrefix(pattern); !s.ok()) {
      return invalid("not a registry host[:port] or a fully expanded repository or namespace (such as "
                     "docker.io/library, not library)");
    }
    scope->kind = ScopeKind::kPrefix;
    scope->components = std::move(components);
    return absl::OkStatus();
  }
  for (size_t i = 0; i < components.size(); ++i) {
    if (!ValidGlobComponent(components[i], i == 0)) {
      return invalid(absl::StrCat("component ", i + 1, " (\"", components[i].substr(0, 256),
                                  "\") is not valid: use lowercase letters, digits, '.', '-', '_' and single '*' "
                                  "(one or more characters within a component)"));
    }
  }
  // Without this a glob such as "*/app" would rank docker.io/library/app
  // against a host wildcard; a host must be recognisable as one.
  if (!IsGlob(components[0]) && components[0].find('.') == std::string::npos &&
      components[0].find(':') == std::string::npos && components[0] != "localhost") {
    return invalid("the first component must be a registry host (docker.io/library/*, not library/*)");
  }
  scope->kind = ScopeKind::kGlob;
  scope->components = std::move(components);
  return absl::OkStatus();
}

std::string ExactKey(const reference::ImageReference& image) {
  return image.HasDigest() ? image.NameWithDigest(image.digest) : image.NameWithTag();
}

bool GlobComponentMatches(std::string_view glob, std::string_view text) {
  // '*' is one or more characters: read it as '?' followed by '*'. Classic
  // DP over (glob position, text position); components are short.
  std::string g;
  for (char c : glob) {
    if (c == '*') {
      g += '?';
      g += '*';
    } else {
      g += c;
    }
  }
  std::vector<char> row(text.size() + 1, 0), next(text.size() + 1, 0);
  row[0] = 1;
  for (char c : g) {
    std::fill(next.begin(), next.end(), 0);
    for (size_t j = 0; j <= text.size(); ++j) {
      if (c == '*') {
        next[j] = row[j] || (j > 0 && next[j - 1]);
      } else if (j > 0 && row[j - 1] && (c == '?' || c == text[j - 1])) {
        next[j] = 1;
      }
    }
    std::swap(row, next);
  }
  return row[text.size()] != 0;
}

namespace {

// host[:port] split at the port's ':' (none inside "[…]" of an IPv6 address).
std::pair<std::string_view, std::optional<std::string_view>> SplitHostPort(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) return {host, std::nullopt};
  return {host.substr(0, colon), host.substr(colon + 1)};
}

// A glob host is matched in two parts, so that a '*' in the host name never
// spans the port: "*.example.com" covers only port-less hosts and
// "*.example.com:*" only hosts with a port.
bool HostGlobMatches(std::string_view glob, std::string_view host) {
  auto [gh, gp] = SplitHostPort(glob);
  auto [hh, hp] = SplitHostPort(host);
  if (gp.has_value() != hp.has_value()) return false;
  if (!GlobComponentMatches(gh, hh)) return false;
  return !gp.has_value() || GlobComponentMatches(*gp, *hp);
}

// Whether some string matches both patterns (each a literal or a glob).
bool PartsOverlap(std::string_view x, std::string_view y) {
  bool gx = IsGlob(x), gy = IsGlob(y);
  if (!gx && !gy) return x == y;
  if (gx != gy) return GlobComponentMatches(gx ? x : y, gx ? y : x);
  // Two patterns that each hold a '*' share a match exactly when their
  // literal prefixes (before the first '*') and literal suffixes (after the
  // last '*') are compatible: one prefix extends the other, one suffix ends
  // the other; the stars absorb everything in between.
  std::string_view px = x.substr(0, x.find('*')), py = y.substr(0, y.find('*'));
  std::string_view sx = x.substr(x.rfind('*') + 1), sy = y.substr(y.rfind('*') + 1);
  return (px.starts_with(py) || py.starts_with(px)) && (sx.ends_with(sy) || sy.ends_with(sx));
}

bool HostsOverlap(std::string_view x, std::string_view y) {
  auto [xh, xp] = SplitHostPort(x);
  auto [yh, yp] = SplitHostPort(y);
  if (xp.has_value() != yp.has_value()) return false;
  return PartsOverlap(xh, yh) && (!xp.has_value() || PartsOverlap(*xp, *yp));
}

}  // namespace

bool ScopeCoversName(const NativeScope& scope, const std::vector<std::string>& name) {
  if (scope.components.size() > name.size()) return false;
  for (size_t i = 0; i < scope.components.size(); ++i) {
    const std::string& c = scope.components[i];
    if (scope.kind == ScopeKind::kGlob && IsGlob(c)) {
      if (!(i == 0 ? HostGlobMatches(c, name[i]) : GlobComponentMatches(c, name[i]))) return false;
    } else if (c != name[i]) {
      return false;
    }
  }
  return true;
}

int CompareSpecificity(const NativeScope& a, const NativeScope& b) {
  size_t n = std::min(a.components.size(), b.components.size());
  for (size_t i = 0; i < n; ++i) {
    bool ga = IsGlob(a.components[i]), gb = IsGlob(b.components[i]);
    if (ga != gb) return ga ? -1 : 1;  // a literal component beats a glob
    if (ga) {
      size_t la = LiteralCount(a.components[i]), lb = LiteralCount(b.components[i]);
      if (la != lb) return la > lb ? 1 : -1;
    }
  }
  if (a.components.size() != b.components.size()) return a.components.size() > b.components.size() ? 1 : -1;
  return 0;
}

bool ScopesOverlap(const NativeScope& a, const NativeScope& b) {
  if (a.components.size() != b.components.size()) return false;
  for (size_t i = 0; i < a.components.size(); ++i) {
    const std::string& x = a.components[i];
    const std::string& y = b.components[i];
    if (!(i == 0 ? HostsOverlap(x, y) : PartsOverlap(x, y))) return false;
  }
  return true;
}

}  // namespace native_internal

std::string_view ScopeKindName(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kExactReference: return "exact reference";
    case ScopeKind::kPrefix: return "prefix";
    case ScopeKind::kGlob: return "glob";
    case ScopeKind::kDefault: return "default";
  }
  return "?";
}

ResolvedRule NativePolicy::Resolve(const reference::ImageReference& image, std::optional<std::string_view> ns) const {
  const NativeScope* best = nullptr;
  std::string why;
  std::string key = native_internal::ExactKey(image);
  if (auto it = exact_scopes_.find(key); it != exact_scopes_.end()) {
    best = &scopes_[it->second];
    why = absl::StrCat("exact reference \"", best->pattern, "\" names ", key);
  } else {
    std::vector<std::string> name = native_internal::Split(image.Name());
    size_t others = 0;
    for (const NativeScope& s : scopes_) {
      if (s.kind == ScopeKind::kExactReference || !native_internal::ScopeCoversName(s, name)) continue;
      if (best == nullptr) {
        best = &s;
      } else {
        ++others;
        if (native_internal::CompareSpecificity(s, *best) > 0) best = &s;
      }
    }
    if (best != nullptr) {
      why = absl::StrCat(std::string(ScopeKindName(best->kind)), " \"", best->pattern, "\" covers ", image.Name());
      if (others > 0) absl::StrAppend(&why, " and is more specific than ", others, " other matching scope", others > 1 ? "s" : "");
    }
  }
  if (best == nullptr) {
    best = &default_;
    why = absl::StrCat("no scope covers ", image.Name(), "; the default applies");
  }

  ResolvedRule rule;
  rule.scope = best;
  rule.mode = best->mode;
  rule.requirement = &best->require;
  if (ns.has_value()) {
    if (auto it = best->namespaces.find(*ns); it != best->namespaces.end()) {
      rule.applied_namespace = it->first;
      if (it->second.mode.has_value()) rule.mode = *it->second.mode;
      if (it->second.require.has_value()) rule.requirement = &*it->second.require;
      absl::StrAppend(&why, "; override for namespace \"", it->first, "\"");
    }
  }
  rule.why = std::move(why);
  std::vector<const RequirementNode*> stack = {rule.requirement};
  while (!stack.empty()) {
    const RequirementNode* n = stack.back();
    stack.pop_back();
    if (n->kind == RequirementNode::Kind::kVerifier) {
      if (!n->verifier->Supported() &&
          std::find(rule.unsupported.begin(), rule.unsupported.end(), n->verifier->name) == rule.unsupported.end()) {
        rule.unsupported.push_back(n->verifier->name);
      }
    } else {
      for (const RequirementNode& c : n->children) stack.push_back(&c);
    }
  }
  std::sort(rule.unsupported.begin(), rule.unsupported.end());
  return rule;
}

}  // namespace pullsentry::trust
