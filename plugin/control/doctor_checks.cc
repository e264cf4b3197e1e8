#include "plugin/control/doctor_checks.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <toml++/toml.h>

#include "absl/status/status.h"
#include "verify/crypto/ossl_ptr.h"
#include "verify/sigstore/trusted_root.h"

namespace pullsentry::control {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxCertFileBytes = 1 << 20;
constexpr size_t kMaxTrustedRootBytes = 1 << 20;
constexpr size_t kMaxTrustEntries = 4096;
constexpr int kMaxTrustDepth = 8;
constexpr char kDefaultVerifierBinDir[] = "/opt/containerd/image-verifier/bin";

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t limit) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return absl::NotFoundError(path + ": no such file");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return absl::InternalError(path + ": " + ec.message());
  if (size > limit) return absl::InvalidArgumentError(path + ": larger than " + std::to_string(limit) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::string data(static_cast<size_t>(size), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size))) return absl::InternalError(path + ": cannot read");
  return data;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// A flag's value in a command line or environment file: --flag=V or --flag V.
std::optional<std::string> FlagValue(std::string_view text, std::string_view flag, size_t* offset) {
  std::optional<std::string> found;
  for (size_t at = text.find(flag); at != std::string_view::npos; at = text.find(flag, at + flag.size())) {
    size_t after = at + flag.size();
    if (after < text.size() && text[after] != '=' && !std::isspace(static_cast<unsigned char>(text[after])))
      continue;  // a longer flag that starts the same
    size_t start = after;
    while (start < text.size() && (text[start] == '=' || text[start] == ' ' || text[start] == '\t')) ++start;
    size_t end = start;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
           text[end] != '\'')
      ++end;
    found = std::string(text.substr(start, end - start));  // the last one wins, as for kubelet
    *offset = at;
  }
  return found;
}

int LineOf(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

}  // namespace

std::string_view CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kOk:
      return "ok";
    case CheckState::kWarn:
      return "warn";
    case CheckState::kFail:
      return "FAIL";
    case CheckState::kSkipped:
      return "skipped";
  }
  return "?";
}

std::string NormalizeEndpoint(std::string_view endpoint) {
  endpoint = Trim(endpoint);
  if (endpoint.starts_with("unix://")) {
    endpoint.remove_prefix(7);
  } else if (endpoint.starts_with("unix:")) {
    endpoint.remove_prefix(5);
  }
  if (endpoint.starts_with("/")) return std::filesystem::path(endpoint).lexically_normal().string();
  return std::string(endpoint);
}

absl::StatusOr<KubeletEndpoints> ReadKubeletConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ReadKubeletConfigText(*text, path);
}

absl::StatusOr<KubeletEndpoints> ReadKubeletConfigText(std::string_view text, const std::string& source) {
  KubeletEndpoints endpoints;
  size_t offset = 0;
  if (text.find("--image-service-endpoint") != std::string_view::npos ||
      text.find("--container-runtime-endpoint") != std::string_view::npos) {
    if (auto value = FlagValue(text, "--container-runtime-endpoint", &offset)) endpoints.container_runtime_endpoint = *value;
    if (auto value = FlagValue(text, "--image-service-endpoint", &offset)) {
      endpoints.image_service_endpoint = *value;
      endpoints.where = source + ":" + std::to_string(LineOf(text, offset));
    }
    return endpoints;
  }
  const absl::Status not_kubelet = absl::InvalidArgumentError(
      source + " is neither a KubeletConfiguration (kind: KubeletConfiguration) nor a kubelet flags file");
  YAML::Node document;
  try {
    document = YAML::Load(std::string(text));  // the first document; kubelet reads one
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based, and unset (-1) for errors without a position.
    std::string at = e.mark.is_null() ? source : source + ":" + std::to_string(e.mark.line + 1);
    return absl::InvalidArgumentError(at + ": malformed YAML: " + e.msg);
  }
  if (!document.IsMap()) return not_kubelet;
  // Only top-level scalars are read; anything else under these keys is a
  // configuration kubelet itself would refuse.
  auto scalar = [&](const char* key) -> absl::StatusOr<std::optional<std::pair<std::string, int>>> {
    const YAML::Node node = std::as_const(document)[key];  // const: looking up adds nothing
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    if (!node.IsScalar())
      return absl::InvalidArgumentError(source + ":" + std::to_string(node.Mark().line + 1) + ": " + key +
                                        " is not a string");
    return std::make_pair(node.Scalar(), node.Mark().line + 1);
  };
  try {
    absl::StatusOr<std::optional<std::pair<std::string, int>>> kind = scalar("kind");
    if (!kind.ok()) return kind.status();
    if (!*kind || (*kind)->first != "KubeletConfiguration") return not_kubelet;
    absl::StatusOr<std::optional<std::pair<std::string, int>>> image = scalar("imageServiceEndpoint");
    if (!image.ok()) return image.status();
    if (*image) {
      endpoints.image_service_endpoint = (*image)->first;
      endpoints.where = source + ":" + std::to_string((*image)->second);
    }
    absl::StatusOr<std::optional<std::pair<std::string, int>>> runtime = scalar("containerRuntimeEndpoint");
    if (!runtime.ok()) return runtime.status();
    if (*runtime) endpoints.container_runtime_endpoint = (*runtime)->first;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(source + ": " + e.msg);
  }
  return endpoints;
}

