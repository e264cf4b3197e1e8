// The containers-policy.json(5) format that CRI-O and podman read from
// /etc/containers/policy.json: parsed, validated whole, then immutable.
//
// Only the `docker` transport matters to a CRI image service; other
// transports' sections are validated for shape and otherwise ignored.
// Requirement types that pullsentry does not verify yet (signedBy, and
// sigstoreSigned with fulcio, pki or rekorPublicKey*) are load errors, never
// silently ignored.
#ifndef PULLSENTRY_TRUST_CONTAINERS_POLICY_H_
#define PULLSENTRY_TRUST_CONTAINERS_POLICY_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/crypto/public_key.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::trust {

// Which reference a signature's docker-reference must name.
struct SignedIdentity {
  enum class Kind {
    kMatchRepoDigestOrExact,  // default
    kMatchExact,
    kMatchRepository,
    kExactReference,
    kExactRepository,
    kRemapIdentity,
  };
  Kind kind = Kind::kMatchRepoDigestOrExact;
  std::string docker_reference;   // kExactReference
  std::string docker_repository;  // kExactRepository
  std::string prefix;             // kRemapIdentity
  std::string signed_prefix;      // kRemapIdentity
};

struct NamedKey {
  // Where it came from: the resolved keyPath or keyPaths entry, "keyData",
  // or "keyDatas[1]".
  std::string source;
  std::shared_ptr<const crypto::PublicKey> key;
};

struct Requirement {
  enum class Type { kInsecureAcceptAnything, kReject, kSigstoreSigned };
  Type type = Type::kReject;
  // kSigstoreSigned: any one of these keys suffices.
  std::vector<NamedKey> keys;
  SignedIdentity signed_identity;
};

// The requirements that apply to one image, and why.
struct ScopeMatch {
  // The scope that matched: a docker scope string, "" for the docker
  // transport's default, or "(default)" for the policy's global default.
  std::string scope;
  const std::vector<Requirement>* requirements = nullptr;  // all must hold
};

// One docker scope looked up for an image, for `pullsentry policy explain`.
struct ScopeCandidate {
  std::string scope;
  bool in_policy = false;  // the policy has requirements for exactly this scope
};

// A ScopeMatch with the lookup that led to it.
struct ExplainedScopeMatch {
  ScopeMatch match;
  // Every docker scope tried for the image, most specific first, whether or
  // not the lookup reached it; match.scope is the first with in_policy set,
  // or else "" / "(default)".
  std::vector<ScopeCandidate> candidates;
};

// Bounds on the policy input.
inline constexpr size_t kMaxPolicyBytes = 1u << 20;
inline constexpr size_t kMaxPolicyJsonDepth = 32;
inline constexpr size_t kMaxKeyFileBytes = 64u << 10;

class ContainersPolicy {
 public:
  // Parses `json`. Relative keyPath values resolve against `base_dir`.
  // InvalidArgument, naming the JSON location and what is wrong, on any error,
  // e.g. `transports.docker["ghcr.io/acme"][0]: requirement type "signedBy"
  // is not supported by pullsentry yet`. Keys are read and checked here, so a
  // policy that loads has only usable keys. Strict as containers/image
  // (signature/policy_config.go): unknown or duplicate fields, empty
  // requirement lists and a missing "default" are errors. Transports other
  // than "docker" are checked for shape only (objects of non-empty lists of
  // requirements with a known "type") since a CRI pull never uses them.
  static absl::StatusOr<std::shared_ptr<const ContainersPolicy>> Parse(std::string_view json,
                                                                      const std::string& base_dir);
  // Reads and parses a regular file (at most 1 MiB); relative key paths
  // resolve against the file's directory; errors name the file.
  static absl::StatusOr<std::shared_ptr<const ContainersPolicy>> Load(const std::string& path);

  // Most specific docker scope for `image` (normalised, tag or digest set):
  // full reference with tag/digest, then repository, then each parent
  // namespace, then host[:port], then *.domain wildcards (longest first),
  // then the transport default "", then the global default
  // (docker/policyconfiguration/naming.go). An image with both a tag and a
  // digest is looked up by digest, as CRI-O drops the tag. The requirements
  // returned are never empty and live as long as the policy.
  ScopeMatch Match(const reference::ImageReference& image) const;

  // Match, and every candidate scope it considered. match is always what
  // Match returns for the same image.
  ExplainedScopeMatch MatchExplained(const reference::ImageReference& image) const;

  // The docker scopes Match tries for `image`, most specific first, without
  // "" and "(default)". A scope string that is in no image's list can never
  // match (containers/image does not validate scopes either).
  static std::vector<std::string> CandidateScopes(const reference::ImageReference& image);

  // The global default's requirements; the docker transport's "" scope, or
  // nullptr when the policy has none; all explicit docker scopes.
  const std::vector<Requirement>& GlobalDefault() const { return default_; }
  const std::vector<Requirement>* DockerDefault() const { return has_docker_default_ ? &docker_default_ : nullptr; }
  const std::map<std::string, std::vector<Requirement>>& DockerScopes() const { return docker_scopes_; }

  // Every key file the policy read (absolute paths, sorted, no duplicates):
  // what a reload must watch besides the policy file itself.
  std::vector<std::string> KeyFiles() const;

 private:
  ContainersPolicy() = default;

  std::vector<Requirement> default_;
  bool has_docker_default_ = false;
  std::vector<Requirement> docker_default_;
  std::map<std::string, std::vector<Requirement>> docker_scopes_;
};

// Checks a signature's claimed docker-reference against the image being
// pulled (`image`, as requested: normalised, with its tag and/or digest).
// OK or PermissionDenied with a message such as
// "signature names docker.io/x/y:v1, policy requires docker.io/x/z".
// Semantics of signature/policy_reference_match.go: the signed reference is
// normalised without adding a tag, and the exact forms (matchExact,
// matchRepoDigestOrExact with a tagged image, exactReference, remapIdentity)
// never accept a signature that names only a repository, which is what
// cosign writes. An image with both tag and digest counts as by digest.
absl::Status CheckSignedIdentity(const SignedIdentity& identity, const reference::ImageReference& image,
                                 std::string_view signed_docker_reference);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_CONTAINERS_POLICY_H_
