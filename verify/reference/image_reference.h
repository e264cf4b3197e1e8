// Image references as container runtimes spell them, normalised the way
// containerd and CRI-O do (docker/distribution reference grammar):
//   nginx                      -> docker.io/library/nginx:latest
//   ghcr.io/acme/app@sha256:.. -> ghcr.io/acme/app@sha256:..
// Every spelling kubelet may send normalises to one canonical string, so the
// policy, the tag ledger and the registry client all agree on what an image is.
#ifndef PULLSENTRY_VERIFY_REFERENCE_IMAGE_REFERENCE_H_
#define PULLSENTRY_VERIFY_REFERENCE_IMAGE_REFERENCE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pullsentry::reference {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
// The longest reference accepted at all; the name part alone is capped at 255
// bytes by the distribution grammar.
inline constexpr size_t kMaxReferenceLength = 1024;

struct ImageReference {
  std::string domain;      // "docker.io", "registry.example:5000", "localhost"
  std::string path;        // "library/nginx", "acme/app"
  std::string tag;         // "" when the reference carries none
  std::string digest;      // "sha256:<hex>" or ""; verified syntactically only

  // domain/path, e.g. "docker.io/library/nginx".
  std::string Name() const;
  // Name[:tag][@digest].
  std::string String() const;
  // Name:tag (tag must be set).
  std::string NameWithTag() const;
  // Name@digest for an arbitrary digest.
  std::string NameWithDigest(std::string_view digest) const;
  bool HasTag() const { return !tag.empty(); }
  bool HasDigest() const { return !digest.empty(); }

  friend bool operator==(const ImageReference&, const ImageReference&) = default;
};

// Parses and normalises `text`. With `default_tag` a reference that has
// neither tag nor digest gets the tag "latest" (what a runtime pulls).
// Errors are InvalidArgument with a message naming what is wrong.
absl::StatusOr<ImageReference> ParseNormalized(std::string_view text, bool default_tag = true);

// True when `text` is an image ID rather than a reference: "<64 hex>" or
// "sha256:<64 hex>" (runtimes accept both in ImageStatus and RemoveImage).
bool IsImageId(std::string_view text);

// True when `digest` is "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>".
bool IsValidDigest(std::string_view digest);

}  // namespace pullsentry::reference

#endif  // PULLSENTRY_VERIFY_REFERENCE_IMAGE_REFERENCE_H_
