// Loading the trust store (trust/trust_store.h, trust/trust_store.md).
#include "trust/trust_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "trust/strict_json.h"
#include "verify/crypto/digest.h"
#include "verify/crypto/public_key.h"

namespace pullsentry::trust {

namespace {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Debian's Abseil has its own string_view: StrCat and CHexEscape take this.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr std::string_view kKeySuffix = ".pub";
constexpr std::string_view kRootSuffix = ".json";

std::string ModeText(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string_view FileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a fifo";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// Letters, digits, '.', '_', '-'; not starting with '.' (so never "." or
// ".."); no '/'.
bool IsName(std::string_view s) {
  if (s.empty() || s.size() > kMaxTrustStoreNameLength || s.front() == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ShowName(std::string_view name) { return absl::StrCat("\"", absl::CHexEscape(Av(name.substr(0, 256))), "\""); }

absl::Status BadName(std::string_view what, std::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(ShowName(name), " is not a trust-store ", Av(what),
                                                 " name (letters, digits, '.', '_', '-'; not starting with '.'; at "
                                                 "most ",
                                                 kMaxTrustStoreNameLength, " characters)"));
}

std::string OpensslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Every PEM block must be a CERTIFICATE; DER when the bytes hold no PEM
// armour at all. The message names no file.
absl::StatusOr<std::vector<crypto::X509Ptr>> ParseCertificates(std::string_view bytes) {
  std::vector<crypto::X509Ptr> out;
  ERR_clear_error();
  if (bytes.find("-----BEGIN") == std::string_view::npos) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
    if (cert == nullptr) return absl::InvalidArgumentError(absl::StrCat("neither PEM nor a DER certificate: ", OpensslError()));
    if (p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
      return absl::InvalidArgumentError("DER certificate followed by trailing bytes");
    }
    out.push_back(std::move(cert));
    return out;
  }
  crypto::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      return absl::InvalidArgumentError(absl::StrCat("malformed PEM: ", OpensslError()));
    }
    struct Frees {
      char* name;
      char* header;
      unsigned char* data;
      ~Frees() {
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
      }
    } frees{name, header, data};
    if (std::string_view(name) != "CERTIFICATE") {
      return absl::InvalidArgumentError(absl::StrCat(
          "holds a PEM block \"", absl::CHexEscape(Av(std::string_view(name).substr(0, 64))),
          "\" where only CERTIFICATE blocks belong", std::string_view(name).find("PRIVATE") != std::string_view::npos
                                                         ? " (a private key: remove it from the trust store)"
                                                         : ""));
    }
    if (header[0] != '\0') return absl::InvalidArgumentError("PEM certificate must not carry headers");
    const unsigned char* p = data;
    crypto::X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (cert == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("certificate ", out.size() + 1, " does not parse: ", OpensslError()));
    }
    if (p != data + len) {
      return absl::InvalidArgumentError(absl::StrCat("certificate ", out.size() + 1, " has trailing bytes"));
    }
    if (out.size() >= kMaxCertificatesPerFile) {
      return absl::InvalidArgumentError(absl::StrCat("holds more than ", kMaxCertificatesPerFile, " certificates"));
    }
    out.push_back(std::move(cert));
  }
  if (out.empty()) return absl::InvalidArgumentError("holds no PEM certificate");
  return out;
}

template <typename Map>
std::vector<std::string> Names(const Map& map) {
  std::vector<std::string> out;
  for (const auto& [name, unused] : map) out.push_back(name);
  return out;
}

// `name` without `suffix` when it ends in it, else as is.
std::string_view StripSuffix(std::string_view name, std::string_view suffix) {
  if (name.size() > suffix.size() && name.ends_with(suffix)) name.remove_suffix(suffix.size());
  return name;
}

}  // namespace

std::string_view X509StoreKindName(X509StoreKind kind) {
  switch (kind) {
    case X509StoreKind::kCA:
      return "ca";
    case X509StoreKind::kSigningAuthority:
      return "signingAuthority";
    case X509StoreKind::kTSA:
      return "tsa";
  }
  return "ca";
}

