// containers-policy.json(5) parsing, as strict as containers/image
// signature/policy_config.go and policy_config_sigstore.go.
#include "trust/containers_policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "trust/internal.h"
#include "trust/strict_json.h"
#include "verify/crypto/digest.h"

namespace pullsentry::trust {
namespace {

using internal::Quote;

using nlohmann::json;

absl::Status Error(std::string_view where, std::string_view what) {
  if (where.empty()) return absl::InvalidArgumentError(std::string(what));
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": ", std::string(what)));
}

// JSON-style quoting for locations and messages (bounded).
std::string Join(const std::string& where, std::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ".", std::string(field));
}


// Unknown fields are errors, as with upstream's ParanoidUnmarshalJSONObject.
absl::Status OnlyFields(const json& object, const std::string& where, std::string_view kind,
                        std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) return Error(where, absl::StrCat("unknown field ", Quote(key), " in ", std::string(kind)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RequiredString(const json& object, const std::string& where, const char* field) {
  auto it = object.find(field);
  if (it == object.end()) return Error(where, absl::StrCat("missing field \"", field, "\""));
  if (!it->is_string()) {
    return Error(Join(where, field), absl::StrCat("expected a string, got ", internal::JsonTypeName(*it)));
  }
  return it->get<std::string>();
}

// Upstream counts keyPath only when it is a non-empty string.
bool HasKeyPath(const json& req) {
  auto it = req.find("keyPath");
  return it != req.end() && !(it->is_string() && it->get_ref<const std::string&>().empty());
}

// Go decodes a JSON []byte with base64.StdEncoding, which skips CR and LF.
std::optional<std::string> DecodeKeyData(const std::string& text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text)
    if (c != '\r' && c != '\n') compact.push_back(c);
  return crypto::Base64Decode(compact);
}

class Parser {
 public:
  explicit Parser(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  // A list of requirements for a scope. `docker`: fully checked, keys
  // loaded; otherwise checked for shape only.
  absl::StatusOr<std::vector<Requirement>> Requirements(const json& list, const std::string& where, bool docker) {
    if (!list.is_array()) {
      return Error(where, absl::StrCat("expected a list of requirements, got ", internal::JsonTypeName(list)));
    }
    if (list.empty()) return Error(where, "list of verification policy requirements must not be empty");
    std::vector<Requirement> out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = absl::StrCat(where, "[", i, "]");
      if (docker) {
        auto req = FullRequirement(list[i], at);
        if (!req.ok()) return req.status();
        out.push_back(std::move(*req));
      } else if (absl::Status s = RequirementShape(list[i], at); !s.ok()) {
        return s;
      }
    }
    return out;
  }

 private:
  static absl::StatusOr<std::string> RequirementType(const json& req, const std::string& where) {
    if (!req.is_object()) {
      return Error(where, absl::StrCat("expected a requirement object, got ", internal::JsonTypeName(req)));
    }
    return RequiredString(req, where, "type");
  }

  static absl::Status RequirementShape(const json& req, const std::string& where) {
    auto type = RequirementType(req, where);
    if (!type.ok()) return type.status();
    static const std::set<std::string> kKnown = {"insecureAcceptAnything", "reject", "signedBy", "signedBaseLayer",
                                                 "sigstoreSigned"};
    if (!kKnown.contains(*type)) return Error(where, absl::StrCat("unknown requirement type ", Quote(*type)));
    return absl::OkStatus();
  }

  absl::StatusOr<Requirement> FullRequirement(const json& req, const std::string& where) {
    auto type = RequirementType(req, where);
    if (!type.ok()) return type.status();
    Requirement out;
    if (*type == "insecureAcceptAnything" || *type == "reject") {
      if (absl::Status s = OnlyFields(req, where, absl::StrCat(*type, " requirement"), {"type"}); !s.ok()) return s;
      out.type = *type == "reject" ? Requirement::Type::kReject : Requirement::Type::kInsecureAcceptAnything;
      return out;
    }
    if (*type == "signedBy" || *type == "signedBaseLayer") {
      return Error(where, absl::StrCat("requirement type ", Quote(*type), " is not supported by pullsentry yet"));
    }
    if (*type != "sigstoreSigned") return Error(where, absl::StrCat("unknown requirement type ", Quote(*type)));

    out.type = Requirement::Type::kSigstoreSigned;
    if (absl::Status s = OnlyFields(req, where, "sigstoreSigned requirement",
                                    {"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki",
                                     "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                                     "rekorPublicKeyDatas", "signedIdentity"});
        !s.ok()) {
      return s;
    }
    for (const char* unsupported : {"fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths",
                                    "rekorPublicKeyData", "rekorPublicKeyDatas"}) {
      if (req.contains(unsupported)) {
        return Error(where, absl::StrCat("sigstoreSigned with \"", unsupported, "\" is not supported by pullsentry yet"));
      }
    }
    int sources = HasKeyPath(req) +
                  req.contains("keyPaths") + req.contains("keyData") + req.contains("keyDatas");
    if (sources != 1) {
      return Error(where, "exactly one of keyPath, keyPaths, keyData and keyDatas must be specified");
    }
    auto keys = LoadKeys(req, where);
    if (!keys.ok()) return keys.status();
    out.keys = std::move(*keys);

    if (auto it = req.find("signedIdentity"); it != req.end()) {
      auto identity = ParseSignedIdentity(*it, Join(where, "signedIdentity"));
      if (!identity.ok()) return identity.status();
      out.signed_identity = std::move(*identity);
    }
    return out;
  }

  absl::StatusOr<std::vector<NamedKey>> LoadKeys(const json& req, const std::string& where) {
    std::vector<NamedKey> keys;
    auto strings = [&](const char* field) -> absl::StatusOr<std::vector<std::string>> {
      const json& v = req[field];
      std::string at = Join(where, field);
      if (!v.is_array()) return Error(at, absl::StrCat("expected a list of strings, got ", internal::JsonTypeName(v)));
      if (v.empty()) return Error(at, "contains no entries");
      std::vector<std::string> out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty()) {
          return Error(absl::StrCat(at, "[", i, "]"), "expected a non-empty string");
        }
        out.push_back(v[i].get<std::string>());
      }
      return out;
    };
    if (HasKeyPath(req)) {
      auto path = RequiredString(req, where, "keyPath");
      if (!path.ok()) return path.status();
      auto key = KeyFromFile(*path, Join(where, "keyPath"));
      if (!key.ok()) return key.status();
      keys.push_back(std::move(*key));
    } else if (req.contains("keyPaths")) {
      auto paths = strings("keyPaths");
      if (!paths.ok()) return paths.status();
      for (size_t i = 0; i < paths->size(); ++i) {
        auto key = KeyFromFile((*paths)[i], absl::StrCat(Join(where, "keyPaths"), "[", i, "]"));
        if (!key.ok()) return key.status();
        keys.push_back(std::move(*key));
      }
    } else if (req.contains("keyData")) {
      auto data = RequiredString(req, where, "keyData");
      if (!data.ok()) return data.status();
      auto key = KeyFromData(*data, "keyData", Join(where, "keyData"));
      if (!key.ok()) return key.status();
      keys.push_back(std::move(*key));
    } else {
      auto datas = strings("keyDatas");
      if (!datas.ok()) return datas.status();
      for (size_t i = 0; i < datas->size(); ++i) {
        std::string name = absl::StrCat("keyDatas[", i, "]");
        auto key = KeyFromData((*datas)[i], name, Join(where, name));
        if (!key.ok()) return key.status();
        keys.push_back(std::move(*key));
      }
    }
    return keys;
  }

  absl::StatusOr<NamedKey> KeyFromFile(const std::string& path, const std::string& where) {
    std::string resolved = path;
    if (!path.starts_with('/') && !base_dir_.empty()) resolved = absl::StrCat(base_dir_, "/", path);
    auto pem = internal::ReadBoundedFile(resolved, kMaxKeyFileBytes, "key file");
    if (!pem.ok()) return Error(where, std::string(pem.status().message()));
    auto key = crypto::PublicKey::FromPem(*pem);
    if (!key.ok()) {
      return Error(where, absl::StrCat("key file ", Quote(resolved), ": ", std::string(key.status().message())));
    }
    return NamedKey{resolved, std::move(*key)};
  }

  static absl::StatusOr<NamedKey> KeyFromData(const std::string& data, const std::string& source,
                                              const std::string& where) {
    auto pem = DecodeKeyData(data);
    if (!pem.has_value()) return Error(where, "not base64 (keyData holds the base64 of a PEM public key)");
    auto key = crypto::PublicKey::FromPem(*pem);
    if (!key.ok()) return Error(where, std::string(key.status().message()));
    return NamedKey{source, std::move(*key)};
  }

  static absl::StatusOr<SignedIdentity> ParseSignedIdentity(const json& v, const std::string& where) {
    if (!v.is_object()) return Error(where, absl::StrCat("expected an object, got ", internal::JsonTypeName(v)));
    auto type = RequiredString(v, where, "type");
    if (!type.ok()) return type.status();
    SignedIdentity out;
    auto exact = [&](std::initializer_list<std::string_view> fields) -> absl::Status {
      if (absl::Status s = OnlyFields(v, where, absl::StrCat(*type, " signedIdentity"), fields); !s.ok()) return s;
      for (std::string_view f : fields) {
        if (!v.contains(std::string(f))) return Error(where, absl::StrCat("missing field \"", std::string(f), "\""));
      }
      return absl::OkStatus();
    };
    if (*type == "matchExact" || *type == "matchRepoDigestOrExact" || *type == "matchRepository") {
      if (absl::Status s = exact({"type"}); !s.ok()) return s;
      out.kind = *type == "matchExact"               ? SignedIdentity::Kind::kMatchExact
                 : *type == "matchRepoDigestOrExact" ? SignedIdentity::Kind::kMatchRepoDigestOrExact
                                                     : SignedIdentity::Kind::kMatchRepository;
      return out;
    }
    if (*type == "exactReference") {
      if (absl::Status s = exact({"type", "dockerReference"}); !s.ok()) return s;
      auto ref = RequiredString(v, where, "dockerReference");
      if (!ref.ok()) return ref.status();
      auto parsed = reference::ParseNormalized(*ref, /*default_tag=*/false);
      if (!parsed.ok()) return Error(Join(where, "dockerReference"), std::string(parsed.status().message()));
      if (!parsed->HasTag() && !parsed->HasDigest()) {
        return Error(Join(where, "dockerReference"), absl::StrCat(Quote(*ref), " contains neither a tag nor digest"));
      }
      out.kind = SignedIdentity::Kind::kExactReference;
      out.docker_reference = *ref;
      return out;
    }
    if (*type == "exactRepository") {
      if (absl::Status s = exact({"type", "dockerRepository"}); !s.ok()) return s;
      auto repo = RequiredString(v, where, "dockerRepository");
      if (!repo.ok()) return repo.status();
      auto parsed = reference::ParseNormalized(*repo, /*default_tag=*/false);
      if (!parsed.ok()) return Error(Join(where, "dockerRepository"), std::string(parsed.status().message()));
      out.kind = SignedIdentity::Kind::kExactRepository;
      out.docker_repository = *repo;
      return out;
    }
    if (*type == "remapIdentity") {
      if (absl::Status s = exact({"type", "prefix", "signedPrefix"}); !s.ok()) return s;
      auto prefix = RequiredString(v, where, "prefix");
      if (!prefix.ok()) return prefix.status();
      auto signed_prefix = RequiredString(v, where, "signedPrefix");
      if (!signed_prefix.ok()) return signed_prefix.status();
      if (absl::Status s = internal::ValidateRemapPrefix(*prefix); !s.ok()) {
        return Error(Join(where, "prefix"), std::string(s.message()));
      }
      if (absl::Status s = internal::ValidateRemapPrefix(*signed_prefix); !s.ok()) {
        return Error(Join(where, "signedPrefix"), std::string(s.message()));
      }
      out.kind = SignedIdentity::Kind::kRemapIdentity;
      out.prefix = *prefix;
      out.signed_prefix = *signed_prefix;
      return out;
    }
    return Error(where, absl::StrCat("unknown signedIdentity type ", Quote(*type)));
  }

  const std::string base_dir_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const ContainersPolicy>> ContainersPolicy::Parse(std::string_view text,
                                                                               const std::string& base_dir) {
  if (text.size() > kMaxPolicyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("policy is larger than ", kMaxPolicyBytes, " bytes"));
  }
  auto parsed = internal::ParseStrictJson(text, kMaxPolicyJsonDepth);
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;
  if (!root.is_object()) {
    return Error("", absl::StrCat("policy must be a JSON object, got ", internal::JsonTypeName(root)));
  }
  if (absl::Status s = OnlyFields(root, "", "the policy (expected \"default\" and \"transports\")",
                                  {"default", "transports"});
      !s.ok()) {
    return s;
  }

  std::shared_ptr<ContainersPolicy> policy(new ContainersPolicy());
  Parser parser(base_dir);
  if (!root.contains("default")) return Error("", "\"default\" is missing: the global default policy is required");
  auto def = parser.Requirements(root["default"], "default", /*docker=*/true);
  if (!def.ok()) return def.status();
  policy->default_ = std::move(*def);

  if (auto transports = root.find("transports"); transports != root.end()) {
    if (!transports->is_object()) {
      return Error("transports", absl::StrCat("expected an object, got ", internal::JsonTypeName(*transports)));
    }
    for (const auto& [name, scopes] : transports->items()) {
      std::string where = absl::StrCat("transports.", name);
      if (!scopes.is_object()) {
        return Error(where, absl::StrCat("expected an object of scopes, got ", internal::JsonTypeName(scopes)));
      }
      bool docker = name == "docker";
      for (const auto& [scope, list] : scopes.items()) {
        auto reqs = parser.Requirements(list, absl::StrCat(where, "[", Quote(scope), "]"), docker);
        if (!reqs.ok()) return reqs.status();
        if (!docker) continue;
        if (scope.empty()) {
          policy->has_docker_default_ = true;
          policy->docker_default_ = std::move(*reqs);
        } else {
          policy->docker_scopes_.emplace(scope, std::move(*reqs));
        }
      }
    }
  }
  return std::shared_ptr<const ContainersPolicy>(std::move(policy));
}

absl::StatusOr<std::shared_ptr<const ContainersPolicy>> ContainersPolicy::Load(const std::string& path) {
  auto text = internal::ReadBoundedFile(path, kMaxPolicyBytes, "policy");
  if (!text.ok()) return text.status();
  std::string base_dir = ".";
  if (size_t slash = path.rfind('/'); slash != std::string::npos) base_dir = slash == 0 ? "/" : path.substr(0, slash);
  auto policy = Parse(*text, base_dir);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", Quote(path), ": ", std::string(policy.status().message())));
  }
  return policy;
}

}  // namespace pullsentry::trust
