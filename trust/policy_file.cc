#include "trust/policy_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/status/status.h"
#include "trust/internal.h"
#include "trust/notation_import.h"
#include "trust/strict_json.h"
#include "verify/crypto/digest.h"

namespace pullsentry::trust {
namespace {

constexpr size_t kMaxPolicyFileBytes = 1u << 20;


absl::Status Named(const std::string& path, const absl::Status& status) {
  std::string message(status.message());
  if (message.starts_with(path)) return status;
  return absl::Status(status.code(), path + ": " + message);
}

// The hash of everything a decision depends on: the policy's bytes and the
// fingerprint of every key it loaded.
std::string HashOf(std::string_view bytes, const std::vector<std::string>& key_fingerprints) {
  std::string material = crypto::Sha256Digest(bytes);
  for (const std::string& fingerprint : key_fingerprints) material += "\n" + fingerprint;
  return crypto::Sha256Digest(material);
}

void CollectKeys(const std::vector<NamedKey>& keys, std::set<std::string>* files, std::vector<std::string>* prints) {
  for (const NamedKey& key : keys) {
    if (key.source.starts_with("/")) files->insert(key.source);
    prints->push_back(key.source + "=" + key.key->Fingerprint());
  }
}

}  // namespace

std::string_view PolicyFormatName(PolicyFormat format) {
  switch (format) {
    case PolicyFormat::kNative: return "native";
    case PolicyFormat::kNotation: return "notation trustpolicy.json";
    case PolicyFormat::kContainers: return "containers-policy.json";
  }
  return "?";
}

absl::StatusOr<PolicyFormat> DetectPolicyFormat(std::string_view json) {
  absl::StatusOr<nlohmann::json> doc = internal::ParseStrictJson(json);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return absl::InvalidArgumentError("a policy must be a JSON object");
  // Notation's trust policy has a "version" too ("1.0"): tell it by its list.
  if (doc->contains("trustPolicies")) return PolicyFormat::kNotation;
  if (doc->contains("version")) return PolicyFormat::kNative;
  if (doc->contains("default") || doc->contains("transports")) return PolicyFormat::kContainers;
  return absl::InvalidArgumentError(
      "not a policy pullsentry knows: expected \"version\" (pullsentry's format) or \"default\" "
      "(containers-policy.json)");
}

absl::StatusOr<std::shared_ptr<const LoadedPolicy>> LoadPolicyFile(const std::string& path,
                                                                  const PolicyLoadOptions& options) {
  auto loaded = std::make_shared<LoadedPolicy>();
  loaded->path = std::filesystem::absolute(path).lexically_normal().string();
  // Errors name the file as the operator spelled it.
  absl::StatusOr<std::string> bytes = internal::ReadBoundedFile(path, kMaxPolicyFileBytes, "policy");
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<PolicyFormat> format = DetectPolicyFormat(*bytes);
  if (!format.ok()) return Named(path, format.status());
  loaded->format = *format;
  // Relative key paths resolve against the policy's directory, spelled as
  // the operator spelled the policy's path (so messages stay readable).
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";

  std::set<std::string> files{loaded->path};
  std::vector<std::string> fingerprints;
  if (loaded->format == PolicyFormat::kNative || loaded->format == PolicyFormat::kNotation) {
    std::string native_json = *bytes;
    if (loaded->format == PolicyFormat::kNotation) {
      // Loaded as it is: converted to the native form, which decides the same.
      absl::StatusOr<NotationImport> converted = ImportNotationTrustPolicy(*bytes);
      if (!converted.ok()) return Named(path, converted.status());
      native_json = std::move(converted->native_json);
      loaded->warnings = std::move(converted->warnings);
    }
    NativePolicyOptions native_options;
    native_options.base_dir = base_dir;
    native_options.trust_store_dir = options.trust_store_dir;
    absl::StatusOr<std::shared_ptr<const TrustStore>> store = TrustStore::Open(options.trust_store_dir);
    if (store.ok()) {
      native_options.trust_store = *store;
      loaded->trust_store = *store;
    } else if (!absl::IsNotFound(store.status())) {
      return store.status();
    }
    auto native = NativePolicy::Parse(native_json, native_options);
    if (!native.ok()) return Named(path, native.status());
    loaded->native = *native;
    for (const auto& [name, verifier] : loaded->native->verifiers()) CollectKeys(verifier->keys, &files, &fingerprints);
    // Notation verifiers refuse until Notation verification lands, so a
    // missing X.509 store cannot admit anything; say so now rather than later.
    for (const auto& [name, verifier] : loaded->native->verifiers()) {
      for (const NotationTrustStore& wanted : verifier->notation_trust_stores) {
        std::string kind = wanted.text.substr(0, wanted.text.find(':'));
        std::optional<X509StoreKind> store_kind = ParseX509StoreKind(kind);
        bool present = loaded->trust_store && store_kind && loaded->trust_store->X509Store(*store_kind, wanted.name).ok();
        if (!present) {
          loaded->warnings.push_back("verifier \"" + name + "\" names trust store " + wanted.text +
                                     ", which is not in the trust store (expected " + options.trust_store_dir +
                                     "/x509/" + kind + "/" + wanted.name + "/)");
        }
      }
    }
    loaded->hash = loaded->native->Hash();
    if (loaded->trust_store) {
      // Decisions depend on the whole trust store, not only what is named today.
      loaded->hash = crypto::Sha256Digest(loaded->hash + "\n" + loaded->trust_store->Hash());
      for (const std::string& file : loaded->trust_store->Files())
        files.insert(std::filesystem::absolute(file).lexically_normal().string());
      for (const std::string& dir : loaded->trust_store->Directories())
        loaded->directories.push_back(std::filesystem::absolute(dir).lexically_normal().string());
    }
  } else {
    auto containers = ContainersPolicy::Parse(*bytes, base_dir);
    if (!containers.ok()) return Named(path, containers.status());
    loaded->containers = *containers;
    for (const std::string& key_file : loaded->containers->KeyFiles()) files.insert(key_file);
    auto collect = [&](const std::vector<Requirement>& requirements) {
      for (const Requirement& requirement : requirements) CollectKeys(requirement.keys, &files, &fingerprints);
    };
    collect(loaded->containers->GlobalDefault());
    if (const auto* docker_default = loaded->containers->DockerDefault()) collect(*docker_default);
    for (const auto& [scope, requirements] : loaded->containers->DockerScopes()) collect(requirements);
    std::sort(fingerprints.begin(), fingerprints.end());
    loaded->hash = HashOf(*bytes, fingerprints);
  }
  loaded->files.assign(files.begin(), files.end());
  return std::shared_ptr<const LoadedPolicy>(std::move(loaded));
}

std::shared_ptr<const LoadedPolicy> RejectEverythingPolicy(const std::string& path) {
  constexpr std::string_view kRejectAll = R"({"default":[{"type":"reject"}]})";
  auto loaded = std::make_shared<LoadedPolicy>();
  loaded->path = path;
  loaded->format = PolicyFormat::kContainers;
  loaded->containers = *ContainersPolicy::Parse(kRejectAll, "/");
  loaded->hash = HashOf(kRejectAll, {});
  loaded->files = {path};
  return loaded;
}

}  // namespace pullsentry::trust
