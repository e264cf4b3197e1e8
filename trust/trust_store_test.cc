// Trust store tests: each builds a real directory tree from the fixtures in
// tests/fixtures/crypto (python3-cryptography) and tests/fixtures/truststore
// (openssl CLI), then changes one thing.
#include "trust/trust_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "trust/native_policy.h"
#include "verify/crypto/digest.h"

namespace pullsentry::trust {
namespace {

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(PULLSENTRY_FIXTURES_DIR) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Subject(const X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

class TrustStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pullsentry-truststore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/store";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }

  void Dir(const std::string& rel, mode_t mode = 0755) {
    std::filesystem::create_directories(Path(rel));
    ASSERT_EQ(chmod(Path(rel).c_str(), mode), 0);
  }

  void Write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    std::filesystem::create_directories(std::filesystem::path(Path(rel)).parent_path());
    {
      std::ofstream out(Path(rel), std::ios::binary | std::ios::trunc);
      out << content;
    }
    ASSERT_EQ(chmod(Path(rel).c_str(), mode), 0);
  }

  // One of each kind of material: the store every test starts from.
  void Populate() {
    Write("keys/team.pub", Fixture("crypto/p256.pub.pem"));
    Write("keys/release.pub", Fixture("crypto/rsa2048.pub.pem"));
    Write("x509/ca/acme/root-ca.pem", Fixture("truststore/root-ca.pem"));
    Write("x509/ca/acme/chain.crt", Fixture("truststore/chain.pem"));
    Write("x509/signingAuthority/acme-signers/signing.cer", Fixture("truststore/signing.der"));
    Write("x509/tsa/timestamps/tsa.pem", Fixture("truststore/tsa.pem"));
    Write("sigstore/public-good.json", Fixture("truststore/trusted_root.json"));
  }

  absl::StatusOr<std::shared_ptr<const TrustStore>> Open() { return TrustStore::Open(root_); }

  // The error message of a store that must not load.
  std::string Refusal() {
    auto store = Open();
    EXPECT_FALSE(store.ok()) << "loaded, but should have been refused";
    return store.ok() ? "" : std::string(store.status().message());
  }

  std::string base_;
  std::string root_;
};

// --- Happy paths ---

TEST_F(TrustStoreTest, LoadsKeysByNameWithOrWithoutThePubSuffix) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto team = (*store)->Key("team");
  ASSERT_TRUE(team.ok()) << team.status();
  EXPECT_EQ(team->source, Path("keys/team.pub"));
  EXPECT_EQ(team->key->Description(), "ecdsa-p256");
  auto same = (*store)->Key("team.pub");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->key, team->key);
  auto release = (*store)->Key("release.pub");
  ASSERT_TRUE(release.ok()) << release.status();
  EXPECT_EQ(release->key->Description(), "rsa-2048");
  EXPECT_EQ((*store)->KeyNames(), (std::vector<std::string>{"release", "team"}));
}

TEST_F(TrustStoreTest, LoadsX509StoresOfEachKindFromPemBundlesAndDer) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();

  auto ca = (*store)->X509Store(X509StoreKind::kCA, "acme");
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_EQ((*ca)->path, Path("x509/ca/acme"));
  // chain.crt (signer, root) sorts before root-ca.pem.
  ASSERT_EQ((*ca)->certificates.size(), 3u);
  EXPECT_EQ((*ca)->certificates[0].path, Path("x509/ca/acme/chain.crt"));
  EXPECT_NE(Subject((*ca)->certificates[0].cert.get()).find("pullsentry test signer"), std::string::npos);
  EXPECT_NE(Subject((*ca)->certificates[1].cert.get()).find("pullsentry test root CA"), std::string::npos);
  EXPECT_EQ((*ca)->certificates[2].path, Path("x509/ca/acme/root-ca.pem"));

  auto signers = (*store)->X509Store(X509StoreKind::kSigningAuthority, "acme-signers");
  ASSERT_TRUE(signers.ok()) << signers.status();
  ASSERT_EQ((*signers)->certificates.size(), 1u);
  EXPECT_NE(Subject((*signers)->certificates[0].cert.get()).find("pullsentry test signer"), std::string::npos);

  auto tsa = (*store)->X509Store(X509StoreKind::kTSA, "timestamps");
  ASSERT_TRUE(tsa.ok()) << tsa.status();
  ASSERT_EQ((*tsa)->certificates.size(), 1u);
  EXPECT_NE(Subject((*tsa)->certificates[0].cert.get()).find("pullsentry test TSA"), std::string::npos);

  // A store of one kind is not a store of another.
  EXPECT_FALSE((*store)->X509Store(X509StoreKind::kTSA, "acme").ok());
  EXPECT_EQ((*store)->X509StoreNames(X509StoreKind::kCA), (std::vector<std::string>{"acme"}));
}

