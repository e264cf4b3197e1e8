#include "plugin/control/doctor_checks.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "plugin/control/minimal_toml.h"
#include "verify/crypto/ossl_ptr.h"

namespace pullsentry::control {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxCertFileBytes = 1 << 20;
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

std::string Unquote(std::string_view value) {
  value = Trim(value);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
    value = value.substr(1, value.size() - 2);
  return std::string(value);
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
  KubeletEndpoints endpoints;
  size_t offset = 0;
  if (text->find("--image-service-endpoint") != std::string::npos ||
      text->find("--container-runtime-endpoint") != std::string::npos) {
    if (auto value = FlagValue(*text, "--container-runtime-endpoint", &offset)) endpoints.container_runtime_endpoint = *value;
    if (auto value = FlagValue(*text, "--image-service-endpoint", &offset)) {
      endpoints.image_service_endpoint = *value;
      endpoints.where = path + ":" + std::to_string(LineOf(*text, offset));
    }
    return endpoints;
  }
  bool is_kubelet_configuration = false;
  int number = 0;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++number;
    if (line.empty() || std::isspace(static_cast<unsigned char>(line.front())) || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    if (size_t hash = value.find(" #"); hash != std::string_view::npos) value = value.substr(0, hash);
    if (key == "kind" && Unquote(value) == "KubeletConfiguration") is_kubelet_configuration = true;
    if (key == "imageServiceEndpoint") {
      endpoints.image_service_endpoint = Unquote(value);
      endpoints.where = path + ":" + std::to_string(number);
    }
    if (key == "containerRuntimeEndpoint") endpoints.container_runtime_endpoint = Unquote(value);
  }
  if (!is_kubelet_configuration)
    return absl::InvalidArgumentError(path + " is neither a KubeletConfiguration (kind: KubeletConfiguration) "
                                             "nor a kubelet flags file");
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

CheckResult CheckContainerdConfig(const std::string& config_path, std::string_view verifier_name) {
  CheckResult result{"containerd", CheckState::kOk, "", {}};
  absl::StatusOr<std::string> text = ReadSmallFile(config_path, kMaxConfigBytes);
  absl::StatusOr<std::vector<TomlEntry>> entries =
      text.ok() ? ReadTomlEntries(*text) : absl::StatusOr<std::vector<TomlEntry>>(text.status());
  if (!entries.ok()) {
    result.state = CheckState::kFail;
    result.summary = "cannot read containerd configuration " + config_path + ": " + std::string(entries.status().message());
    return result;
  }
  auto where = [&](const TomlEntry& entry) { return config_path + ":" + std::to_string(entry.line); };
  std::vector<std::string> skips;  // settings that make CRI pulls skip image verifiers
  std::vector<std::string> notes;
  std::set<std::string> reported_hosts;
  std::optional<long long> version;
  std::string bin_dir = kDefaultVerifierBinDir;

  // The CRI image settings live here in version 3 configs, and in the old
  // CRI plugin table in version 2 configs (which containerd 2.x migrates).
  auto image_plugin = [](const std::vector<std::string>& key) {
    return key.size() >= 3 && key[0] == "plugins" &&
           (key[1] == "io.containerd.cri.v1.images" || key[1] == "io.containerd.grpc.v1.cri");
  };
  for (const TomlEntry& entry : *entries) {
    const std::vector<std::string>& key = entry.key;
    std::string name = TomlKeyString(key);
    if (!entry.is_table && key.size() == 1 && key[0] == "version") version = TomlInteger(entry.value);
    if (!entry.is_table && key.size() == 1 && key[0] == "disabled_plugins") {
      for (const std::string& plugin : TomlStringArray(entry.value).value_or(std::vector<std::string>{})) {
        if (plugin.starts_with("io.containerd.image-verifier.v1") || plugin == "io.containerd.transfer.v1.local")
          skips.push_back(where(entry) + ": disabled_plugins lists " + plugin + ": no image verifier runs");
      }
    }
    if (key.size() == 3 && key[0] == "plugins" && key[1] == "io.containerd.image-verifier.v1.bindir" && !entry.is_table) {
      if (key[2] == "bin_dir") bin_dir = TomlString(entry.value).value_or(bin_dir);
    }
    if (!image_plugin(key)) continue;
    // Legacy registry settings: any host under mirrors, configs or auths.
    if (key.size() >= 5 && key[2] == "registry" && (key[3] == "mirrors" || key[3] == "configs" || key[3] == "auths")) {
      std::string host = TomlKeyString({key.begin(), key.begin() + 5});
      if (reported_hosts.insert(host).second)
        skips.push_back(where(entry) + ": " + host + ": legacy registry." + key[3] +
                        " (move it to hosts.toml under registry.config_path)");
      continue;
    }
    if (entry.is_table || key.size() != 3) continue;
    const std::string& setting = key[2];
    if ((setting == "use_local_image_pull" || setting == "disable_image_pull_with_transfer_service" ||
         setting == "discard_unpacked_layers") &&
        TomlBool(entry.value) == true)
      skips.push_back(where(entry) + ": " + setting + " = true");
    if (setting == "disable_snapshot_annotations" && TomlBool(entry.value) == false)
      skips.push_back(where(entry) + ": disable_snapshot_annotations = false");
    if (setting == "max_concurrent_downloads" && TomlInteger(entry.value) != 3)
      skips.push_back(where(entry) + ": max_concurrent_downloads = " + entry.value + " (only 3 keeps the transfer service)");
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
  size_t entries = 0, certificates = 0;
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
  return result;
}

}  // namespace pullsentry::control
