// Fixture access for verify/notation tests: the files written by
// tests/fixtures/notation/make_notation_fixtures.py.
#ifndef PULLSENTRY_VERIFY_NOTATION_TEST_UTIL_H_
#define PULLSENTRY_VERIFY_NOTATION_TEST_UTIL_H_

#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "verify/crypto/ossl_ptr.h"
#include "verify/notation/payload.h"

namespace pullsentry::notation::testing {

// 2026-01-01T00:00:00Z: inside every fixture certificate's validity except
// leaf_expired's, after expired_signature's expiry.
inline constexpr int64_t kNow = 1767225600;

inline std::string ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(PULLSENTRY_FIXTURES_DIR) + "/notation/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << relative;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline crypto::X509Ptr LoadCert(const std::string& name) {
  std::string pem = ReadFixture("certs/" + name + ".pem");
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_TRUE(cert) << name;
  return cert;
}

inline std::string CertDer(const std::string& name) {
  crypto::X509Ptr cert = LoadCert(name);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

inline std::vector<std::string> ChainDer(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(CertDer(n));
  return out;
}

inline std::vector<crypto::X509Ptr> Trusted(const std::vector<std::string>& names) {
  std::vector<crypto::X509Ptr> out;
  for (const auto& n : names) out.push_back(LoadCert(n));
  return out;
}

// The artifact the fixtures' good signatures are for.
inline Descriptor Artifact() {
  Descriptor d;
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  d.digest = "sha256:" + std::string(64, ' ');
  for (size_t i = 0; i < 64; i += 2) {
    d.digest[7 + i] = '4';
    d.digest[8 + i] = 'e';
  }
  d.size = 1234;
  return d;
}

}  // namespace pullsentry::notation::testing

#endif  // PULLSENTRY_VERIFY_NOTATION_TEST_UTIL_H_
