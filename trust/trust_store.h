// The trust store: the public keys, X.509 certificate stores and Sigstore
// trusted roots that a policy refers to by name, kept in one directory tree
// (default /etc/pullsentry; trust/trust_store.md is the operator's view):
//
//   <root>/keys/<name>.pub                          PEM public keys (cosign)
//   <root>/x509/{ca,signingAuthority,tsa}/<store>/  Notation-style X.509 stores:
//       *.pem, *.crt, *.cer                         PEM (one or more) or DER
//   <root>/sigstore/<name>.json                     Sigstore trusted roots
//
// Open loads everything under keys/, x509/ and sigstore/ eagerly and checks
// it whole: a TrustStore that exists has only parsed keys, parsed
// certificates and well-formed JSON, and nothing in it was reached through a
// symlink, was writable by anyone but root (or the daemon's own user), or was
// anything but a regular file or a directory. Other entries of the root
// (policy.json, …) are not looked at. Immutable after Open: all methods are
// const and thread-safe.
#ifndef PULLSENTRY_TRUST_TRUST_STORE_H_
#define PULLSENTRY_TRUST_TRUST_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "trust/containers_policy.h"
#include "verify/crypto/ossl_ptr.h"

namespace pullsentry::trust {

inline constexpr char kDefaultTrustStoreRoot[] = "/etc/pullsentry";

// Bounds on the trust store, all in one place.
inline constexpr size_t kMaxTrustStoreKeyBytes = kMaxKeyFileBytes;    // 64 KiB, as for keyPath files
inline constexpr size_t kMaxTrustStoreCertFileBytes = 1u << 20;       // per certificate file
inline constexpr size_t kMaxTrustedRootBytes = 8u << 20;              // per Sigstore trusted root
inline constexpr size_t kMaxTrustStoreEntries = 4096;                 // directory entries, all directories
inline constexpr size_t kMaxTrustStoreBytes = 64u << 20;              // all files together
inline constexpr size_t kMaxTrustStoreNameLength = 128;               // key, store and root names
inline constexpr size_t kMaxCertificatesPerFile = 64;
inline constexpr size_t kMaxTrustedRootJsonDepth = 32;

// The three kinds of Notation X.509 trust store (notation's
// specs/trust-store-trust-policy.md: "ca", "signingAuthority", "tsa").
enum class X509StoreKind { kCA, kSigningAuthority, kTSA };
std::string_view X509StoreKindName(X509StoreKind kind);  // "ca", "signingAuthority", "tsa"
// The inverse of X509StoreKindName, exactly as spelt there.
std::optional<X509StoreKind> ParseX509StoreKind(std::string_view name);

struct TrustedCertificate {
  std::string path;  // the file it came from
  crypto::X509Ptr cert;
};

// One named X.509 store: x509/<kind>/<name>/.
struct X509CertStore {
  X509StoreKind kind = X509StoreKind::kCA;
  std::string name;
  std::string path;  // the directory
  // In file-name order, then in order within each file; never empty.
  std::vector<TrustedCertificate> certificates;

  // New owning references (X509_up_ref) to the certificates, in the same
  // order, e.g. to add to an X509_STORE.
  std::vector<crypto::X509Ptr> CopyCertificates() const;
};

// One Sigstore trusted root: sigstore/<name>.json. Only checked to be a JSON
// object for now; it is parsed when keyless verification arrives.
struct SigstoreTrustedRoot {
  std::string name;
  std::string path;
  std::string bytes;   // the file, as read
  std::string digest;  // "sha256:<hex>" of bytes
};

class TrustStore {
 public:
  // Loads the store under `root`, a path kept as given: paths in errors,
  // NamedKey::source, Files() and Directories() start with it, and a
  // relative root is relative to the working directory at Open. The root
  // itself may be reached through symlinks — it is the operator's choice of
  // path — but must be a directory that passes the same ownership and mode
  // checks as everything beneath it;
  // every entry beneath is opened relative to its parent's descriptor with
  // O_NOFOLLOW and checked on the open descriptor (fstat), so what is checked
  // is what is read.
  //
  // NotFound when `root` does not exist. keys/, x509/, sigstore/ and the
  // kind directories of x509/ are optional. Otherwise InvalidArgument with
  // one line naming the path and what to do, e.g.
  //   trust store /etc/pullsentry/keys/team.pub is world-writable (mode 0666): chmod o-w it
  // for: a symlink; a file or directory that is world-writable, group-writable
  // with a group other than root (gid 0), or owned by a user other than root
  // or the effective user of this process; anything but a regular file or
  // directory; a file over its size bound; more than kMaxTrustStoreEntries
  // entries or kMaxTrustStoreBytes bytes; a name that is not a valid name or
  // lacks the suffix its directory requires; an unknown x509/ kind; an empty
  // X.509 store; a key that PublicKey::FromPem refuses; a certificate file
  // with no certificate, with a PEM block that is not a CERTIFICATE, or that
  // OpenSSL cannot parse; a trusted root that is not a JSON object.
  // Entries whose names start with "." (editor swap files, …) are skipped.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> Open(const std::string& root);

  // The key keys/<name>.pub. `name` may be written with or without the
  // ".pub" suffix: "team" and "team.pub" both mean keys/team.pub. The
  // NamedKey's source is the file's path. NotFound naming the expected path
  // when there is no such key; InvalidArgument when `name` is not a name
  // (letters, digits, '.', '_', '-'; not starting with '.'; at most
  // kMaxTrustStoreNameLength).
  absl::StatusOr<NamedKey> Key(std::string_view name) const;

  // The store x509/<kind>/<name>/. Errors as for Key.
  absl::StatusOr<std::shared_ptr<const X509CertStore>> X509Store(X509StoreKind kind, std::string_view name) const;

  // The trusted root sigstore/<name>.json; `name` may carry the ".json"
  // suffix. Errors as for Key.
  absl::StatusOr<std::shared_ptr<const SigstoreTrustedRoot>> TrustedRoot(std::string_view name) const;

  // "sha256:<hex>" over the sorted relative paths and content digests of
  // every file loaded: equal hashes mean equal trust material. Verdict caches
  // key on it together with the policy's hash.
  const std::string& Hash() const { return hash_; }

  // Paths of every file read, sorted; under root() as given.
  const std::vector<std::string>& Files() const { return files_; }
  // Paths of every directory listed, the root first: watching them
  // catches files added or removed, which Files() cannot.
  const std::vector<std::string>& Directories() const { return directories_; }

  const std::string& root() const { return root_; }
  // Names, sorted: keys without ".pub", stores, roots without ".json".
  std::vector<std::string> KeyNames() const;
  std::vector<std::string> X509StoreNames(X509StoreKind kind) const;
  std::vector<std::string> TrustedRootNames() const;

 private:
  friend class TrustStoreLoader;
  TrustStore() = default;

  std::string root_;
  std::map<std::string, NamedKey, std::less<>> keys_;
  std::map<X509StoreKind, std::map<std::string, std::shared_ptr<const X509CertStore>, std::less<>>> x509_;
  std::map<std::string, std::shared_ptr<const SigstoreTrustedRoot>, std::less<>> roots_;
  std::string hash_;
  std::vector<std::string> files_;
  std::vector<std::string> directories_;
};

}  // namespace pullsentry::trust

#endif  // PULLSENTRY_TRUST_TRUST_STORE_H_
