// The collecting counterpart of containers_policy.cc's Parser: the same
// checks in the same words, but every problem is recorded and the walk goes
// on. Keep the two in step; containers_policy_lint_test.cc checks that on
// every fixture Parse fails exactly when this reports an error, and that
// Parse's message is one of the errors reported here.
#include "trust/containers_policy_lint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "trust/containers_policy.h"
#include "trust/internal.h"
#include "trust/strict_json.h"
#include "verify/crypto/digest.h"
#include "verify/crypto/public_key.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::trust {
namespace {

using internal::Quote;

using nlohmann::json;

std::string Child(const std::string& pointer, std::string_view token) {
  return absl::StrCat(pointer, "/", JsonPointerToken(token));
}
std::string Child(const std::string& pointer, size_t index) { return absl::StrCat(pointer, "/", index); }

// Where each member and element starts in the raw text, found by a second,
// lenient pass over text that nlohmann has parsed (or is about to reject).
// Also finds what nlohmann does not report with a position: duplicate keys
// and nesting deeper than the loader allows.
class PositionIndex {
 public:
  struct Duplicate {
    std::string pointer;
    size_t offset;
    std::string key;
  };

  PositionIndex(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    SkipSpace();
    offsets_[""] = pos_;
    Value("", 1);
  }

  // Offset of `pointer`, or of its longest known ancestor.
  size_t Offset(std::string pointer) const {
    while (true) {
      if (auto it = offsets_.find(pointer); it != offsets_.end()) return it->second;
      size_t slash = pointer.rfind('/');
      if (slash == std::string::npos) return 0;
      pointer.resize(slash);
    }
  }
  std::pair<int, int> LineColumn(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  const std::vector<Duplicate>& duplicates() const { return duplicates_; }
  // The container nested one level too deep, if any.
  const std::optional<std::pair<std::string, size_t>>& too_deep() const { return too_deep_; }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r'))
      ++pos_;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::optional<uint32_t> Hex4() {
    if (pos_ + 4 > text_.size()) return std::nullopt;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return std::nullopt;
    }
    return v;
  }

  // A string at pos_, decoded as nlohmann decodes it.
  std::optional<std::string> String() {
    if (pos_ >= text_.size() || text_[pos_] != '"') return std::nullopt;
    ++pos_;
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return std::nullopt;
      char e = text_[pos_++];
      switch (e) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = Hex4();
          if (!cp) return std::nullopt;
          if (*cp >= 0xD800 && *cp <= 0xDBFF && pos_ + 1 < text_.size() && text_[pos_] == '\\' &&
              text_[pos_ + 1] == 'u') {
            pos_ += 2;
            auto low = Hex4();
            if (!low) return std::nullopt;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          }
          AppendUtf8(out, *cp);
          break;
        }
        default: out.push_back(e);
      }
    }
    return std::nullopt;
  }

  // False when the text stops making sense; positions found so far stay.
  bool Value(const std::string& pointer, size_t depth) {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '"') return String().has_value();
    if (c != '{' && c != '[') {
      size_t start = pos_;
      while (pos_ < text_.size() && std::strchr("+-.0123456789eEaflnrstu", text_[pos_]) != nullptr) ++pos_;
      return pos_ > start;
    }
    if (depth > max_depth_) {
      too_deep_ = {pointer, pos_};
      return false;
    }
    ++pos_;
    SkipSpace();
    char close = c == '{' ? '}' : ']';
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return true;
    }
    std::set<std::string> keys;
    for (size_t index = 0;; ++index) {
      SkipSpace();
      std::string member;
      if (c == '{') {
        size_t key_at = pos_;
        auto key = String();
        if (!key) return false;
        member = Child(pointer, *key);
        if (!keys.insert(*key).second) duplicates_.push_back({member, key_at, *key});
        offsets_[member] = key_at;
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':') return false;
        ++pos_;
        SkipSpace();
      } else {
        member = Child(pointer, index);
        offsets_[member] = pos_;
      }
      if (!Value(member, depth + 1)) return false;
      SkipSpace();
      if (pos_ >= text_.size()) return false;
      if (text_[pos_] == close) {
        ++pos_;
        return true;
      }
      if (text_[pos_] != ',') return false;
      ++pos_;
    }
  }

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  std::vector<size_t> line_starts_;
  std::map<std::string, size_t> offsets_;
  std::vector<Duplicate> duplicates_;
  std::optional<std::pair<std::string, size_t>> too_deep_;
};

