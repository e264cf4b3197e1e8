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
  std::string source;  // where it came from: a keyPath, or "keyData[1]"
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

class ContainersPolicy {
 public:
  // Parses `json`. Relative keyPath values resolve against `base_dir`.
  // InvalidArgument, naming the JSON location and what is wrong, on any error.
  static absl::StatusOr<std::shared_ptr<const ContainersPolicy>> Parse(std::string_view json,
                                                                      const std::string& base_dir);
  // Reads and parses a file (at most 1 MiB); errors name the file.
  static absl::StatusOr<std::shared_ptr<const ContainersPolicy>> Load(const std::string& path);

  // Most specific docker scope for `image` (normalised, tag or digest set):
  // full reference with tag/digest, then repository, then each parent
  // namespace, then host[:port], then *.domain wildcards (longest first),
  // then the transport default "", then the global default.
  ScopeMatch Match(const reference::ImageReference& image) const;

 private:
  std::vector<Requirement> default_;
  bool has_docker_default_ = false;
  std::vector<Requirement> docker_default_;
  std::map<std::string, std::vector<Requirement>> docker_scopes_;
};

// Checks a signature's claimed docker-reference against the image being
// pulled (`image`, as requested: normalised, with its tag and/or digest).
// OK or PermissionDenied with a message such as
// "signature names docker.io/x/y:v1, policy requires docker.io/x/z".
absl::Status CheckSignedIdentity(const SignedIdentity& identity, const reference::ImageReference& image,
                                 std::string_view signed_docker_reference);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_CONTAINERS_POLICY_H_