CheckResult CheckKubelet(const std::string& config_path, const std::string& expected_endpoint) {
  CheckResult result{"kubelet", CheckState::kOk, "", {}};
  absl::StatusOr<KubeletEndpoints> endpoints = ReadKubeletConfig(config_path);
  if (!endpoints.ok()) {
    result.state = CheckState::kFail;
    result.summary = "cannot read kubelet configuration: " + std::string(endpoints.status().message());
    return result;
  }
  if (endpoints->image_service_endpoint.empty()) {
    result.state = CheckState::kFail;
    result.summary = "kubelet has no imageServiceEndpoint in " + config_path + ": it pulls straight from " +
                     (endpoints->container_runtime_endpoint.empty() ? std::string("its runtime")
                                                                    : endpoints->container_runtime_endpoint) +
                     ", past pullsentryd; set imageServiceEndpoint: " + expected_endpoint;
    return result;
  }
  if (NormalizeEndpoint(endpoints->image_service_endpoint) != NormalizeEndpoint(expected_endpoint)) {
    result.state = CheckState::kFail;
    result.summary = "kubelet's imageServiceEndpoint is " + endpoints->image_service_endpoint + " (" +
                     endpoints->where + "), not pullsentryd's " + expected_endpoint;
    return result;
  }
  result.summary = "kubelet pulls through " + endpoints->image_service_endpoint + " (" + endpoints->where + ")";
  return result;
}

namespace {

// Bare keys print as they are; others quoted, as in TOML and containerd's docs.
std::string KeyPart(std::string_view key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : "\"" + std::string(key) + "\"";
}

std::string KeyPath(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += (out.empty() ? "" : ".") + KeyPart(part);
  return out;
}

// A value as TOML spells it, for messages.
std::string TomlText(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  return out.str();
}

// The CRI image settings that make containerd 2.1 pull with its local
// puller, which runs no image verifier.
// `snapshot_only`: only the two snapshot settings (the version 2 runtime table).
template <typename Where>
void CheckImageSettings(const toml::table& table, const std::string& prefix, bool snapshot_only, const Where& where,
                        std::vector<std::string>* skips) {
  for (const auto& [key, value] : table) {
    const std::string setting = prefix + std::string(key.str());
    const std::string_view name = key.str();
    if (snapshot_only && name != "discard_unpacked_layers" && name != "disable_snapshot_annotations") continue;
    const toml::value<bool>* flag = value.as_boolean();
    if ((name == "use_local_image_pull" || name == "disable_image_pull_with_transfer_service" ||
         name == "discard_unpacked_layers") &&
        flag != nullptr && flag->get())
      skips->push_back(where(value) + ": " + setting + " = true");
    if (name == "disable_snapshot_annotations" && flag != nullptr && !flag->get())
      skips->push_back(where(value) + ": " + setting + " = false");
    if (name == "max_concurrent_downloads" && !(value.is_integer() && value.as_integer()->get() == 3))
      skips->push_back(where(value) + ": " + setting + " = " + TomlText(value) + " (only 3 keeps the transfer service)");
  }
}

}  // namespace

