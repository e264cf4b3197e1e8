// containers-policy.json(5) → native policy. Scope order in containers/image
// (docker/policyconfiguration/naming.go) is: full reference, repository,
// parent namespaces, host[:port], "*.domain" longest first, "" then the
// global default. The native order yields the same winner: an exact
// reference first; literal prefixes nested in one another by depth; a
// literal host beats any glob host; and "*.a.b" beats "*.b" by its literal
// characters. Upstream drops the port before trying "*.domain", so each
// wildcard becomes two globs, "*.domain" and "*.domain:*".
#include "trust/native_policy_import.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "trust/containers_policy.h"
#include "trust/native_policy.h"
#include "trust/native_policy_internal.h"
#include "trust/strict_json.h"

namespace pullsentry::trust {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

absl::Status Unconvertible(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot convert ", std::string(where), ": ", std::string(what)));
}

class Importer {
 public:
  explicit Importer(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  // One requirement list → a native requirement (all must hold).
  absl::StatusOr<ordered_json> Requirements(const json& list, const std::string& where) {
    std::vector<ordered_json> leaves;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = absl::StrCat(where, "[", i, "]");
      const json& r = list[i];
      const std::string& type = r["type"].get_ref<const std::string&>();
      if (type == "insecureAcceptAnything") {
        leaves.emplace_back("accept");
      } else if (type == "reject") {
        leaves.emplace_back("reject");
      } else {  // sigstoreSigned; ContainersPolicy::Parse refused the rest
        auto name = Verifier(r, at);
        if (!name.ok()) return name.status();
        leaves.emplace_back(*name);
      }
    }
    if (leaves.size() == 1) return leaves.front();
    ordered_json all = ordered_json::object();
    all["allOf"] = leaves;
    return all;
  }

  ordered_json TakeVerifiers() { return std::move(verifiers_); }

 private:
  absl::StatusOr<std::string> Verifier(const json& r, const std::string& where) {
    if (r.contains("keyData") || r.contains("keyDatas")) {
      return Unconvertible(where, "inline keys (keyData, keyDatas) have no native form; write the key to a file "
                                  "and use keyPath");
    }
    ordered_json v = ordered_json::object();
    v["type"] = "cosignKey";
    std::vector<std::string> paths;
    auto resolve = [&](const std::string& p) {
      return p.starts_with('/') || base_dir_.empty() ? p : absl::StrCat(base_dir_, "/", p);
    };
    if (auto it = r.find("keyPath"); it != r.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      paths.push_back(resolve(it->get<std::string>()));
    } else {
      for (const json& p : r["keyPaths"]) paths.push_back(resolve(p.get<std::string>()));
    }
    v["keyPaths"] = paths;
    if (auto it = r.find("signedIdentity"); it != r.end()) {
      const json& id = *it;
      const std::string& type = id["type"].get_ref<const std::string&>();
      ordered_json out = ordered_json::object();
      if (type == "matchRepoDigestOrExact") {
        out["type"] = "repoDigestOrExact";
      } else if (type == "matchExact") {
        out["type"] = "exact";
      } else if (type == "matchRepository") {
        out["type"] = "repository";
      } else if (type == "exactReference") {
        out["type"] = "exactReference";
        out["reference"] = id["dockerReference"];
      } else if (type == "exactRepository") {
        out["type"] = "exactRepository";
        out["repository"] = id["dockerRepository"];
      } else {  // remapIdentity
        out["type"] = "remap";
        out["prefix"] = id["prefix"];
        out["signedPrefix"] = id["signedPrefix"];
      }
      v["identity"] = out;
    }
    // Identical requirements share one verifier.
    std::string key = v.dump();
    auto [it, inserted] = by_content_.emplace(key, "");
    if (inserted) {
      it->second = absl::StrCat("key-", by_content_.size());
      verifiers_[it->second] = v;
    }
    return it->second;
  }

  std::string base_dir_;
  std::map<std::string, std::string> by_content_;
  ordered_json verifiers_ = ordered_json::object();
};

}  // namespace

absl::StatusOr<std::string> ImportContainersPolicy(std::string_view text, const std::string& base_dir) {
  // Same validity as the daemon's own reading of the file.
  auto checked = ContainersPolicy::Parse(text, base_dir);
  if (!checked.ok()) return checked.status();
  auto parsed = internal::ParseStrictJson(text, kMaxPolicyJsonDepth);
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;

  Importer importer(base_dir);
  ordered_json scopes = ordered_json::array();
  const json* docker = nullptr;
  if (auto t = root.find("transports"); t != root.end()) {
    if (auto d = t->find("docker"); d != t->end()) docker = &*d;
  }

  ordered_json def = ordered_json::object();
  def["mode"] = "enforce";
  const bool docker_default = docker != nullptr && docker->contains("");
  auto def_req = docker_default ? importer.Requirements((*docker)[""], "transports.docker[\"\"]")
                                : importer.Requirements(root["default"], "default");
  if (!def_req.ok()) return def_req.status();
  def["require"] = *def_req;

  if (docker != nullptr) {
    for (const auto& [scope, list] : docker->items()) {
      if (scope.empty()) continue;
      std::string where = absl::StrCat("transports.docker[\"", scope.substr(0, 256), "\"]");
      std::vector<std::string> patterns = {scope};
      if (scope.starts_with("*.")) patterns.push_back(scope + ":*");
      auto req = importer.Requirements(list, where);
      if (!req.ok()) return req.status();
      for (const std::string& pattern : patterns) {
        NativeScope probe;
        if (absl::Status s = native_internal::ParseScopePattern(pattern, &probe); !s.ok()) {
          return Unconvertible(where, absl::StrCat("the scope can never match an image (", std::string(s.message()), ")"));
        }
        ordered_json s = ordered_json::object();
        s["match"] = pattern;
        s["mode"] = "enforce";
        s["require"] = *req;
        scopes.push_back(std::move(s));
      }
    }
  }

  ordered_json out = ordered_json::object();
  out["version"] = 1;
  ordered_json verifiers = importer.TakeVerifiers();
  if (!verifiers.empty()) out["verifiers"] = std::move(verifiers);
  out["default"] = std::move(def);
  if (!scopes.empty()) out["scopes"] = std::move(scopes);
  std::string result = out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";

  auto native = NativePolicy::Parse(result, base_dir);
  if (!native.ok()) {
    return absl::InternalError(absl::StrCat("converted policy does not load: ", std::string(native.status().message())));
  }
  return result;
}

}  // namespace pullsentry::trust
