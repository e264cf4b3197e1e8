#include "plugin/control/doctor_checks.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "verify/crypto/ossl_ptr.h"
#include "verify/sigstore/proto_json.h"

namespace pullsentry::control {
namespace {

const std::string kFixtures = std::string(PULLSENTRY_FIXTURES_DIR) + "/doctor/";
const std::string kPullsentryd = "unix:///run/pullsentry/cri.sock";

std::string Joined(const CheckResult& result) {
  std::string out = result.summary;
  for (const std::string& detail : result.details) out += "\n" + detail;
  return out;
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ps-doctor-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DoctorKubeletTest, PointingAtPullsentrydPasses) {
  CheckResult result = CheckKubelet(kFixtures + "kubelet-good.yaml", kPullsentryd);
  EXPECT_EQ(result.state, CheckState::kOk) << Joined(result);
  EXPECT_NE(result.summary.find("kubelet-good.yaml:5"), std::string::npos) << result.summary;
  EXPECT_EQ(CheckKubelet(kFixtures + "kubelet-good.yaml", "/run/pullsentry/./cri.sock").state, CheckState::kOk);
}

TEST(DoctorKubeletTest, FlagsFileIsRead) {
  absl::StatusOr<KubeletEndpoints> endpoints = ReadKubeletConfig(kFixtures + "kubelet-flags.env");
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_EQ(endpoints->image_service_endpoint, kPullsentryd);
  EXPECT_EQ(endpoints->container_runtime_endpoint, "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(CheckKubelet(kFixtures + "kubelet-flags.env", kPullsentryd).state, CheckState::kOk);
}

TEST(DoctorKubeletTest, NamesTheBrokenLink) {
  CheckResult unset = CheckKubelet(kFixtures + "kubelet-no-image-endpoint.yaml", kPullsentryd);
  EXPECT_EQ(unset.state, CheckState::kFail);
  EXPECT_NE(unset.summary.find("no imageServiceEndpoint"), std::string::npos) << unset.summary;
  EXPECT_NE(unset.summary.find("containerd.sock"), std::string::npos) << unset.summary;

  CheckResult other = CheckKubelet(kFixtures + "kubelet-other-endpoint.yaml", kPullsentryd);
  EXPECT_EQ(other.state, CheckState::kFail);
  EXPECT_NE(other.summary.find("not pullsentryd's"), std::string::npos) << other.summary;

  EXPECT_EQ(CheckKubelet(kFixtures + "not-kubelet.yaml", kPullsentryd).state, CheckState::kFail);
  EXPECT_EQ(CheckKubelet(kFixtures + "missing.yaml", kPullsentryd).state, CheckState::kFail);
}

TEST(DoctorKubeletTest, EndpointsNormalise) {
  EXPECT_EQ(NormalizeEndpoint("unix:///run/x//cri.sock"), "/run/x/cri.sock");
  EXPECT_EQ(NormalizeEndpoint("unix:/run/x/cri.sock"), "/run/x/cri.sock");
  EXPECT_EQ(NormalizeEndpoint(" /run/x/cri.sock "), "/run/x/cri.sock");
}

// A fixture with its bin_dir pointing at `bin_dir`.
std::string GoodContainerdConfig(const TempDir& dir, const std::string& bin_dir,
                                 const std::string& fixture = "containerd-good.toml") {
  std::ifstream in(kFixtures + fixture);
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  config.replace(config.find("@BIN_DIR@"), 9, bin_dir);
  std::string path = dir.path() + "/config.toml";
  std::ofstream(path) << config;
  return path;
}

TEST(DoctorContainerdTest, GoodConfigWithTheHookInstalledPasses) {
  TempDir dir;
  std::string bin_dir = dir.path() + "/verifiers";
  std::filesystem::create_directories(bin_dir);
  std::ofstream(bin_dir + "/pullsentry-containerd-verifier") << "#!/bin/sh\n";
  CheckResult result = CheckContainerdConfig(GoodContainerdConfig(dir, bin_dir), "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kOk) << Joined(result);
}

TEST(DoctorContainerdTest, MissingHookIsAWarningNotAFailure) {
  TempDir dir;
  CheckResult result =
      CheckContainerdConfig(GoodContainerdConfig(dir, dir.path() + "/empty"), "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kWarn) << Joined(result);
  EXPECT_NE(Joined(result).find("has no pullsentry-containerd-verifier"), std::string::npos) << Joined(result);
}

TEST(DoctorContainerdTest, LocalPullFallbackSettingsFailEachNamed) {
  CheckResult result = CheckContainerdConfig(kFixtures + "containerd-local-pull.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kFail);
  std::string all = Joined(result);
  for (const char* needle : {"containerd-local-pull.toml:4: use_local_image_pull = true", "discard_unpacked_layers = true",
                             "max_concurrent_downloads = 8", "disable_snapshot_annotations = false"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << needle << "\n" << all;
  }
}

TEST(DoctorContainerdTest, LegacyRegistryMirrorsFail) {
  CheckResult result =
      CheckContainerdConfig(kFixtures + "containerd-legacy-registry.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kFail);
  std::string all = Joined(result);
  EXPECT_NE(all.find("legacy registry.mirrors"), std::string::npos) << all;
  EXPECT_NE(all.find("docker.io"), std::string::npos) << all;
  EXPECT_NE(all.find("config version 2"), std::string::npos) << all;
  EXPECT_EQ(result.details.size(), 3u) << all;  // one finding for the host, two notes
}

TEST(DoctorContainerdTest, DisabledVerifierPluginFails) {
  CheckResult result =
      CheckContainerdConfig(kFixtures + "containerd-verifier-disabled.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kFail);
  EXPECT_NE(Joined(result).find("disabled_plugins"), std::string::npos);
}

TEST(DoctorContainerdTest, UnreadableConfigFails) {
  TempDir dir;
  std::ofstream(dir.path() + "/bad.toml") << "version = 3\n[plugins\n";
  EXPECT_EQ(CheckContainerdConfig(dir.path() + "/bad.toml", "v").state, CheckState::kFail);
  EXPECT_EQ(CheckContainerdConfig(dir.path() + "/none.toml", "v").state, CheckState::kFail);
}

TEST(DoctorKubeletTest, YamlALineReaderCannotSeeIsRead) {
  CheckResult flow = CheckKubelet(kFixtures + "kubelet-flow-style.yaml", kPullsentryd);
  EXPECT_EQ(flow.state, CheckState::kOk) << Joined(flow);
  EXPECT_NE(flow.summary.find("kubelet-flow-style.yaml:3"), std::string::npos) << flow.summary;

  // The value on the next line; a nested imageServiceEndpoint is not kubelet's.
  absl::StatusOr<KubeletEndpoints> next = ReadKubeletConfig(kFixtures + "kubelet-value-next-line.yaml");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->image_service_endpoint, kPullsentryd);
  EXPECT_EQ(next->where, kFixtures + "kubelet-value-next-line.yaml:5");
  EXPECT_EQ(CheckKubelet(kFixtures + "kubelet-value-next-line.yaml", kPullsentryd).state, CheckState::kOk);
}

TEST(DoctorKubeletTest, MalformedOrOddYamlBreaksTheLink) {
  CheckResult malformed = CheckKubelet(kFixtures + "kubelet-malformed.yaml", kPullsentryd);
  EXPECT_EQ(malformed.state, CheckState::kFail);
  EXPECT_NE(malformed.summary.find("malformed YAML"), std::string::npos) << malformed.summary;
  EXPECT_NE(malformed.summary.find("kubelet-malformed.yaml:"), std::string::npos) << malformed.summary;

  TempDir dir;
  std::ofstream(dir.path() + "/map.yaml") << "kind: KubeletConfiguration\nimageServiceEndpoint: {path: /x}\n";
  CheckResult not_string = CheckKubelet(dir.path() + "/map.yaml", kPullsentryd);
  EXPECT_EQ(not_string.state, CheckState::kFail);
  EXPECT_NE(not_string.summary.find("map.yaml:2: imageServiceEndpoint is not a string"), std::string::npos)
      << not_string.summary;

  std::ofstream(dir.path() + "/list.yaml") << "- kind: KubeletConfiguration\n";
  EXPECT_EQ(CheckKubelet(dir.path() + "/list.yaml", kPullsentryd).state, CheckState::kFail);

  // Bounded before parsing: a file over 1 MiB is not read at all.
  {
    std::ofstream big(dir.path() + "/big.yaml");
    big << "kind: KubeletConfiguration\nimageServiceEndpoint: " << kPullsentryd << "\n# " << std::string(1 << 20, 'x')
        << "\n";
  }
  CheckResult big = CheckKubelet(dir.path() + "/big.yaml", kPullsentryd);
  EXPECT_EQ(big.state, CheckState::kFail);
  EXPECT_NE(big.summary.find("larger than"), std::string::npos) << big.summary;
}

TEST(DoctorContainerdTest, InlineTablesAndDottedKeysAreLookedInto) {
  CheckResult result =
      CheckContainerdConfig(kFixtures + "containerd-inline-tables.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kFail);
  std::string all = Joined(result);
  EXPECT_NE(all.find("containerd-inline-tables.toml:6: use_local_image_pull = true"), std::string::npos) << all;
  EXPECT_NE(all.find("registry.mirrors.\"docker.io\": legacy registry.mirrors"), std::string::npos) << all;
  EXPECT_NE(all.find("/nonexistent/verifiers has no"), std::string::npos) << all;  // the dotted bin_dir
}

TEST(DoctorContainerdTest, MultiLineStringsAreValuesNotSettings) {
  TempDir dir;
  std::string bin_dir = dir.path() + "/verifiers";
  std::filesystem::create_directories(bin_dir);
  std::ofstream(bin_dir + "/pullsentry-containerd-verifier") << "#!/bin/sh\n";
  // The settings quoted inside strings do not count; bin_dir is a multi-line string.
  CheckResult quoted = CheckContainerdConfig(
      GoodContainerdConfig(dir, bin_dir, "containerd-multiline-strings.toml"), "pullsentry-containerd-verifier");
  EXPECT_EQ(quoted.state, CheckState::kOk) << Joined(quoted);
  EXPECT_NE(quoted.summary.find("is in " + bin_dir), std::string::npos) << quoted.summary;

  // A setting after a multi-line string counts, with its own line.
  CheckResult after =
      CheckContainerdConfig(kFixtures + "containerd-multiline-then-setting.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(after.state, CheckState::kFail);
  EXPECT_NE(Joined(after).find("containerd-multiline-then-setting.toml:7: max_concurrent_downloads = 8"),
            std::string::npos)
      << Joined(after);
}

TEST(DoctorContainerdTest, VersionTwoRuntimeTableSnapshotSettingsCount) {
  CheckResult result =
      CheckContainerdConfig(kFixtures + "containerd-v2-runtime-table.toml", "pullsentry-containerd-verifier");
  EXPECT_EQ(result.state, CheckState::kFail);
  std::string all = Joined(result);
  EXPECT_NE(all.find("containerd-v2-runtime-table.toml:9: containerd.disable_snapshot_annotations = false"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("use_local_image_pull"), std::string::npos) << all;  // not a setting of that table
  EXPECT_EQ(result.details.size(), 3u) << all;  // the finding, two notes
}

TEST(DoctorContainerdTest, MalformedTomlFailsWithTheParserLine) {
  CheckResult duplicate = CheckContainerdConfig(kFixtures + "containerd-malformed.toml", "v");
  EXPECT_EQ(duplicate.state, CheckState::kFail);
  EXPECT_NE(duplicate.summary.find("cannot read containerd configuration"), std::string::npos) << duplicate.summary;
  EXPECT_NE(duplicate.summary.find("containerd-malformed.toml:5:"), std::string::npos) << duplicate.summary;

  TempDir dir;
  std::ofstream(dir.path() + "/string.toml") << "version = 3\n\n[plugins.x]\n  a = \"unterminated\n";
  CheckResult string = CheckContainerdConfig(dir.path() + "/string.toml", "v");
  EXPECT_EQ(string.state, CheckState::kFail);
  EXPECT_NE(string.summary.find("string.toml:4:"), std::string::npos) << string.summary;

  {
    std::ofstream big(dir.path() + "/big.toml");
    big << "version = 3\n# " << std::string(1 << 20, 'x') << "\n";
  }
  CheckResult big = CheckContainerdConfig(dir.path() + "/big.toml", "v");
  EXPECT_EQ(big.state, CheckState::kFail);
  EXPECT_NE(big.summary.find("larger than"), std::string::npos) << big.summary;
}

// A self-signed certificate valid from now+`from` to now+`to`.
std::string Certificate(std::chrono::system_clock::time_point now, std::chrono::hours from, std::chrono::hours to,
                        const char* name) {
  crypto::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  time_t base = std::chrono::system_clock::to_time_t(now);
  X509_time_adj_ex(X509_getm_notBefore(cert), 0, std::chrono::duration_cast<std::chrono::seconds>(from).count(), &base);
  X509_time_adj_ex(X509_getm_notAfter(cert), 0, std::chrono::duration_cast<std::chrono::seconds>(to).count(), &base);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_set_pubkey(cert, key.get());
  X509_sign(cert, key.get(), EVP_sha256());
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  X509_free(cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

TEST(DoctorTrustTest, ValidCertificatesPass) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  std::filesystem::create_directories(dir.path() + "/x509/ca/acme");
  std::ofstream(dir.path() + "/x509/ca/acme/root.pem")
      << Certificate(now, std::chrono::hours(-24), std::chrono::hours(24 * 365), "root")
      << Certificate(now, std::chrono::hours(-24), std::chrono::hours(24 * 100), "second");
  std::ofstream(dir.path() + "/policy.json") << "{}";
  CheckResult result = CheckTrustMaterial(dir.path(), now);
  EXPECT_EQ(result.state, CheckState::kOk) << Joined(result);
  EXPECT_NE(result.summary.find("2 certificates"), std::string::npos) << result.summary;
}

TEST(DoctorTrustTest, ExpiredExpiringAndNotYetValidFail) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  std::filesystem::create_directories(dir.path() + "/x509/ca/acme");
  std::ofstream(dir.path() + "/x509/ca/acme/old.pem")
      << Certificate(now, std::chrono::hours(-24 * 400), std::chrono::hours(-24 * 3), "old");
  std::ofstream(dir.path() + "/x509/ca/acme/soon.crt")
      << Certificate(now, std::chrono::hours(-24), std::chrono::hours(24 * 10), "soon");
  std::ofstream(dir.path() + "/x509/ca/acme/future.pem")
      << Certificate(now, std::chrono::hours(24 * 5), std::chrono::hours(24 * 400), "future");
  CheckResult result = CheckTrustMaterial(dir.path(), now);
  EXPECT_EQ(result.state, CheckState::kFail);
  std::string all = Joined(result);
  EXPECT_NE(all.find("CN=old): expired"), std::string::npos) << all;
  EXPECT_NE(all.find("CN=soon): expires in"), std::string::npos) << all;
  EXPECT_NE(all.find("CN=future): not valid for another"), std::string::npos) << all;
}

TEST(DoctorTrustTest, ThirtyDaysIsTheDefaultWindow) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  std::ofstream(dir.path() + "/a.pem") << Certificate(now, std::chrono::hours(-1), std::chrono::hours(24 * 31), "a");
  EXPECT_EQ(CheckTrustMaterial(dir.path(), now).state, CheckState::kOk);
  EXPECT_EQ(CheckTrustMaterial(dir.path(), now + std::chrono::hours(24 * 2)).state, CheckState::kFail);
}

TEST(DoctorTrustTest, KeysOnlyAndMissingStore) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/keys");
  std::ofstream(dir.path() + "/keys/team.pub") << "-----BEGIN PUBLIC KEY-----\n";
  EXPECT_EQ(CheckTrustMaterial(dir.path(), std::chrono::system_clock::now()).state, CheckState::kOk);
  EXPECT_EQ(CheckTrustMaterial(dir.path() + "/nope", std::chrono::system_clock::now()).state, CheckState::kFail);
}

// The Sigstore fixture root with every CA's (or tlog's) validFor ending at
// now + `end_in`.
std::string TrustedRootEndingIn(const char* list, std::chrono::system_clock::time_point now, std::chrono::hours end_in) {
  std::ifstream in(std::string(PULLSENTRY_FIXTURES_DIR) + "/sigstore/trusted_root.json");
  nlohmann::json root = nlohmann::json::parse(in);
  std::string end = sigstore::internal::FormatRfc3339(std::chrono::floor<std::chrono::seconds>(now + end_in));
  for (nlohmann::json& entry : root.at(list)) {
    nlohmann::json& valid_for = std::string(list) == "tlogs" ? entry["publicKey"]["validFor"] : entry["validFor"];
    valid_for["start"] = "2020-01-01T00:00:00Z";
    valid_for["end"] = end;
  }
  return root.dump();
}

TEST(DoctorTrustTest, SigstoreTrustedRootsAreChecked) {
  auto now = std::chrono::system_clock::now();
  {
    TempDir dir;
    std::filesystem::create_directories(dir.path() + "/sigstore");
    std::ifstream in(std::string(PULLSENTRY_FIXTURES_DIR) + "/sigstore/trusted_root.json");
    std::ofstream(dir.path() + "/sigstore/public-good.json") << in.rdbuf();
    CheckResult result = CheckTrustMaterial(dir.path(), now);
    EXPECT_EQ(result.state, CheckState::kOk) << Joined(result);
    EXPECT_NE(result.summary.find("1 Sigstore trusted root"), std::string::npos) << result.summary;
  }
  {
    TempDir dir;
    std::filesystem::create_directories(dir.path() + "/sigstore");
    std::ofstream(dir.path() + "/sigstore/old.json")
        << TrustedRootEndingIn("certificateAuthorities", now, std::chrono::hours(-24 * 10));
    std::ofstream(dir.path() + "/sigstore/soon.json") << TrustedRootEndingIn("tlogs", now, std::chrono::hours(24 * 10));
    std::ofstream(dir.path() + "/sigstore/broken.json") << "{\"mediaType\": 5}";
    CheckResult result = CheckTrustMaterial(dir.path(), now);
    EXPECT_EQ(result.state, CheckState::kFail);
    std::string all = Joined(result);
    EXPECT_NE(all.find("old.json: every certificate authority stopped being valid"), std::string::npos) << all;
    EXPECT_NE(all.find("soon.json: every transparency log stops being valid within"), std::string::npos) << all;
    EXPECT_NE(all.find("broken.json: not a usable Sigstore trusted root"), std::string::npos) << all;
    EXPECT_EQ(result.details.size(), 3u) << all;
    // Ending in 31 days is still fine.
    std::filesystem::remove(dir.path() + "/sigstore/old.json");
    std::filesystem::remove(dir.path() + "/sigstore/broken.json");
    std::ofstream(dir.path() + "/sigstore/soon.json") << TrustedRootEndingIn("tlogs", now, std::chrono::hours(24 * 31));
    EXPECT_EQ(CheckTrustMaterial(dir.path(), now).state, CheckState::kOk) << Joined(CheckTrustMaterial(dir.path(), now));
  }
}

}  // namespace
}  // namespace pullsentry::control
