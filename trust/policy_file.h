// The policy in force, whatever format it was written in. The daemon and the
// CLI load a policy file through here: the format is recognised from the
// content, the file is validated whole, and the result is immutable.
#ifndef PULLSENTRY_TRUST_POLICY_FILE_H_
#define PULLSENTRY_TRUST_POLICY_FILE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "trust/native_policy.h"
#include "trust/trust_store.h"

namespace pullsentry::trust {

enum class PolicyFormat {
  kContainers,  // containers-policy.json(5)
  kNative,      // pullsentry's own format (native_policy.md): has "version" 1
  kNotation,    // Notation's trustpolicy.json / trustpolicy.oci.json: has "trustPolicies"
};
// "containers-policy.json", "native", "notation trustpolicy.json"
std::string_view PolicyFormatName(PolicyFormat format);

// Recognises the format from the document's top-level keys. InvalidArgument
// when it is neither (not an object, or no "version" / "default" key).
absl::StatusOr<PolicyFormat> DetectPolicyFormat(std::string_view json);

struct LoadedPolicy {
  std::string path;  // absolute
  PolicyFormat format = PolicyFormat::kContainers;
  std::shared_ptr<const ContainersPolicy> containers;  // set for kContainers
  std::shared_ptr<const NativePolicy> native;          // set for kNative and kNotation (converted)
  std::vector<std::string> warnings;  // what an operator must know (e.g. a converted skip policy)
  // "sha256:<hex>" over the policy and the trust material it loaded: equal
  // hashes mean equal decisions. Cached verdicts are keyed on it.
  std::string hash;
  // Every file whose change must trigger a reload: the policy, its keys and
  // the trust store's files.
  std::vector<std::string> files;
  // Directories where any change (a file added or removed) must trigger a
  // reload: the trust store's.
  std::vector<std::string> directories;
  // The trust store the policy was loaded with (native format), if any.
  std::shared_ptr<const TrustStore> trust_store;
};

struct PolicyLoadOptions {
  // The trust store (trust_store.h). For pullsentry's format it is opened
  // and validated whole when the directory exists, whether or not the
  // policy names anything in it: a damaged trust store never loads.
  std::string trust_store_dir = "/etc/pullsentry";
};

// Reads `path` (a regular file, at most 1 MiB) and loads it in whichever
// format it is. Errors name the file and, for the native format, the JSON
// pointer and line/column of the problem.
absl::StatusOr<std::shared_ptr<const LoadedPolicy>> LoadPolicyFile(const std::string& path,
                                                                  const PolicyLoadOptions& options);

// A policy that refuses every image: what `--default-policy=reject` serves
// while no policy file exists.
std::shared_ptr<const LoadedPolicy> RejectEverythingPolicy(const std::string& path);

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_POLICY_FILE_H_
