// signedIdentity matching, after containers/image
// signature/policy_reference_match.go.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "trust/containers_policy.h"
#include "trust/internal.h"

namespace pullsentry::trust {
namespace {

using reference::ImageReference;

absl::Status Denied(std::string message) { return absl::PermissionDeniedError(std::move(message)); }

bool IsNameOnly(const ImageReference& r) { return !r.HasTag() && !r.HasDigest(); }

std::string NameOnlyMessage(const ImageReference& sig, std::string_view form) {
  return absl::StrCat("signature names the repository ", sig.Name(), " without a tag or digest, which ",
                      std::string(form),
                      " does not accept (cosign signs repositories: use matchRepository or exactRepository)");
}

// matchRepoDigestOrExact on parsed values: a tagged image needs the exact
// reference signed; an image by digest needs its repository signed (the
// digest itself is checked against the signed manifest digest elsewhere).
absl::Status MatchRepoDigestOrExact(const ImageReference& intended, const ImageReference& sig, std::string_view form) {
  if (IsNameOnly(sig)) return Denied(NameOnlyMessage(sig, form));
  if (intended.HasTag()) {
    if (sig.String() == intended.String()) return absl::OkStatus();
    return Denied(absl::StrCat("signature names ", sig.String(), ", policy requires ", intended.String(), " (",
                               std::string(form), ")"));
  }
  if (intended.HasDigest()) {
    if (sig.Name() == intended.Name()) return absl::OkStatus();
    return Denied(absl::StrCat("signature names ", sig.String(), ", policy requires repository ", intended.Name(),
                               " (", std::string(form), ")"));
  }
  return Denied(absl::StrCat("image ", intended.Name(), " has neither tag nor digest"));
}

// remapIdentity's prefix test: on the repository name only, so the one
// separator after a prefix is '/' (policy_reference_match.go refMatchesPrefix).
bool MatchesPrefix(std::string_view name, std::string_view prefix) {
  if (name.size() < prefix.size()) return false;
  if (name.size() == prefix.size()) return name == prefix;
  return name.starts_with(prefix) && name[prefix.size()] == '/';
}

bool IsValidHostPort(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d;
  if (size_t colon = d.rfind(':'); colon != std::string_view::npos && d.find(']', colon) == std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (c < '0' || c > '9') return false;
    host = d.substr(0, colon);
  }
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2))
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
    return true;
  }
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

namespace internal {

absl::Status ValidateRemapPrefix(std::string_view prefix) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "prefix \"", std::string(prefix.substr(0, 256)),
        "\" is not valid: use host[:port] or a fully expanded repository namespace such as docker.io/library"));
  };
  if (prefix.find('/') == std::string_view::npos) return IsValidHostPort(prefix) ? absl::OkStatus() : invalid();
  // A namespace such as docker.io/library is not itself a normalised
  // repository name (it would become docker.io/library/library), so test a
  // repository inside it: it must already be in fully expanded form.
  std::string inside = absl::StrCat(std::string(prefix), "/x");
  auto parsed = reference::ParseNormalized(inside, /*default_tag=*/false);
  if (!parsed.ok() || !IsNameOnly(*parsed) || parsed->Name() != inside) return invalid();
  return absl::OkStatus();
}

}  // namespace internal

absl::Status CheckSignedIdentity(const SignedIdentity& identity, const ImageReference& image,
                                 std::string_view signed_docker_reference) {
  // CRI-O drops the tag of a tag@digest reference; the digest is what runs.
  ImageReference intended = image;
  if (intended.HasDigest()) intended.tag.clear();

  auto sig = reference::ParseNormalized(signed_docker_reference, /*default_tag=*/false);
  if (!sig.ok()) {
    return Denied(absl::StrCat("signature names an invalid reference: ", std::string(sig.status().message())));
  }

  switch (identity.kind) {
    case SignedIdentity::Kind::kMatchExact:
      if (IsNameOnly(*sig)) return Denied(NameOnlyMessage(*sig, "matchExact"));
      if (IsNameOnly(intended)) return Denied(absl::StrCat("image ", intended.Name(), " has neither tag nor digest"));
      if (sig->String() == intended.String()) return absl::OkStatus();
      return Denied(absl::StrCat("signature names ", sig->String(), ", policy requires ", intended.String(),
                                 " (matchExact)"));

    case SignedIdentity::Kind::kMatchRepoDigestOrExact:
      return MatchRepoDigestOrExact(intended, *sig, "matchRepoDigestOrExact");

    case SignedIdentity::Kind::kMatchRepository:
      if (sig->Name() == intended.Name()) return absl::OkStatus();
      return Denied(absl::StrCat("signature names ", sig->String(), ", policy requires repository ", intended.Name(),
                                 " (matchRepository)"));

    case SignedIdentity::Kind::kExactReference: {
      auto want = reference::ParseNormalized(identity.docker_reference, /*default_tag=*/false);
      if (!want.ok() || IsNameOnly(*want)) {
        return Denied(absl::StrCat("policy exactReference \"", identity.docker_reference, "\" is not a full reference"));
      }
      if (IsNameOnly(*sig)) return Denied(NameOnlyMessage(*sig, "exactReference"));
      if (sig->String() == want->String()) return absl::OkStatus();
      return Denied(absl::StrCat("signature names ", sig->String(), ", policy requires ", want->String(),
                                 " (exactReference)"));
    }

    case SignedIdentity::Kind::kExactRepository: {
      auto want = reference::ParseNormalized(identity.docker_repository, /*default_tag=*/false);
      if (!want.ok()) {
        return Denied(absl::StrCat("policy exactRepository \"", identity.docker_repository, "\" is not valid"));
      }
      if (sig->Name() == want->Name()) return absl::OkStatus();
      return Denied(absl::StrCat("signature names ", sig->String(), ", policy requires repository ", want->Name(),
                                 " (exactRepository)"));
    }

    case SignedIdentity::Kind::kRemapIdentity: {
      ImageReference remapped = intended;
      if (MatchesPrefix(intended.Name(), identity.prefix)) {
        std::string text = identity.signed_prefix + intended.String().substr(identity.prefix.size());
        auto parsed = reference::ParseNormalized(text, /*default_tag=*/false);
        // Like upstream's reference.ParseNamed: the result must already be
        // in canonical form.
        if (!parsed.ok() || parsed->String() != text) {
          return Denied(absl::StrCat("remapping ", intended.String(), " from ", identity.prefix, " to ",
                                     identity.signed_prefix, " gives the invalid reference ", text));
        }
        remapped = *parsed;
      }
      return MatchRepoDigestOrExact(remapped, *sig, "remapIdentity");
    }
  }
  return Denied("unknown signedIdentity kind");
}

}  // namespace pullsentry::trust