// The loader's reader, so errors are worded the same.
std::optional<std::string> ReadKeyFile(const std::string& path, std::string& error) {
  absl::StatusOr<std::string> text = internal::ReadBoundedFile(path, kMaxKeyFileBytes, "key file");
  if (!text.ok()) {
    error = std::string(text.status().message());
    return std::nullopt;
  }
  return *std::move(text);
}

// True when every requirement of the list is insecureAcceptAnything.
bool AcceptsAnything(const json& list) {
  if (!list.is_array() || list.empty()) return false;
  for (const json& req : list) {
    if (!req.is_object() || req.value("type", json()) != "insecureAcceptAnything") return false;
  }
  return true;
}

bool RequiresSignatures(const json& list) {
  if (!list.is_array()) return false;
  for (const json& req : list) {
    if (req.is_object() && req.value("type", json()) == "sigstoreSigned") return true;
  }
  return false;
}

// How a docker scope string is looked up, or why it never can be.
struct ScopeShape {
  bool matches = false;
  std::string canonical;            // the spelling lookup uses, when known
  std::vector<std::string> broader;  // scopes tried after it, most specific first
  std::string why;                   // when !matches
};

ScopeShape ShapeOfScope(const std::string& scope) {
  ScopeShape out;
  std::string probe_text;
  bool host_form = false;
  if (scope.starts_with("*.")) {
    probe_text = absl::StrCat("x", scope.substr(1), "/a");
  } else if (scope.find('/') == std::string::npos) {
    probe_text = absl::StrCat(scope, "/a/b");
    host_form = true;
  } else {
    probe_text = scope;
  }
  auto probe = reference::ParseNormalized(probe_text, /*default_tag=*/false);
  if (!probe.ok()) {
    out.why = std::string(probe.status().message());
    return out;
  }
  std::vector<std::string> candidates = ContainersPolicy::CandidateScopes(*probe);
  auto it = std::find(candidates.begin(), candidates.end(), scope);
  if (it != candidates.end()) {
    out.matches = true;
    out.canonical = scope;
    out.broader.assign(it + 1, candidates.end());
    return out;
  }
  if (scope.starts_with("*.")) {
    out.why = "a wildcard scope is \"*.\" followed by a domain without a port";
  } else if (host_form && probe->path == "a/b") {
    out.canonical = probe->domain;
    out.why = "the registry host is spelled differently in normalised references";
  } else if (host_form) {
    if (auto repo = reference::ParseNormalized(scope, /*default_tag=*/false); repo.ok()) {
      out.canonical = repo->Name();
    }
    out.why = "it is neither a registry host (which has a \".\" or \":\", or is \"localhost\") nor a fully "
              "qualified repository";
  } else if (probe->HasTag() && probe->HasDigest()) {
    out.canonical = probe->NameWithDigest(probe->digest);
    out.why = "an image with a digest is looked up by its digest alone";
  } else {
    out.canonical = probe->HasDigest() ? probe->NameWithDigest(probe->digest)
                    : probe->HasTag()  ? probe->NameWithTag()
                                       : probe->Name();
    out.why = "scopes must be fully qualified, normalised references";
  }
  return out;
}

class Linter {
 public:
  Linter(const PositionIndex& index, std::string base_dir) : index_(index), base_dir_(std::move(base_dir)) {}

  void Error(const std::string& pointer, std::string message) {
    Add(LintFinding::Severity::kError, pointer, std::move(message));
  }
  void Warn(const std::string& pointer, std::string message) {
    Add(LintFinding::Severity::kWarning, pointer, std::move(message));
  }

  void Add(LintFinding::Severity severity, const std::string& pointer, std::string message) {
    AddAt(index_.Offset(pointer), severity, pointer, std::move(message));
  }
  void AddAt(size_t offset, LintFinding::Severity severity, const std::string& pointer, std::string message) {
    auto [line, column] = index_.LineColumn(offset);
    findings_.push_back({severity, pointer, line, column, std::move(message)});
  }

  std::vector<LintFinding> TakeFindings() { return std::move(findings_); }