TEST_F(TrustStoreTest, CopiedCertificatesOutliveTheStore) {
  Populate();
  std::vector<crypto::X509Ptr> copies;
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    auto ca = (*store)->X509Store(X509StoreKind::kCA, "acme");
    ASSERT_TRUE(ca.ok()) << ca.status();
    copies = (*ca)->CopyCertificates();
  }
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_NE(Subject(copies[2].get()).find("pullsentry test root CA"), std::string::npos);
}

TEST_F(TrustStoreTest, LoadsTrustedRootsAsBytesWithTheirDigest) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto root = (*store)->TrustedRoot("public-good");
  ASSERT_TRUE(root.ok()) << root.status();
  std::string bytes = Fixture("truststore/trusted_root.json");
  EXPECT_EQ((*root)->bytes, bytes);
  EXPECT_EQ((*root)->digest, crypto::Sha256Digest(bytes));
  EXPECT_EQ((*root)->path, Path("sigstore/public-good.json"));
  EXPECT_TRUE((*store)->TrustedRoot("public-good.json").ok());
}

TEST_F(TrustStoreTest, EverySubdirectoryIsOptional) {
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Files().empty());
  EXPECT_EQ((*store)->Directories(), (std::vector<std::string>{root_}));
}

TEST_F(TrustStoreTest, IgnoresWhatIsBesideTheThreeSubdirectories) {
  Populate();
  Write("policy.json", "not looked at", 0666);
  ASSERT_EQ(mkfifo(Path("somefifo").c_str(), 0600), 0);
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
}

TEST_F(TrustStoreTest, SkipsHiddenEntries) {
  Populate();
  auto before = Open();
  ASSERT_TRUE(before.ok()) << before.status();
  Write("keys/.team.pub.swp", "editor junk", 0666);
  Dir("x509/ca/.tmp", 0777);
  auto after = Open();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)->Hash(), (*before)->Hash());
  EXPECT_EQ((*after)->Files(), (*before)->Files());
}

TEST_F(TrustStoreTest, ListsEveryFileReadAndEveryDirectoryListed) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Files(), (std::vector<std::string>{
                                   Path("keys/release.pub"),
                                   Path("keys/team.pub"),
                                   Path("sigstore/public-good.json"),
                                   Path("x509/ca/acme/chain.crt"),
                                   Path("x509/ca/acme/root-ca.pem"),
                                   Path("x509/signingAuthority/acme-signers/signing.cer"),
                                   Path("x509/tsa/timestamps/tsa.pem"),
                               }));
  EXPECT_EQ((*store)->Directories(), (std::vector<std::string>{
                                         root_,
                                         Path("keys"),
                                         Path("x509"),
                                         Path("x509/ca"),
                                         Path("x509/ca/acme"),
                                         Path("x509/signingAuthority"),
                                         Path("x509/signingAuthority/acme-signers"),
                                         Path("x509/tsa"),
                                         Path("x509/tsa/timestamps"),
                                         Path("sigstore"),
                                     }));
}

