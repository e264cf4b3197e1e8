// Scope lookup for the docker transport, after containers/image
// docker/policyconfiguration/naming.go and signature/policy_eval.go.
#include <set>
#include <string>
#include <vector>

#include "trust/containers_policy.h"

namespace pullsentry::trust {

// Candidate scopes, most specific first: the full reference, the repository,
// each parent namespace, the host[:port], then "*.<parent domain>" for each
// parent domain of the host without its port (longest first).
std::vector<std::string> ContainersPolicy::CandidateScopes(const reference::ImageReference& image) {
  std::vector<std::string> out;
  // DockerReferenceIdentity: name:tag or name@digest, never both (CRI-O
  // drops the tag when a digest is given).
  if (image.HasDigest()) {
    out.push_back(image.NameWithDigest(image.digest));
  } else if (image.HasTag()) {
    out.push_back(image.NameWithTag());
  }
  std::string name = image.Name();
  while (true) {
    out.push_back(name);
    size_t slash = name.rfind('/');
    if (slash == std::string::npos) break;
    name.resize(slash);
  }
  // `name` is now host[:port]; upstream cuts at the first ':'.
  if (size_t colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.')) {
    name = name.substr(dot + 1);
    out.push_back("*." + name);
  }
  return out;
}

ScopeMatch ContainersPolicy::Match(const reference::ImageReference& image) const {
  if (!docker_scopes_.empty()) {
    for (const std::string& scope : CandidateScopes(image)) {
      if (auto it = docker_scopes_.find(scope); it != docker_scopes_.end()) return {scope, &it->second};
    }
  }
  if (has_docker_default_) return {"", &docker_default_};
  return {"(default)", &default_};
}

}  // namespace pullsentry::trust

namespace pullsentry::trust {

std::vector<std::string> ContainersPolicy::KeyFiles() const {
  std::set<std::string> files;
  auto collect = [&files](const std::vector<Requirement>& requirements) {
    for (const Requirement& requirement : requirements)
      for (const NamedKey& key : requirement.keys)
        if (key.source.starts_with("/")) files.insert(key.source);
  };
  collect(default_);
  collect(docker_default_);
  for (const auto& [scope, requirements] : docker_scopes_) collect(requirements);
  return {files.begin(), files.end()};
}

ExplainedScopeMatch ContainersPolicy::MatchExplained(const reference::ImageReference& image) const {
  ExplainedScopeMatch out;
  out.match = Match(image);
  for (std::string& scope : CandidateScopes(image)) {
    bool in_policy = docker_scopes_.contains(scope);
    out.candidates.push_back({std::move(scope), in_policy});
  }
  return out;
}

}  // namespace pullsentry::trust