  void Document(const json& root) {
    if (!root.is_object()) {
      Error("", absl::StrCat("policy must be a JSON object, got ", internal::JsonTypeName(root)));
      return;
    }
    OnlyFields(root, "", "the policy (expected \"default\" and \"transports\")", {"default", "transports"});
    if (!root.contains("default")) {
      Error("", "\"default\" is missing: the global default policy is required");
    } else {
      Requirements(root["default"], "/default", /*docker=*/true);
    }
    const json* docker = nullptr;
    if (auto transports = root.find("transports"); transports != root.end()) {
      if (!transports->is_object()) {
        Error("/transports", absl::StrCat("expected an object, got ", internal::JsonTypeName(*transports)));
      } else {
        for (const auto& [name, scopes] : transports->items()) {
          std::string at = Child("/transports", name);
          if (!scopes.is_object()) {
            Error(at, absl::StrCat("expected an object of scopes, got ", internal::JsonTypeName(scopes)));
            continue;
          }
          bool is_docker = name == "docker";
          if (is_docker) docker = &scopes;
          for (const auto& [scope, list] : scopes.items()) Requirements(list, Child(at, scope), is_docker);
          if (!is_docker && !scopes.empty()) {
            Warn(at, absl::StrCat("transport ", Quote(name), " is ignored by pullsentry (", scopes.size(),
                                  scopes.size() == 1 ? " scope" : " scopes",
                                  "): a CRI pull only consults \"docker\""));
          }
        }
      }
    }
    Warnings(root, docker);
  }

 private:
  void Warnings(const json& root, const json* docker) {
    bool docker_default = docker != nullptr && docker->contains("");
    if (docker_default && AcceptsAnything((*docker)[""])) {
      Warn("/transports/docker/",
           "the docker default \"\" accepts any image without verification (insecureAcceptAnything)");
    }
    if (!docker_default && root.contains("default") && AcceptsAnything(root["default"])) {
      Warn("/default", "the global default accepts any image without verification (insecureAcceptAnything)");
    }
    if (docker == nullptr) return;
    for (const auto& [scope, list] : docker->items()) {
      if (scope.empty()) continue;
      std::string at = Child("/transports/docker", scope);
      ScopeShape shape = ShapeOfScope(scope);
      if (!shape.matches) {
        std::string message = absl::StrCat("scope ", Quote(scope), " can never match an image: ", shape.why);
        if (!shape.canonical.empty() && docker->contains(shape.canonical)) {
          absl::StrAppend(&message, "; it duplicates ", Quote(shape.canonical),
                          ", which is in the policy and applies instead");
        } else if (!shape.canonical.empty()) {
          absl::StrAppend(&message, " (did you mean ", Quote(shape.canonical), "?)");
        }
        Warn(at, std::move(message));
        continue;
      }
      if (!AcceptsAnything(list)) continue;
      for (const std::string& broader : shape.broader) {
        auto it = docker->find(broader);
        if (it == docker->end()) continue;
        if (RequiresSignatures(*it)) {
          Warn(at, absl::StrCat("scope ", Quote(scope), " accepts any image without verification, overriding ",
                                Quote(broader),
                                " for its images: requirements of nested scopes do not combine, the most "
                                "specific scope alone applies"));
        }
        break;  // only the nearest broader scope is shadowed
      }
    }
  }

