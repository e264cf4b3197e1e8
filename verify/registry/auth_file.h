// The node's registry credentials file, in the format shared by
// containers-auth.json(5) and docker's config.json:
//   {"auths": {"registry.example:5000": {"auth": "base64(user:pass)"},
//              "https://index.docker.io/v1/": {"username": "u", "password": "p"},
//              "quay.io/acme": {"identitytoken": "…"}}}
// Keys may carry a scheme and a path (docker's legacy "https://host/v1/"),
// or a repository namespace (containers-auth.json). credHelpers and
// credsStore are not supported: only inline credentials are read.
#ifndef PULLSENTRY_VERIFY_REGISTRY_AUTH_FILE_H_
#define PULLSENTRY_VERIFY_REGISTRY_AUTH_FILE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "verify/reference/image_reference.h"
#include "verify/registry/registry_client.h"

namespace pullsentry::registry {

class AuthFile {
 public:
  AuthFile() = default;  // no credentials at all

  // Parses the file's contents. `file_name` only names the file in errors.
  // InvalidArgument when the JSON is malformed, "auths" is not an object, an
  // entry is not an object or its "auth" is not base64 of "user:password".
  // Messages name the file and the entry key, never a credential.
  static absl::StatusOr<AuthFile> Parse(std::string_view contents, std::string_view file_name);

  // Reads and parses `path`. A missing file is an empty AuthFile; a file over
  // kMaxAuthFileBytes is ResourceExhausted; another read error is
  // FailedPrecondition. Messages name the file.
  static absl::StatusOr<AuthFile> Read(const std::string& path);

  // Credentials for `ref`: the most specific key wins (domain/path, then
  // shorter namespaces, then domain). docker.io also matches the keys
  // "index.docker.io", "registry-1.docker.io" and "https://index.docker.io/v1/".
  std::optional<Credentials> Lookup(const reference::ImageReference& ref) const;

  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, Credentials> entries_;  // by normalised key
};

// The normalised form of an "auths" key: scheme and (with a scheme) path
// dropped, host lower-cased, Docker Hub aliases mapped to "docker.io".
// Exposed for tests.
std::string NormalizeAuthKey(std::string_view key);

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_AUTH_FILE_H_
