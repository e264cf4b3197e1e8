#include "verify/reference/image_reference.h"

#include <string>

#include "absl/status/status.h"

namespace pullsentry::reference {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// path-component: [a-z0-9]+ ( ( [._] | __ | [-]+ ) [a-z0-9]+ )*
bool IsValidPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__" or one or more "-".
    size_t start = i;
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == start || i >= c.size() || !IsLowerAlnum(c[i])) return false;
  }
  return true;
}

// domain: host components of [a-zA-Z0-9-] separated by dots, or a bracketed
// IPv6 address, optionally followed by :port.
bool IsValidDomain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d;
  // The port follows the last ':' outside an IPv6 literal's brackets.
  size_t bracket = d.find(']');
  size_t colon = d.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos ? d.front() != '[' : colon > bracket)) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (c < '0' || c > '9') return false;
    host = d.substr(0, colon);
  }
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return false;
    for (char c : host.substr(1, host.size() - 2))
      if (!(IsHex(c) || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) return false;
    return true;
  }
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!(IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-')) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool IsValidTag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength) return false;
  auto word = [](char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t)
    if (!(word(c) || c == '.' || c == '-')) return false;
  return true;
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError("invalid image reference \"" + std::string(text.substr(0, 256)) +
                                    "\": " + std::string(why));
}

}  // namespace

bool IsValidDigest(std::string_view digest) {
  size_t want;
  if (digest.starts_with("sha256:")) {
    want = 64;
  } else if (digest.starts_with("sha512:")) {
    want = 128;
  } else {
    return false;
  }
  std::string_view hex = digest.substr(7);
  if (hex.size() != want) return false;
  for (char c : hex)
    if (!IsHex(c)) return false;
  return true;
}

bool IsImageId(std::string_view text) {
  if (text.starts_with("sha256:")) text.remove_prefix(7);
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string ImageReference::Name() const { return domain + "/" + path; }

std::string ImageReference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string ImageReference::NameWithTag() const { return Name() + ":" + tag; }

std::string ImageReference::NameWithDigest(std::string_view d) const { return Name() + "@" + std::string(d); }

absl::StatusOr<ImageReference> ParseNormalized(std::string_view text, bool default_tag) {
  if (text.empty()) return Invalid(text, "empty");
  if (text.size() > kMaxReferenceLength) return Invalid(text, "too long");
  ImageReference ref;
  std::string_view rest = text;

  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest)) return Invalid(text, "digest must be sha256:<64 hex> or sha512:<128 hex>");
  }
  // A tag follows the last ':' that comes after the last '/'.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsValidTag(ref.tag)) return Invalid(text, "tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  if (rest.empty()) return Invalid(text, "missing repository name");

  // The first component is a registry domain when it looks like one.
  size_t first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  bool has_domain = first_slash != std::string_view::npos &&
                    (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
                     first == "localhost" || first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos);
  std::string_view path;
  if (has_domain) {
    ref.domain = std::string(first);
    path = rest.substr(first_slash + 1);
    if (!IsValidDomain(ref.domain)) return Invalid(text, "registry host is not valid");
  } else {
    ref.domain = std::string(kDockerHubDomain);
    path = rest;
  }
  if (ref.domain == "index.docker.io" || ref.domain == "registry-1.docker.io") ref.domain = kDockerHubDomain;

  size_t start = 0;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view component = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!IsValidPathComponent(component))
      return Invalid(text, "repository name must be lowercase letters, digits and separators [._-]");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  // A bare 64-hex name is an image ID, never a repository (distribution's
  // rule), so "sha256:<hex>"-like IDs cannot be mistaken for docker.io names.
  if (!has_domain && path.size() == 64 && path.find_first_not_of("0123456789abcdef") == std::string_view::npos)
    return Invalid(text, "a 64-character hex string is an image ID, not a repository name");
  ref.path = std::string(path);
  if (ref.domain == kDockerHubDomain && ref.path.find('/') == std::string::npos) ref.path = "library/" + ref.path;
  if (ref.Name().size() > kMaxNameLength) return Invalid(text, "repository name longer than 255 characters");
  if (default_tag && ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace pullsentry::reference