CheckResult CheckContainerdConfig(const std::string& config_path, std::string_view verifier_name) {
  absl::StatusOr<std::string> text = ReadSmallFile(config_path, kMaxConfigBytes);
  if (!text.ok()) {
    return CheckResult{"containerd", CheckState::kFail,
                       "cannot read containerd configuration " + config_path + ": " + std::string(text.status().message()),
                       {}};
  }
  return CheckContainerdConfigText(*text, config_path, verifier_name);
}

CheckResult CheckContainerdConfigText(std::string_view text, const std::string& source,
                                      std::string_view verifier_name) {
  CheckResult result{"containerd", CheckState::kOk, "", {}};
  toml::table config;
  try {
    config = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    result.state = CheckState::kFail;
    result.summary = "cannot read containerd configuration " + source + ":" + std::to_string(e.source().begin.line) +
                     ": " + std::string(e.description());
    return result;
  }
  auto where = [&](const toml::node& node) { return source + ":" + std::to_string(node.source().begin.line); };
  std::vector<std::string> skips;  // settings that make CRI pulls skip image verifiers
  std::vector<std::string> notes;
  std::optional<long long> version;
  std::string bin_dir = kDefaultVerifierBinDir;

  if (const toml::value<int64_t>* value = config["version"].as_integer()) version = value->get();
  if (const toml::array* disabled = config["disabled_plugins"].as_array()) {
    for (const toml::node& element : *disabled) {
      const toml::value<std::string>* plugin = element.as_string();
      if (plugin == nullptr) continue;
      if (plugin->get().starts_with("io.containerd.image-verifier.v1") ||
          plugin->get() == "io.containerd.transfer.v1.local")
        skips.push_back(where(element) + ": disabled_plugins lists " + plugin->get() + ": no image verifier runs");
    }
  }
  const toml::node_view plugins = config["plugins"];
  if (const toml::value<std::string>* dir = plugins["io.containerd.image-verifier.v1.bindir"]["bin_dir"].as_string())
    bin_dir = dir->get();

  // The CRI image settings live here in version 3 configs, and in the old
  // CRI plugin table in version 2 configs (which containerd 2.x migrates).
  for (const char* plugin_name : {"io.containerd.cri.v1.images", "io.containerd.grpc.v1.cri"}) {
    const toml::table* plugin = plugins[plugin_name].as_table();
    if (plugin == nullptr) continue;
    // Legacy registry settings: any host under mirrors, configs or auths.
    for (const char* legacy : {"mirrors", "configs", "auths"}) {
      const toml::table* hosts = (*plugin)["registry"][legacy].as_table();
      if (hosts == nullptr) continue;
      for (const auto& [host, settings] : *hosts) {
        skips.push_back(where(settings) + ": " + KeyPath({"plugins", plugin_name, "registry", legacy, host.str()}) +
                        ": legacy registry." + legacy + " (move it to hosts.toml under registry.config_path)");
      }
    }
    CheckImageSettings(*plugin, "", /*snapshot_only=*/false, where, &skips);
    // Version 2 files keep the snapshot settings one table down, in
    // [plugins."io.containerd.grpc.v1.cri".containerd]; 2.x migrates them.
    if (const toml::table* runtime = (*plugin)["containerd"].as_table();
        runtime != nullptr && std::string_view(plugin_name) == "io.containerd.grpc.v1.cri")
      CheckImageSettings(*runtime, "containerd.", /*snapshot_only=*/true, where, &skips);
  }

  std::error_code ec;
  bool hook_installed = std::filesystem::is_regular_file(std::filesystem::path(bin_dir) / verifier_name, ec);
  if (!hook_installed) {
    notes.push_back("the image verifier directory " + bin_dir + " has no " + std::string(verifier_name) +
                    ": containerd's own pulls (ctr, nerdctl, CRI pulls past pullsentryd) are not checked");
  }
  if (version.value_or(1) < 3) {
    notes.push_back("config version " + std::to_string(version.value_or(1)) +
                    ": containerd before 2.1 runs no image verifiers for CRI pulls; enforcement rests on kubelet "
                    "pulling through pullsentryd");
  }
  if (!skips.empty()) {
    result.state = CheckState::kFail;
    result.summary = "containerd's configuration makes CRI pulls fall back to the local puller, which skips image "
                     "verifiers (" + std::to_string(skips.size()) + " setting" + (skips.size() == 1 ? "" : "s") + ")";
    result.details = skips;
    result.details.insert(result.details.end(), notes.begin(), notes.end());
    return result;
  }
  result.state = notes.empty() ? CheckState::kOk : CheckState::kWarn;
  result.summary = hook_installed ? "no setting makes containerd skip image verifiers; " + std::string(verifier_name) +
                                        " is in " + bin_dir
                                  : "no setting makes containerd skip image verifiers";
  result.details = notes;
  return result;
}

