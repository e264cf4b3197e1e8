#include "verify/registry/auth_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "verify/crypto/digest.h"
#include "verify/registry/registry_limits.h"
#include "verify/registry/str_util.h"

namespace pullsentry::registry {
namespace {

using json = nlohmann::json;

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status EntryError(std::string_view file_name, std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(internal::Cat("auth file ", file_name, ": entry \"", key, "\": ", what));
}

// A string member of an entry, "" when absent; error when of another type.
absl::StatusOr<std::string> StringField(const json& entry, const char* name, std::string_view file_name,
                                        std::string_view key) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return std::string();
  if (!it->is_string()) return EntryError(file_name, key, internal::Cat("\"", name, "\" is not a string"));
  return it->get<std::string>();
}

absl::StatusOr<Credentials> ParseEntry(const json& entry, std::string_view file_name, std::string_view key) {
  if (!entry.is_object()) return EntryError(file_name, key, "not an object");
  Credentials creds;
  absl::StatusOr<std::string> auth = StringField(entry, "auth", file_name, key);
  if (!auth.ok()) return auth.status();
  if (!auth->empty()) {
    // Never echo the value: it is the password.
    std::optional<std::string> decoded = crypto::Base64Decode(*auth);
    if (!decoded) return EntryError(file_name, key, "\"auth\" is not valid base64");
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return EntryError(file_name, key, "\"auth\" does not decode to user:password");
    creds.username = decoded->substr(0, colon);
    creds.password = decoded->substr(colon + 1);
  } else {
    absl::StatusOr<std::string> username = StringField(entry, "username", file_name, key);
    if (!username.ok()) return username.status();
    absl::StatusOr<std::string> password = StringField(entry, "password", file_name, key);
    if (!password.ok()) return password.status();
    creds.username = *std::move(username);
    creds.password = *std::move(password);
  }
  absl::StatusOr<std::string> identity = StringField(entry, "identitytoken", file_name, key);
  if (!identity.ok()) return identity.status();
  creds.identity_token = *std::move(identity);
  absl::StatusOr<std::string> token = StringField(entry, "registrytoken", file_name, key);
  if (!token.ok()) return token.status();
  creds.registry_token = *std::move(token);
  return creds;
}

bool IsDockerHubAlias(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

}  // namespace

std::string NormalizeAuthKey(std::string_view key) {
  bool had_scheme = false;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (internal::StartsWithIgnoreCase(key, scheme)) {
      key.remove_prefix(scheme.size());
      had_scheme = true;
    }
  }
  std::string_view host = key;
  std::string_view path;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    host = key.substr(0, slash);
    path = key.substr(slash);  // with its leading '/'
  }
  // With a scheme the path is an API version ("/v1/"), not a namespace.
  if (had_scheme) path = {};
  while (path.ends_with('/')) path.remove_suffix(1);
  std::string normalized_host = internal::ToLower(host);
  if (IsDockerHubAlias(normalized_host)) normalized_host = std::string(reference::kDockerHubDomain);
  return internal::Cat(normalized_host, path);
}

absl::StatusOr<AuthFile> AuthFile::Parse(std::string_view contents, std::string_view file_name) {
  // Parse without exceptions, and never pass on the parser's message: it
  // quotes the input, which holds passwords.
  json doc = json::parse(contents, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError(internal::Cat("auth file ", file_name, ": malformed JSON"));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(internal::Cat("auth file ", file_name, ": not a JSON object"));
  }
  AuthFile file;
  auto auths = doc.find("auths");
  if (auths == doc.end() || auths->is_null()) return file;
  if (!auths->is_object()) {
    return absl::InvalidArgumentError(internal::Cat("auth file ", file_name, ": \"auths\" is not an object"));
  }
  for (const auto& [key, entry] : auths->items()) {
    absl::StatusOr<Credentials> creds = ParseEntry(entry, file_name, key);
    if (!creds.ok()) return creds.status();
    if (creds->empty()) continue;
    // When two spellings name one registry, the plain one ("docker.io")
    // outranks the legacy URL ("https://index.docker.io/v1/").
    const bool is_url = key.find("://") != std::string::npos;
    auto [it, inserted] = file.entries_.emplace(NormalizeAuthKey(key), *creds);
    if (!inserted && !is_url) it->second = *std::move(creds);
  }
  return file;
}

absl::StatusOr<AuthFile> AuthFile::Read(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return AuthFile();
    return absl::FailedPreconditionError(internal::Cat("auth file ", path, ": ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[16 << 10];
  while (true) {
    ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::FailedPreconditionError(internal::Cat("auth file ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > kMaxAuthFileBytes) {
      return absl::ResourceExhaustedError(internal::Cat("auth file ", path, " exceeds ", kMaxAuthFileBytes, " bytes"));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  return Parse(contents, path);
}

std::optional<Credentials> AuthFile::Lookup(const reference::ImageReference& ref) const {
  std::string candidate = NormalizeAuthKey(internal::Cat(ref.domain, "/", ref.path));
  while (true) {
    if (auto it = entries_.find(candidate); it != entries_.end()) return it->second;
    const size_t slash = candidate.rfind('/');
    if (slash == std::string::npos) return std::nullopt;
    candidate.resize(slash);
  }
}

}  // namespace pullsentry::registry