std::optional<X509StoreKind> ParseX509StoreKind(std::string_view name) {
  for (X509StoreKind kind : {X509StoreKind::kCA, X509StoreKind::kSigningAuthority, X509StoreKind::kTSA}) {
    if (X509StoreKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::vector<crypto::X509Ptr> X509CertStore::CopyCertificates() const {
  std::vector<crypto::X509Ptr> out;
  out.reserve(certificates.size());
  for (const TrustedCertificate& c : certificates) {
    X509_up_ref(c.cert.get());
    out.emplace_back(c.cert.get());
  }
  return out;
}

class TrustStoreLoader {
 public:
  explicit TrustStoreLoader(std::string root) : store_(new TrustStore()) {
    while (root.size() > 1 && root.ends_with('/')) root.pop_back();
    store_->root_ = root;
  }

  absl::StatusOr<std::shared_ptr<const TrustStore>> Load() {
    const std::string& root = store_->root_;
    Fd dir(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) {
      int err = errno;
      if (err == ENOENT) return absl::NotFoundError(absl::StrCat("trust store ", root, " does not exist"));
      if (err == ENOTDIR) return Refuse(root, "is not a directory");
      return Refuse(root, absl::StrCat("cannot be opened: ", std::strerror(err)));
    }
    struct stat st {};
    if (fstat(dir.get(), &st) != 0) return Refuse(root, absl::StrCat("cannot be examined: ", std::strerror(errno)));
    if (absl::Status s = CheckWritable(root, st); !s.ok()) return s;
    store_->directories_.push_back(root);
    if (absl::Status s = LoadKeys(dir.get()); !s.ok()) return s;
    if (absl::Status s = LoadX509(dir.get()); !s.ok()) return s;
    if (absl::Status s = LoadTrustedRoots(dir.get()); !s.ok()) return s;

    std::string manifest = "pullsentry trust store v1\n";
    for (const auto& [rel, digest] : digests_) {
      absl::StrAppend(&manifest, rel, "\n", digest, "\n");
      store_->files_.push_back(absl::StrCat(root, "/", rel));
    }
    store_->hash_ = crypto::Sha256Digest(manifest);
    return std::shared_ptr<const TrustStore>(std::move(store_));
  }

 private:
  static absl::Status Refuse(const std::string& path, std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("trust store ", path, " ", Av(what)));
  }

  // Who may change it must be no one but root or us: a writable trust store
  // is a trust store anyone can add a key to.
  static absl::Status CheckWritable(const std::string& path, const struct stat& st) {
    std::string mode = ModeText(st.st_mode);
    if (st.st_mode & S_IWOTH) return Refuse(path, absl::StrCat("is world-writable (mode ", mode, "): chmod o-w it"));
    if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
      return Refuse(path, absl::StrCat("is group-writable with group ", st.st_gid, ", not root (mode ", mode,
                                       "): chmod g-w it"));
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
      return Refuse(path, absl::StrCat("is owned by uid ", st.st_uid, ", neither root nor this process's user: chown root it"));
    }
    return absl::OkStatus();
  }

  static absl::Status SymlinkRefused(const std::string& path) {
    return Refuse(path, "is a symbolic link: put the file or directory itself there (the trust store follows no symlinks)");
  }

  // Opens the directory `name` under `parent`. An invalid Fd when it does
  // not exist and `optional`.
  absl::StatusOr<Fd> OpenDir(int parent, const std::string& name, const std::string& path, bool optional) {
    struct stat lst {};
    if (fstatat(parent, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT && optional) return Fd();
      return Refuse(path, absl::StrCat("cannot be examined: ", std::strerror(errno)));
    }
    if (S_ISLNK(lst.st_mode)) return SymlinkRefused(path);
    if (!S_ISDIR(lst.st_mode)) {
      return Refuse(path, absl::StrCat("is ", Av(FileTypeName(lst.st_mode)), ", not a directory: move it out of the trust store"));
    }
    Fd fd(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ELOOP) return SymlinkRefused(path);
      return Refuse(path, absl::StrCat("cannot be opened: ", std::strerror(errno)));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return Refuse(path, absl::StrCat("cannot be examined: ", std::strerror(errno)));
    if (!S_ISDIR(st.st_mode)) return Refuse(path, "is not a directory");
    if (absl::Status s = CheckWritable(path, st); !s.ok()) return s;
    store_->directories_.push_back(path);
    return fd;
  }

  // The entries of the directory open at `dir`, sorted, without "." and
  // ".." and without hidden entries (which still count towards the bound).
  absl::StatusOr<std::vector<std::string>> List(int dir, const std::string& path) {
    int copy = dup(dir);
    if (copy < 0) return Refuse(path, absl::StrCat("cannot be listed: ", std::strerror(errno)));
    DIR* d = fdopendir(copy);
    if (d == nullptr) {
      int err = errno;
      close(copy);
      return Refuse(path, absl::StrCat("cannot be listed: ", std::strerror(err)));
    }
    rewinddir(d);
    struct Closer {
      DIR* d;
      ~Closer() { closedir(d); }
    } closer{d};
    std::vector<std::string> out;
    for (;;) {
      errno = 0;
      struct dirent* e = readdir(d);
      if (e == nullptr) {
        if (errno != 0) return Refuse(path, absl::StrCat("cannot be listed: ", std::strerror(errno)));
        break;
      }
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (++entries_ > kMaxTrustStoreEntries) {
        return Refuse(store_->root_, absl::StrCat("holds more than ", kMaxTrustStoreEntries,
                                                  " entries under keys/, x509/ and sigstore/: remove unused ones"));
      }
      if (name.front() == '.') continue;
      out.emplace_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Reads the regular file `name` under `dir`, checked on the descriptor it
  // is read through. `rel` is its path relative to the root.
  absl::StatusOr<std::string> Read(int dir, const std::string& name, const std::string& rel, size_t limit,
                                   std::string_view what) {
    std::string path = absl::StrCat(store_->root_, "/", rel);
    struct stat lst {};
    if (fstatat(dir, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) {
      return Refuse(path, absl::StrCat("cannot be examined: ", std::strerror(errno)));
    }
    if (S_ISLNK(lst.st_mode)) return SymlinkRefused(path);
    // Checked before opening too: opening a device can have effects.
    if (!S_ISREG(lst.st_mode)) {
      return Refuse(path, absl::StrCat("is ", Av(FileTypeName(lst.st_mode)), ", not a regular file: move it out of the trust store"));
    }
    // O_NONBLOCK: something swapped in for a fifo must not hang the daemon.
    Fd fd(openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ELOOP) return SymlinkRefused(path);
      return Refuse(path, absl::StrCat("cannot be opened: ", std::strerror(errno)));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return Refuse(path, absl::StrCat("cannot be examined: ", std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) {
      return Refuse(path, absl::StrCat("is ", Av(FileTypeName(st.st_mode)), ", not a regular file: move it out of the trust store"));
    }
    if (absl::Status s = CheckWritable(path, st); !s.ok()) return s;
    auto too_big = [&] {
      return Refuse(path, absl::StrCat("is larger than the ", limit, " bytes allowed for ", Av(what), ": is it the right file?"));
    };
    if (static_cast<uint64_t>(st.st_size) > limit) return too_big();
    std::string out(limit + 1, '\0');
    size_t got = 0;
    while (got < out.size()) {
      ssize_t n = read(fd.get(), out.data() + got, out.size() - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Refuse(path, absl::StrCat("cannot be read: ", std::strerror(errno)));
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (got > limit) return too_big();
    out.resize(got);
    bytes_ += got;
    if (bytes_ > kMaxTrustStoreBytes) {
      return Refuse(store_->root_, absl::StrCat("holds more than ", kMaxTrustStoreBytes,
                                                " bytes under keys/, x509/ and sigstore/: remove unused files"));
    }
    digests_[rel] = crypto::Sha256Digest(out);
    return out;
  }

  // keys/<name>.pub
  absl::Status LoadKeys(int root) {
    std::string dir_path = absl::StrCat(store_->root_, "/keys");
    auto dir = OpenDir(root, "keys", dir_path, /*optional=*/true);
    if (!dir.ok()) return dir.status();
    if (!dir->valid()) return absl::OkStatus();
    auto names = List(dir->get(), dir_path);
    if (!names.ok()) return names.status();
    for (const std::string& file : *names) {
      std::string rel = absl::StrCat("keys/", file);
      std::string path = absl::StrCat(store_->root_, "/", rel);
      std::string_view stem = StripSuffix(file, kKeySuffix);
      if (stem.size() == file.size() || !IsName(stem) || stem.ends_with(kKeySuffix)) {
        return Refuse(path, "is not named <name>.pub (letters, digits, '.', '_', '-'): rename it, or move it out of keys/");
      }
      auto pem = Read(dir->get(), file, rel, kMaxTrustStoreKeyBytes, "a key file");
      if (!pem.ok()) return pem.status();
      auto key = crypto::PublicKey::FromPem(*pem);
      if (!key.ok()) return Refuse(path, absl::StrCat("is not a usable public key: ", key.status().message()));
      store_->keys_.emplace(std::string(stem), NamedKey{path, std::move(*key)});
    }
    return absl::OkStatus();
  }

  // x509/<kind>/<store>/<file>.{pem,crt,cer}
  absl::Status LoadX509(int root) {
    std::string x509_path = absl::StrCat(store_->root_, "/x509");
    auto x509 = OpenDir(root, "x509", x509_path, /*optional=*/true);
    if (!x509.ok()) return x509.status();
    if (!x509->valid()) return absl::OkStatus();
    auto kinds = List(x509->get(), x509_path);
    if (!kinds.ok()) return kinds.status();
    for (const std::string& kind_name : *kinds) {
      std::string kind_path = absl::StrCat(x509_path, "/", kind_name);
      std::optional<X509StoreKind> kind = ParseX509StoreKind(kind_name);
      if (!kind.has_value()) {
        return Refuse(kind_path, "is not a store type: x509/ holds ca/, signingAuthority/ and tsa/ (Notation's "
                                 "trust store types)");
      }
      auto kind_dir = OpenDir(x509->get(), kind_name, kind_path, /*optional=*/false);
      if (!kind_dir.ok()) return kind_dir.status();
      auto stores = List(kind_dir->get(), kind_path);
      if (!stores.ok()) return stores.status();
      for (const std::string& store_name : *stores) {
        if (absl::Status s = LoadX509Store(*kind, kind_dir->get(), kind_name, store_name); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status LoadX509Store(X509StoreKind kind, int kind_dir, const std::string& kind_name,
                             const std::string& store_name) {
    std::string rel_dir = absl::StrCat("x509/", kind_name, "/", store_name);
    auto store = std::make_shared<X509CertStore>();
    store->kind = kind;
    store->name = store_name;
    store->path = absl::StrCat(store_->root_, "/", rel_dir);
    if (!IsName(store_name)) {
      return Refuse(store->path, "is not a valid store name (letters, digits, '.', '_', '-'): rename it");
    }
    struct stat lst {};
    if (fstatat(kind_dir, store_name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(lst.st_mode)) {
      return Refuse(store->path, absl::StrCat("is a file: certificates go in x509/", kind_name,
                                              "/<store name>/, one directory per store"));
    }
    auto dir = OpenDir(kind_dir, store_name, store->path, /*optional=*/false);
    if (!dir.ok()) return dir.status();
    auto files = List(dir->get(), store->path);
    if (!files.ok()) return files.status();
    for (const std::string& file : *files) {
      std::string rel = absl::StrCat(rel_dir, "/", file);
      std::string path = absl::StrCat(store_->root_, "/", rel);
      bool suffix_ok = file.ends_with(".pem") || file.ends_with(".crt") || file.ends_with(".cer");
      if (!suffix_ok || !IsName(file)) {
        return Refuse(path, "is not named <name>.pem, .crt or .cer (letters, digits, '.', '_', '-'): rename it, or "
                            "move it out of the store");
      }
      auto bytes = Read(dir->get(), file, rel, kMaxTrustStoreCertFileBytes, "a certificate file");
      if (!bytes.ok()) return bytes.status();
      auto certs = ParseCertificates(*bytes);
      if (!certs.ok()) return Refuse(path, absl::StrCat("is not a certificate file: ", certs.status().message()));
      for (crypto::X509Ptr& cert : *certs) store->certificates.push_back(TrustedCertificate{path, std::move(cert)});
    }
    if (store->certificates.empty()) {
      return Refuse(store->path, "holds no certificate files: add the certificates or remove the directory");
    }
    store_->x509_[kind].emplace(store_name, std::move(store));
    return absl::OkStatus();
  }

  // sigstore/<name>.json
  absl::Status LoadTrustedRoots(int root) {
    std::string dir_path = absl::StrCat(store_->root_, "/sigstore");
    auto dir = OpenDir(root, "sigstore", dir_path, /*optional=*/true);
    if (!dir.ok()) return dir.status();
    if (!dir->valid()) return absl::OkStatus();
    auto names = List(dir->get(), dir_path);
    if (!names.ok()) return names.status();
    for (const std::string& file : *names) {
      std::string rel = absl::StrCat("sigstore/", file);
      auto root_file = std::make_shared<SigstoreTrustedRoot>();
      root_file->path = absl::StrCat(store_->root_, "/", rel);
      std::string_view stem = StripSuffix(file, kRootSuffix);
      if (stem.size() == file.size() || !IsName(stem) || stem.ends_with(kRootSuffix)) {
        return Refuse(root_file->path,
                      "is not named <name>.json (letters, digits, '.', '_', '-'): rename it, or move it out of sigstore/");
      }
      auto bytes = Read(dir->get(), file, rel, kMaxTrustedRootBytes, "a trusted root");
      if (!bytes.ok()) return bytes.status();
      auto json = internal::ParseStrictJson(*bytes, kMaxTrustedRootJsonDepth);
      if (!json.ok()) return Refuse(root_file->path, absl::StrCat("is not valid JSON: ", json.status().message()));
      if (!json->is_object()) return Refuse(root_file->path, "is not a Sigstore trusted root: not a JSON object");
      root_file->name = std::string(stem);
      root_file->digest = digests_.at(rel);
      root_file->bytes = std::move(*bytes);
      store_->roots_.emplace(root_file->name, std::move(root_file));
    }
    return absl::OkStatus();
  }

  std::shared_ptr<TrustStore> store_;
  std::map<std::string, std::string> digests_;  // relative path → content digest
  size_t entries_ = 0;
  size_t bytes_ = 0;
};

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::Open(const std::string& root) {
  return TrustStoreLoader(root).Load();
}

absl::StatusOr<NamedKey> TrustStore::Key(std::string_view name) const {
  std::string_view stem = StripSuffix(name, kKeySuffix);
  if (!IsName(stem)) return BadName("key", name);
  auto it = keys_.find(stem);
  if (it == keys_.end()) {
    return absl::NotFoundError(
        absl::StrCat("trust store has no key ", ShowName(name), ": expected ", root_, "/keys/", Av(stem), Av(kKeySuffix)));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<const X509CertStore>> TrustStore::X509Store(X509StoreKind kind,
                                                                          std::string_view name) const {
  if (!IsName(name)) return BadName("X.509 store", name);
  if (auto k = x509_.find(kind); k != x509_.end()) {
    if (auto it = k->second.find(name); it != k->second.end()) return it->second;
  }
  return absl::NotFoundError(absl::StrCat("trust store has no X.509 ", Av(X509StoreKindName(kind)), " store ",
                                          ShowName(name), ": expected a directory of certificates ", root_, "/x509/",
                                          Av(X509StoreKindName(kind)), "/", Av(name)));
}

absl::StatusOr<std::shared_ptr<const SigstoreTrustedRoot>> TrustStore::TrustedRoot(std::string_view name) const {
  std::string_view stem = StripSuffix(name, kRootSuffix);
  if (!IsName(stem)) return BadName("trusted root", name);
  auto it = roots_.find(stem);
  if (it == roots_.end()) {
    return absl::NotFoundError(absl::StrCat("trust store has no Sigstore trusted root ", ShowName(name), ": expected ",
                                            root_, "/sigstore/", Av(stem), Av(kRootSuffix)));
  }
  return it->second;
}

std::vector<std::string> TrustStore::KeyNames() const { return Names(keys_); }

std::vector<std::string> TrustStore::X509StoreNames(X509StoreKind kind) const {
  auto it = x509_.find(kind);
  return it == x509_.end() ? std::vector<std::string>{} : Names(it->second);
}

std::vector<std::string> TrustStore::TrustedRootNames() const { return Names(roots_); }

}  // namespace pullsentry::trust