namespace {

// Seconds from `now` to an ASN1_TIME (negative when it lies in the past).
std::optional<long long> SecondsFrom(const ASN1_TIME* when, std::chrono::system_clock::time_point now) {
  time_t now_seconds = std::chrono::system_clock::to_time_t(now);
  ASN1_TIME* reference = ASN1_TIME_set(nullptr, now_seconds);
  if (reference == nullptr) return std::nullopt;
  int days = 0, seconds = 0;
  bool ok = ASN1_TIME_diff(&days, &seconds, reference, when) == 1;
  ASN1_TIME_free(reference);
  if (!ok) return std::nullopt;
  return static_cast<long long>(days) * 86400 + seconds;
}

std::string Subject(X509* cert) {
  char buffer[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof(buffer));
  return buffer;
}

std::vector<crypto::X509Ptr> ReadCertificates(const std::string& data) {
  std::vector<crypto::X509Ptr> certs;
  if (data.find("-----BEGIN") != std::string::npos) {
    crypto::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    while (bio && certs.size() < 64) {
      X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (cert == nullptr) break;
      certs.emplace_back(cert);
    }
    return certs;
  }
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(data.data());
  if (X509* cert = d2i_X509(nullptr, &cursor, static_cast<long>(data.size()))) certs.emplace_back(cert);
  return certs;
}

// A Sigstore trusted root is only usable while one of its certificate
// authorities and one of its transparency logs is: an old CA whose window
// ended is normal (roots keep them for old signatures), all of them ended
// is not.
void CheckTrustedRoot(const std::string& path, std::chrono::system_clock::time_point now,
                      std::chrono::hours warn_within, std::vector<std::string>* problems) {
  absl::StatusOr<std::string> data = ReadSmallFile(path, kMaxTrustedRootBytes);
  if (!data.ok()) {
    problems->push_back(std::string(data.status().message()));
    return;
  }
  absl::StatusOr<std::shared_ptr<const sigstore::TrustedRoot>> root = sigstore::TrustedRoot::Parse(*data);
  if (!root.ok()) {
    problems->push_back(path + ": not a usable Sigstore trusted root: " + std::string(root.status().message()));
    return;
  }
  const sigstore::Time at = std::chrono::floor<std::chrono::seconds>(now);
  const sigstore::Time horizon = at + std::chrono::duration_cast<std::chrono::seconds>(warn_within);
  // FAIL when every period of the list has an end and the latest is near.
  auto judge = [&](const char* what, const std::vector<const sigstore::ValidityPeriod*>& periods) {
    if (periods.empty()) return;  // nothing of that kind to run out
    std::optional<sigstore::Time> latest;
    for (const sigstore::ValidityPeriod* period : periods) {
      if (!period->end) return;  // open-ended: still valid
      if (!latest || *period->end > *latest) latest = period->end;
    }
    long long days = std::chrono::duration_cast<std::chrono::hours>(*latest - at).count() / 24;
    if (*latest < at) {
      problems->push_back(path + ": every " + what + " stopped being valid, the last " + std::to_string(-days) +
                          " days ago (" + sigstore::internal::FormatRfc3339(*latest) + ")");
    } else if (*latest < horizon) {
      problems->push_back(path + ": every " + what + " stops being valid within " + std::to_string(days) +
                          " days (" + sigstore::internal::FormatRfc3339(*latest) + "): refresh the trusted root");
    }
  };
  std::vector<const sigstore::ValidityPeriod*> cas, tlogs;
  for (const sigstore::CertificateAuthority& ca : (*root)->certificate_authorities()) cas.push_back(&ca.valid_for);
  for (const sigstore::TransparencyLog& log : (*root)->tlogs()) tlogs.push_back(&log.valid_for);
  judge("certificate authority", cas);
  judge("transparency log", tlogs);
}

}  // namespace