// --- Lookups by name ---

TEST_F(TrustStoreTest, MissingRootIsNotFoundNamingIt) {
  auto store = TrustStore::Open(base_ + "/nowhere");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.status().message(), "trust store " + base_ + "/nowhere does not exist");
}

TEST_F(TrustStoreTest, MissingNamesSayWhichPathWasExpected) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto key = (*store)->Key("nobody");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(key.status().message(), "trust store has no key \"nobody\": expected " + Path("keys/nobody.pub"));
  auto ca = (*store)->X509Store(X509StoreKind::kCA, "other");
  EXPECT_EQ(ca.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ca.status().message(),
            "trust store has no X.509 ca store \"other\": expected a directory of certificates " + Path("x509/ca/other"));
  auto root = (*store)->TrustedRoot("staging");
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(root.status().message(),
            "trust store has no Sigstore trusted root \"staging\": expected " + Path("sigstore/staging.json"));
}

TEST_F(TrustStoreTest, NamesThatArePathsAreRefused) {
  Populate();
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  for (const char* name : {"../keys/team", "keys/team", "", ".", "..", ".pub", ".hidden"}) {
    auto key = (*store)->Key(name);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ((*store)->X509Store(X509StoreKind::kCA, "../ca/acme").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->TrustedRoot("../public-good").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(X509StoreKindTest, NamesRoundTripAsNotationSpellsThem) {
  for (const char* name : {"ca", "signingAuthority", "tsa"}) {
    auto kind = ParseX509StoreKind(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_EQ(X509StoreKindName(*kind), name);
  }
  EXPECT_FALSE(ParseX509StoreKind("CA").has_value());
  EXPECT_FALSE(ParseX509StoreKind("signingauthority").has_value());
}

// --- Symlinks ---

TEST_F(TrustStoreTest, RefusesASymlinkedKeyFile) {
  Populate();
  ASSERT_EQ(symlink((std::string(PULLSENTRY_FIXTURES_DIR) + "/crypto/p384.pub.pem").c_str(), Path("keys/other.pub").c_str()), 0);
  EXPECT_EQ(Refusal(), "trust store " + Path("keys/other.pub") +
                           " is a symbolic link: put the file or directory itself there (the trust store follows no "
                           "symlinks)");
}

TEST_F(TrustStoreTest, RefusesADanglingSymlink) {
  Populate();
  ASSERT_EQ(symlink("/nonexistent", Path("keys/other.pub").c_str()), 0);
  EXPECT_NE(Refusal().find("keys/other.pub is a symbolic link"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesASymlinkedKeysDirectory) {
  Write("elsewhere/team.pub", Fixture("crypto/p256.pub.pem"));
  ASSERT_EQ(symlink(Path("elsewhere").c_str(), Path("keys").c_str()), 0);
  EXPECT_NE(Refusal().find("trust store " + Path("keys") + " is a symbolic link"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesASymlinkedX509StoreDirectory) {
  Populate();
  ASSERT_EQ(symlink(Path("x509/ca/acme").c_str(), Path("x509/ca/alias").c_str()), 0);
  EXPECT_NE(Refusal().find("trust store " + Path("x509/ca/alias") + " is a symbolic link"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesASymlinkedCertificateAndTrustedRoot) {
  Populate();
  ASSERT_EQ(symlink("root-ca.pem", Path("x509/ca/acme/again.pem").c_str()), 0);
  EXPECT_NE(Refusal().find(Path("x509/ca/acme/again.pem") + " is a symbolic link"), std::string::npos);
  ASSERT_EQ(unlink(Path("x509/ca/acme/again.pem").c_str()), 0);
  ASSERT_EQ(symlink("public-good.json", Path("sigstore/again.json").c_str()), 0);
  EXPECT_NE(Refusal().find(Path("sigstore/again.json") + " is a symbolic link"), std::string::npos);
}

TEST_F(TrustStoreTest, FollowsASymlinkedRoot) {
  Populate();
  std::string link = base_ + "/link";
  ASSERT_EQ(symlink(root_.c_str(), link.c_str()), 0);
  auto store = TrustStore::Open(link);
  ASSERT_TRUE(store.ok()) << store.status();
  // Paths keep the name the operator gave.
  EXPECT_EQ((*store)->Key("team")->source, link + "/keys/team.pub");
}

TEST_F(TrustStoreTest, KeepsARelativeRootAsGiven) {
  Populate();
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(base_.c_str()), 0);
  auto store = TrustStore::Open("store/");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->root(), "store");
  EXPECT_EQ((*store)->Key("team")->source, "store/keys/team.pub");
}

// --- Who may write ---

TEST_F(TrustStoreTest, RefusesAWorldWritableFile) {
  Populate();
  ASSERT_EQ(chmod(Path("keys/team.pub").c_str(), 0666), 0);
  EXPECT_EQ(Refusal(), "trust store " + Path("keys/team.pub") + " is world-writable (mode 0666): chmod o-w it");
}

TEST_F(TrustStoreTest, RefusesAWorldWritableDirectory) {
  Populate();
  ASSERT_EQ(chmod(Path("x509/ca/acme").c_str(), 0777), 0);
  EXPECT_EQ(Refusal(), "trust store " + Path("x509/ca/acme") + " is world-writable (mode 0777): chmod o-w it");
}

TEST_F(TrustStoreTest, RefusesAWorldWritableRoot) {
  Populate();
  ASSERT_EQ(chmod(root_.c_str(), 01777), 0);
  EXPECT_EQ(Refusal(), "trust store " + root_ + " is world-writable (mode 1777): chmod o-w it");
}

TEST_F(TrustStoreTest, RefusesGroupWritableUnlessTheGroupIsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Populate();
  ASSERT_EQ(chmod(Path("keys/team.pub").c_str(), 0664), 0);
  ASSERT_EQ(chown(Path("keys/team.pub").c_str(), 0, 0), 0);
  ASSERT_TRUE(Open().ok());
  ASSERT_EQ(chown(Path("keys/team.pub").c_str(), 0, 100), 0);
  EXPECT_EQ(Refusal(),
            "trust store " + Path("keys/team.pub") + " is group-writable with group 100, not root (mode 0664): chmod g-w it");
  ASSERT_EQ(chown(Path("keys").c_str(), 0, 100), 0);
  ASSERT_EQ(chmod(Path("keys").c_str(), 0775), 0);
  EXPECT_NE(Refusal().find(Path("keys") + " is group-writable with group 100"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesFilesOwnedByAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Populate();
  ASSERT_EQ(chown(Path("sigstore/public-good.json").c_str(), 1000, 0), 0);
  EXPECT_EQ(Refusal(), "trust store " + Path("sigstore/public-good.json") +
                           " is owned by uid 1000, neither root nor this process's user: chown root it");
}

// --- What is not a regular file ---

TEST_F(TrustStoreTest, RefusesAFifo) {
  Populate();
  ASSERT_EQ(mkfifo(Path("keys/pipe.pub").c_str(), 0644), 0);
  EXPECT_EQ(Refusal(), "trust store " + Path("keys/pipe.pub") +
                           " is a fifo, not a regular file: move it out of the trust store");
}

TEST_F(TrustStoreTest, RefusesADevice) {
  Populate();
  if (mknod(Path("x509/ca/acme/null.pem").c_str(), S_IFCHR | 0644, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here";
  }
  EXPECT_NE(Refusal().find(Path("x509/ca/acme/null.pem") + " is a character device, not a regular file"),
            std::string::npos);
}

TEST_F(TrustStoreTest, RefusesASocket) {
  Populate();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = Path("sigstore/sock.json");
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
  EXPECT_NE(Refusal().find(path + " is a socket, not a regular file"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesAFileWhereADirectoryBelongs) {
  Write("keys", "a file");
  EXPECT_EQ(Refusal(), "trust store " + Path("keys") + " is a regular file, not a directory: move it out of the trust store");
}

TEST_F(TrustStoreTest, RefusesADirectoryWhereAFileBelongs) {
  Populate();
  Dir("keys/nested.pub");
  EXPECT_NE(Refusal().find(Path("keys/nested.pub") + " is a directory, not a regular file"), std::string::npos);
}

// --- Size and count bounds ---

TEST_F(TrustStoreTest, RefusesAnOversizeKey) {
  Populate();
  Write("keys/big.pub", Fixture("crypto/p256.pub.pem") + std::string(kMaxTrustStoreKeyBytes, '\n'));
  EXPECT_EQ(Refusal(), "trust store " + Path("keys/big.pub") + " is larger than the 65536 bytes allowed for a key file: "
                                                               "is it the right file?");
}

TEST_F(TrustStoreTest, RefusesAnOversizeCertificateFileAndTrustedRoot) {
  Populate();
  Write("x509/tsa/timestamps/big.pem", "");
  ASSERT_EQ(truncate(Path("x509/tsa/timestamps/big.pem").c_str(), kMaxTrustStoreCertFileBytes + 1), 0);
  EXPECT_NE(Refusal().find("big.pem is larger than the 1048576 bytes allowed for a certificate file"), std::string::npos);
  ASSERT_EQ(unlink(Path("x509/tsa/timestamps/big.pem").c_str()), 0);
  Write("sigstore/big.json", "");
  ASSERT_EQ(truncate(Path("sigstore/big.json").c_str(), kMaxTrustedRootBytes + 1), 0);
  EXPECT_NE(Refusal().find("big.json is larger than the 8388608 bytes allowed for a trusted root"), std::string::npos);
}

TEST_F(TrustStoreTest, AcceptsFilesAtTheirSizeBound) {
  Populate();
  std::string json = Fixture("truststore/trusted_root.json");
  json.resize(kMaxTrustedRootBytes - 1, ' ');
  json += "\n";
  Write("sigstore/padded.json", json);
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
}

TEST_F(TrustStoreTest, RefusesTooManyEntries) {
  Populate();
  // Hidden entries are skipped, but still count.
  for (size_t i = 0; i < kMaxTrustStoreEntries; ++i) Write("keys/.junk" + std::to_string(i), "");
  EXPECT_EQ(Refusal(), "trust store " + root_ + " holds more than 4096 entries under keys/, x509/ and sigstore/: remove "
                                                "unused ones");
}

// --- Contents ---

TEST_F(TrustStoreTest, RefusesAKeyThatIsNotAPublicKey) {
  Populate();
  Write("keys/bad.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  EXPECT_NE(Refusal().find(Path("keys/bad.pub") + " is not a usable public key: "), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesAKeyTooWeakToTrust) {
  Populate();
  Write("keys/old.pub", Fixture("crypto/rsa1024.pub.pem"));
  EXPECT_NE(Refusal().find(Path("keys/old.pub") + " is not a usable public key: "), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesAKeyFileWithoutThePubSuffix) {
  Populate();
  Write("keys/team.pem", Fixture("crypto/p256.pub.pem"));
  EXPECT_EQ(Refusal(), "trust store " + Path("keys/team.pem") +
                           " is not named <name>.pub (letters, digits, '.', '_', '-'): rename it, or move it out of "
                           "keys/");
}

TEST_F(TrustStoreTest, RefusesADoublePubSuffixThatNoNameCouldReach) {
  Populate();
  Write("keys/team.pub.pub", Fixture("crypto/p256.pub.pem"));
  EXPECT_NE(Refusal().find("team.pub.pub is not named <name>.pub"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesCertificateFilesThatDoNotParse) {
  Populate();
  struct Case {
    const char* content;
    const char* expect;
  } cases[] = {
      {"just text\n", "neither PEM nor a DER certificate"},
      {"notes about -----BEGIN CERTIFICATE----- without a block\n", "holds no PEM certificate"},
      {"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "malformed PEM"},
      {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificate 1 does not parse"},
      {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
       "holds a PEM block \"PRIVATE KEY\" where only CERTIFICATE blocks belong (a private key: remove it from the "
       "trust store)"},
  };
  for (const Case& c : cases) {
    Write("x509/ca/acme/extra.pem", c.content);
    std::string why = Refusal();
    EXPECT_NE(why.find(Path("x509/ca/acme/extra.pem") + " is not a certificate file: "), std::string::npos) << why;
    EXPECT_NE(why.find(c.expect), std::string::npos) << why;
  }
}

TEST_F(TrustStoreTest, RefusesAGoodCertificateFollowedByABrokenOne) {
  Populate();
  Write("x509/ca/acme/extra.pem",
        Fixture("truststore/root-ca.pem") + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  EXPECT_NE(Refusal().find("certificate 2 does not parse"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesDerWithTrailingBytes) {
  Populate();
  Write("x509/signingAuthority/acme-signers/signing.cer", Fixture("truststore/signing.der") + "x");
  EXPECT_NE(Refusal().find("DER certificate followed by trailing bytes"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesAnEmptyX509Store) {
  Populate();
  Dir("x509/tsa/empty");
  EXPECT_EQ(Refusal(), "trust store " + Path("x509/tsa/empty") +
                           " holds no certificate files: add the certificates or remove the directory");
}

TEST_F(TrustStoreTest, RefusesAnUnknownX509Kind) {
  Populate();
  Dir("x509/roots/acme");
  EXPECT_NE(Refusal().find(Path("x509/roots") + " is not a store type"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesCertificatesOutsideANamedStore) {
  Populate();
  Write("x509/ca/root-ca.pem", Fixture("truststore/root-ca.pem"));
  EXPECT_EQ(Refusal(), "trust store " + Path("x509/ca/root-ca.pem") +
                           " is a file: certificates go in x509/ca/<store name>/, one directory per store");
}

TEST_F(TrustStoreTest, RefusesOtherFilesInAStore) {
  Populate();
  Write("x509/ca/acme/README", "notes");
  EXPECT_NE(Refusal().find("README is not named <name>.pem, .crt or .cer"), std::string::npos);
}

TEST_F(TrustStoreTest, RefusesATrustedRootThatIsNotAJsonObject) {
  Populate();
  Write("sigstore/broken.json", "{\"mediaType\": ");
  EXPECT_NE(Refusal().find(Path("sigstore/broken.json") + " is not valid JSON: "), std::string::npos);
  Write("sigstore/broken.json", "[]");
  EXPECT_EQ(Refusal(), "trust store " + Path("sigstore/broken.json") + " is not a Sigstore trusted root: not a JSON object");
  Write("sigstore/broken.json", "{\"a\": 1, \"a\": 2}");
  EXPECT_NE(Refusal().find("is not valid JSON"), std::string::npos);
}

// --- Hash ---

TEST_F(TrustStoreTest, HashIsStableWhenNothingChanges) {
  Populate();
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status();
  // Rewriting the same bytes (new mtime, new inode) changes nothing.
  Write("keys/team.pub", Fixture("crypto/p256.pub.pem"));
  auto b = Open();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->Hash(), (*b)->Hash());
  EXPECT_TRUE((*a)->Hash().starts_with("sha256:")) << (*a)->Hash();
}

TEST_F(TrustStoreTest, HashDoesNotDependOnWhereTheRootIs) {
  Populate();
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status();
  std::filesystem::rename(root_, base_ + "/moved");
  auto b = TrustStore::Open(base_ + "/moved");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->Hash(), (*b)->Hash());
}

TEST_F(TrustStoreTest, HashChangesWhenAnyFileChangesOrIsAddedOrRenamed) {
  Populate();
  auto base = Open();
  ASSERT_TRUE(base.ok()) << base.status();
  std::string before = (*base)->Hash();
  auto hash_now = [&] {
    auto s = Open();
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? (*s)->Hash() : std::string();
  };

  Write("keys/team.pub", Fixture("crypto/p384.pub.pem"));  // another key behind the same name
  EXPECT_NE(hash_now(), before);
  Write("keys/team.pub", Fixture("crypto/p256.pub.pem"));
  EXPECT_EQ(hash_now(), before);

  std::filesystem::rename(Path("keys/release.pub"), Path("keys/release2.pub"));  // same bytes, other name
  EXPECT_NE(hash_now(), before);
  std::filesystem::rename(Path("keys/release2.pub"), Path("keys/release.pub"));
  EXPECT_EQ(hash_now(), before);

  Write("x509/ca/acme/root-ca.pem", Fixture("truststore/tsa.pem"));
  EXPECT_NE(hash_now(), before);
  Write("x509/ca/acme/root-ca.pem", Fixture("truststore/root-ca.pem"));

  Write("sigstore/public-good.json", Fixture("truststore/trusted_root.json") + " ");
  EXPECT_NE(hash_now(), before);
  Write("sigstore/public-good.json", Fixture("truststore/trusted_root.json"));

  Write("x509/tsa/other/tsa.pem", Fixture("truststore/tsa.pem"));
  EXPECT_NE(hash_now(), before);
}

// --- Use by the native policy ---

TEST_F(TrustStoreTest, NativePolicyKeysResolveThroughTheStore) {
  Populate();
  std::string json = R"({"version":1,"default":{"require":"k"},
                         "verifiers":{"k":{"type":"cosignKey","keys":["team","release.pub"]}}})";
  NativePolicyOptions options;
  options.trust_store_dir = root_;
  auto by_dir = NativePolicy::Parse(json, options);
  ASSERT_TRUE(by_dir.ok()) << by_dir.status();
  const auto& keys = (*by_dir)->verifiers().at("k")->keys;
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].source, Path("keys/team.pub"));
  EXPECT_EQ(keys[1].source, Path("keys/release.pub"));

  // A store passed in is used as it is: the directory is not read again.
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  std::filesystem::remove_all(root_);
  options.trust_store = *store;
  auto by_store = NativePolicy::Parse(json, options);
  ASSERT_TRUE(by_store.ok()) << by_store.status();
  EXPECT_EQ((*by_store)->Hash(), (*by_dir)->Hash());
}

TEST_F(TrustStoreTest, NativePolicyReportsMissingKeysAndUnloadableStoresAtThePointer) {
  Populate();
  NativePolicyOptions options;
  options.trust_store_dir = root_;
  auto missing = NativePolicy::Parse(
      R"({"version":1,"default":{"require":"k"},"verifiers":{"k":{"type":"cosignKey","keys":["nobody"]}}})", options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message())
                .find("/verifiers/k/keys/0 (line 1, column 85): trust store has no key \"nobody\": expected " +
                      Path("keys/nobody.pub")),
            std::string::npos)
      << missing.status();

  ASSERT_EQ(chmod(Path("keys/release.pub").c_str(), 0666), 0);
  auto unsafe = NativePolicy::Parse(
      R"({"version":1,"default":{"require":"k"},"verifiers":{"k":{"type":"cosignKey","keys":["team"]}}})", options);
  ASSERT_FALSE(unsafe.ok());
  EXPECT_NE(std::string(unsafe.status().message()).find(Path("keys/release.pub") + " is world-writable"),
            std::string::npos)
      << unsafe.status();
}

}  // namespace
}  // namespace pullsentry::trust