  void OnlyFields(const json& object, const std::string& at, std::string_view kind,
                  std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view a : allowed) known = known || key == a;
      if (!known) Error(Child(at, key), absl::StrCat("unknown field ", Quote(key), " in ", std::string(kind)));
    }
  }

  // The string value of a required field; records the error otherwise.
  std::optional<std::string> RequiredString(const json& object, const std::string& at, const char* field) {
    auto it = object.find(field);
    if (it == object.end()) {
      Error(at, absl::StrCat("missing field \"", field, "\""));
      return std::nullopt;
    }
    if (!it->is_string()) {
      Error(Child(at, field), absl::StrCat("expected a string, got ", internal::JsonTypeName(*it)));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  void Requirements(const json& list, const std::string& at, bool docker) {
    if (!list.is_array()) {
      Error(at, absl::StrCat("expected a list of requirements, got ", internal::JsonTypeName(list)));
      return;
    }
    if (list.empty()) {
      Error(at, "list of verification policy requirements must not be empty");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string element = Child(at, i);
      if (!list[i].is_object()) {
        Error(element, absl::StrCat("expected a requirement object, got ", internal::JsonTypeName(list[i])));
        continue;
      }
      auto type = RequiredString(list[i], element, "type");
      if (!type) continue;
      if (docker) {
        FullRequirement(list[i], *type, element);
      } else if (*type != "insecureAcceptAnything" && *type != "reject" && *type != "signedBy" &&
                 *type != "signedBaseLayer" && *type != "sigstoreSigned") {
        Error(element, absl::StrCat("unknown requirement type ", Quote(*type)));
      }
    }
  }

  void FullRequirement(const json& req, const std::string& type, const std::string& at) {
    if (type == "insecureAcceptAnything" || type == "reject") {
      OnlyFields(req, at, absl::StrCat(type, " requirement"), {"type"});
      return;
    }
    if (type == "signedBy" || type == "signedBaseLayer") {
      Error(at, absl::StrCat("requirement type ", Quote(type), " is not supported by pullsentry yet"));
      return;
    }
    if (type != "sigstoreSigned") {
      Error(at, absl::StrCat("unknown requirement type ", Quote(type)));
      return;
    }
    OnlyFields(req, at, "sigstoreSigned requirement",
               {"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki", "rekorPublicKeyPath",
                "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity"});
    bool unsupported = false;
    for (const char* field : {"fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                              "rekorPublicKeyDatas"}) {
      if (req.contains(field)) {
        Error(Child(at, field), absl::StrCat("sigstoreSigned with \"", field, "\" is not supported by pullsentry yet"));
        unsupported = true;
      }
    }
    // A requirement that cannot be used anyway needs no key source report.
    if (!unsupported) {
      bool has_key_path = false;
      if (auto it = req.find("keyPath"); it != req.end()) {
        has_key_path = !(it->is_string() && it->get_ref<const std::string&>().empty());
      }
      int sources = has_key_path + req.contains("keyPaths") + req.contains("keyData") + req.contains("keyDatas");
      if (sources != 1) {
        Error(at, "exactly one of keyPath, keyPaths, keyData and keyDatas must be specified");
      } else {
        Keys(req, at, has_key_path);
      }
    }
    if (auto it = req.find("signedIdentity"); it != req.end()) SignedIdentityOf(*it, Child(at, "signedIdentity"));
  }

  void Keys(const json& req, const std::string& at, bool has_key_path) {
    auto strings = [&](const char* field, auto&& each) {
      const json& v = req[field];
      std::string list_at = Child(at, field);
      if (!v.is_array()) {
        Error(list_at, absl::StrCat("expected a list of strings, got ", internal::JsonTypeName(v)));
        return;
      }
      if (v.empty()) {
        Error(list_at, "contains no entries");
        return;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty()) {
          Error(Child(list_at, i), "expected a non-empty string");
        } else {
          each(v[i].get<std::string>(), i, Child(list_at, i));
        }
      }
    };
    if (has_key_path) {
      if (auto path = RequiredString(req, at, "keyPath")) KeyFile(*path, Child(at, "keyPath"));
    } else if (req.contains("keyPaths")) {
      strings("keyPaths", [&](const std::string& path, size_t, const std::string& item) { KeyFile(path, item); });
    } else if (req.contains("keyData")) {
      if (auto data = RequiredString(req, at, "keyData")) KeyData(*data, Child(at, "keyData"));
    } else {
      strings("keyDatas", [&](const std::string& data, size_t, const std::string& item) { KeyData(data, item); });
    }
  }

  void KeyFile(const std::string& path, const std::string& at) {
    std::string resolved = path;
    if (!path.starts_with('/') && !base_dir_.empty()) resolved = absl::StrCat(base_dir_, "/", path);
    std::string error;
    auto pem = ReadKeyFile(resolved, error);
    if (!pem) {
      Error(at, error);
      return;
    }
    auto key = crypto::PublicKey::FromPem(*pem);
    if (!key.ok()) Error(at, absl::StrCat("key file ", Quote(resolved), ": ", std::string(key.status().message())));
  }

  void KeyData(const std::string& data, const std::string& at) {
    std::string compact;
    for (char c : data)
      if (c != '\r' && c != '\n') compact.push_back(c);
    auto pem = crypto::Base64Decode(compact);
    if (!pem.has_value()) {
      Error(at, "not base64 (keyData holds the base64 of a PEM public key)");
      return;
    }
    auto key = crypto::PublicKey::FromPem(*pem);
    if (!key.ok()) Error(at, std::string(key.status().message()));
  }

  void SignedIdentityOf(const json& v, const std::string& at) {
    if (!v.is_object()) {
      Error(at, absl::StrCat("expected an object, got ", internal::JsonTypeName(v)));
      return;
    }
    auto type = RequiredString(v, at, "type");
    if (!type) return;
    // Unknown fields and missing fields; false when a field is missing.
    auto exact = [&](std::initializer_list<std::string_view> fields) {
      OnlyFields(v, at, absl::StrCat(*type, " signedIdentity"), fields);
      bool complete = true;
      for (std::string_view f : fields) {
        if (!v.contains(std::string(f))) {
          Error(at, absl::StrCat("missing field \"", std::string(f), "\""));
          complete = false;
        }
      }
      return complete;
    };
    if (*type == "matchExact" || *type == "matchRepoDigestOrExact" || *type == "matchRepository") {
      exact({"type"});
    } else if (*type == "exactReference") {
      if (!exact({"type", "dockerReference"})) return;
      auto ref = RequiredString(v, at, "dockerReference");
      if (!ref) return;
      auto parsed = reference::ParseNormalized(*ref, /*default_tag=*/false);
      if (!parsed.ok()) {
        Error(Child(at, "dockerReference"), std::string(parsed.status().message()));
      } else if (!parsed->HasTag() && !parsed->HasDigest()) {
        Error(Child(at, "dockerReference"), absl::StrCat(Quote(*ref), " contains neither a tag nor digest"));
      }
    } else if (*type == "exactRepository") {
      if (!exact({"type", "dockerRepository"})) return;
      auto repo = RequiredString(v, at, "dockerRepository");
      if (!repo) return;
      auto parsed = reference::ParseNormalized(*repo, /*default_tag=*/false);
      if (!parsed.ok()) Error(Child(at, "dockerRepository"), std::string(parsed.status().message()));
    } else if (*type == "remapIdentity") {
      if (!exact({"type", "prefix", "signedPrefix"})) return;
      for (const char* field : {"prefix", "signedPrefix"}) {
        auto prefix = RequiredString(v, at, field);
        if (!prefix) continue;
        if (absl::Status s = internal::ValidateRemapPrefix(*prefix); !s.ok()) {
          Error(Child(at, field), std::string(s.message()));
        }
      }
    } else {
      Error(at, absl::StrCat("unknown signedIdentity type ", Quote(*type)));
    }
  }

  const PositionIndex& index_;
  const std::string base_dir_;
  std::vector<LintFinding> findings_;
};

// Thrown from the depth callback below; never leaves this file.
struct TooDeep : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::string JsonPointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

std::vector<LintFinding> LintContainersPolicy(std::string_view text, const std::string& base_dir) {
  if (text.size() > kMaxPolicyBytes) {
    return {{LintFinding::Severity::kError, "", 0, 0,
             absl::StrCat("policy is larger than ", kMaxPolicyBytes, " bytes")}};
  }
  PositionIndex index(text, kMaxPolicyJsonDepth);
  Linter linter(index, base_dir);

  // The loader's parse first, so that its verdict on the syntax is ours; on
  // a duplicate key, parse again without that check to lint the rest.
  auto strict = internal::ParseStrictJson(text, kMaxPolicyJsonDepth);
  json root;
  if (strict.ok()) {
    root = std::move(*strict);
  } else {
    std::vector<size_t> open;
    auto bound_depth = [&](int /*depth*/, json::parse_event_t event, json& /*parsed*/) {
      if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
        if (open.size() >= kMaxPolicyJsonDepth) throw TooDeep("too deep");
        open.push_back(0);
      } else if (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end) {
        if (!open.empty()) open.pop_back();
      }
      return true;
    };
    bool parsed = false;
    try {
      root = json::parse(text.begin(), text.end(), bound_depth, /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
      parsed = true;
    } catch (...) {
    }
    if (!parsed || index.duplicates().empty()) {
      // The loader's own message; its position from the message, or from
      // the index for a duplicate key (when nesting also stopped the second
      // parse) or for nesting.
      LintFinding finding{LintFinding::Severity::kError, "", 0, 0, std::string(strict.status().message())};
      int line = 0;
      int column = 0;
      if (const char* at = std::strstr(finding.message.c_str(), "at line ");
          at != nullptr && std::sscanf(at, "at line %d, column %d", &line, &column) == 2) {
        finding.line = line;
        finding.column = column;
      } else if (finding.message.starts_with("duplicate key") && !index.duplicates().empty()) {
        finding.pointer = index.duplicates().front().pointer;
        std::tie(finding.line, finding.column) = index.LineColumn(index.duplicates().front().offset);
      } else if (index.too_deep().has_value()) {
        finding.pointer = index.too_deep()->first;
        std::tie(finding.line, finding.column) = index.LineColumn(index.too_deep()->second);
      }
      return {finding};
    }
    // Worded as strict_json.cc words it.
    for (const PositionIndex::Duplicate& duplicate : index.duplicates()) {
      linter.AddAt(duplicate.offset, LintFinding::Severity::kError, duplicate.pointer,
                   absl::StrCat("duplicate key \"", duplicate.key.substr(0, 128), "\""));
    }
  }
  linter.Document(root);

  std::vector<LintFinding> findings = linter.TakeFindings();
  std::stable_sort(findings.begin(), findings.end(), [](const LintFinding& a, const LintFinding& b) {
    return std::tie(a.line, a.column, a.severity) < std::tie(b.line, b.column, b.severity);
  });
  return findings;
}

}  // namespace pullsentry::trust