CheckResult CheckTrustMaterial(const std::string& trust_store, std::chrono::system_clock::time_point now,
                               std::chrono::hours warn_within) {
  CheckResult result{"trust", CheckState::kOk, "", {}};
  std::error_code ec;
  if (!std::filesystem::is_directory(trust_store, ec)) {
    result.state = CheckState::kFail;
    result.summary = "trust store " + trust_store + " is not a directory";
    return result;
  }
  size_t entries = 0, certificates = 0, trusted_roots = 0;
  std::vector<std::string> problems;
  std::optional<std::pair<long long, std::string>> soonest;
  auto it = std::filesystem::recursive_directory_iterator(
      trust_store, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (++entries > kMaxTrustEntries) {
      problems.push_back(trust_store + ": more than " + std::to_string(kMaxTrustEntries) + " entries; not all checked");
      break;
    }
    if (it.depth() >= kMaxTrustDepth) it.disable_recursion_pending();
    const std::filesystem::path& path = it->path();
    std::string extension = path.extension().string();
    if (extension == ".json" && path.parent_path().filename() == "sigstore" && it->is_regular_file(ec)) {
      ++trusted_roots;
      CheckTrustedRoot(path.string(), now, warn_within, &problems);
      continue;
    }
    if (!it->is_regular_file(ec) ||
        (extension != ".pem" && extension != ".crt" && extension != ".cer" && extension != ".der"))
      continue;
    absl::StatusOr<std::string> data = ReadSmallFile(path.string(), kMaxCertFileBytes);
    if (!data.ok()) {
      problems.push_back(std::string(data.status().message()));
      continue;
    }
    for (const crypto::X509Ptr& cert : ReadCertificates(*data)) {
      ++certificates;
      std::optional<long long> until_end = SecondsFrom(X509_get0_notAfter(cert.get()), now);
      std::optional<long long> until_start = SecondsFrom(X509_get0_notBefore(cert.get()), now);
      std::string who = path.string() + " (" + Subject(cert.get()) + ")";
      if (!until_end || !until_start) {
        problems.push_back(who + ": unreadable validity dates");
      } else if (*until_end < 0) {
        problems.push_back(who + ": expired " + std::to_string(-*until_end / 86400) + " days ago");
      } else if (*until_start > 0) {
        problems.push_back(who + ": not valid for another " + std::to_string(*until_start / 86400) + " days");
      } else if (*until_end < std::chrono::duration_cast<std::chrono::seconds>(warn_within).count()) {
        problems.push_back(who + ": expires in " + std::to_string(*until_end / 86400) + " days");
      }
      if (until_end && (!soonest || *until_end < soonest->first)) soonest = {*until_end, who};
    }
  }
  if (ec) problems.push_back(trust_store + ": " + ec.message());
  if (!problems.empty()) {
    result.state = CheckState::kFail;
    result.summary = std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") +
                     " with the trust material in " + trust_store;
    result.details = problems;
    return result;
  }
  if (certificates == 0) {
    result.summary = trust_store + ": no certificates (public keys do not expire)";
  } else {
    result.summary = std::to_string(certificates) + " certificate" + (certificates == 1 ? "" : "s") + " in " +
                     trust_store + " valid for at least " + std::to_string(soonest->first / 86400) + " days";
  }
  if (trusted_roots > 0)
    result.summary += "; " + std::to_string(trusted_roots) + " Sigstore trusted root" + (trusted_roots == 1 ? "" : "s") +
                      " with a usable CA and log";
  return result;
}

}  // namespace pullsentry::control
