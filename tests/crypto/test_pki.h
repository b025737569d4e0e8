// Test PKI and file helpers for the certificate and keystore unit tests: everything is generated
// at test time in temporary directories.
#pragma once

#include <fmt/format.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/ossl_interop.h"
#include "crypto/x509.h"

namespace vtps::crypto::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vtps-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline unsigned fileMode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// Every file under `dir`: relative path -> mode and content. Equal snapshots mean the tree is
// byte-for-byte unchanged.
inline std::map<std::string, std::pair<unsigned, std::string>> snapshot(const std::string& dir) {
  std::map<std::string, std::pair<unsigned, std::string>> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::string rel = std::filesystem::relative(entry.path(), dir).string();
    if (entry.is_directory()) {
      out[rel + "/"] = {fileMode(entry.path().string()), ""};
    } else {
      out[rel] = {fileMode(entry.path().string()), readFile(entry.path().string())};
    }
  }
  return out;
}

inline PrivateKey ecKey() {
  return PrivateKey::generate(KeySpec::parse("ec:prime256v1").value()).value();
}

inline SubjectFields subjectCn(const std::string& cn) {
  SubjectFields s;
  s.cn = cn;
  return s;
}

inline Certificate selfSignedCa(const std::string& cn, const PrivateKey& key, int days = 30) {
  return createSelfSignedCa(subjectCn(cn), key, Validity::days(days)).value();
}

// A certificate for `subject_key` issued by `issuer`, with explicit validity.
inline Certificate issue(const Certificate& issuer, const PrivateKey& issuer_key,
                         const PrivateKey& subject_key, const std::string& cn, bool ca,
                         Validity validity, const std::vector<std::string>& dns = {}) {
  ossl::X509Ptr x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  auto serial = randomSerial().value();
  X509_set_serialNumber(x.get(), serial.get());
  SubjectFields s = subjectCn(cn);
  s.dns_names = dns;
  auto name = buildX509Name(s).value();
  X509_set_subject_name(x.get(), name.get());
  X509_set_issuer_name(x.get(), X509_get_subject_name(raw(issuer)));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(validity.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(validity.not_after));
  X509_set_pubkey(x.get(), raw(subject_key));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, raw(issuer), x.get(), nullptr, nullptr, 0);
  auto bc =
      makeExtension(&ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE").value();
  X509_add_ext(x.get(), bc.get(), -1);
  auto san = subjectAltNameExtension(s).value();
  if (san) X509_add_ext(x.get(), san.get(), -1);
  X509_sign(x.get(), raw(issuer_key), EVP_sha256());
  return wrapCertificate(std::move(x));
}

inline Validity validFor(int64_t from_offset_s, int64_t to_offset_s) {
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  return Validity{now + from_offset_s, now + to_offset_s};
}

// Traditional (PKCS#1 / SEC1) PEM, optionally encrypted the legacy way (Proc-Type header).
inline std::string traditionalPem(const PrivateKey& key, const std::string& password = {}) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  std::string pw = password;
  PEM_write_bio_PrivateKey_traditional(
      bio.get(), raw(key), password.empty() ? nullptr : EVP_aes_256_cbc(),
      password.empty() ? nullptr : reinterpret_cast<unsigned char*>(pw.data()),
      static_cast<int>(pw.size()), nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

inline std::string pkcs8Pem(const PrivateKey& key) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PKCS8PrivateKey(bio.get(), raw(key), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Encrypted PKCS#8 DER.
inline std::string encryptedPkcs8Der(const PrivateKey& key, const std::string& password) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  i2d_PKCS8PrivateKey_bio(bio.get(), raw(key), EVP_aes_256_cbc(), password.c_str(),
                          static_cast<int>(password.size()), nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

struct P12Entry {
  Certificate cert;
  std::optional<PrivateKey> key;
  std::string alias;
};

// A PKCS#12 file with several key/certificate pairs (PKCS12_create holds only one), each pair
// tied by localKeyID and carrying its friendlyName, MAC'ed with SHA-256.
inline std::string multiPkcs12(const std::vector<P12Entry>& entries, const std::string& password) {
  STACK_OF(PKCS12_SAFEBAG)* certs = nullptr;
  STACK_OF(PKCS12_SAFEBAG)* keys = nullptr;
  int id = 0;
  for (const auto& e : entries) {
    unsigned char keyid[4] = {0, 0, 0, static_cast<unsigned char>(++id)};
    PKCS12_SAFEBAG* cb = PKCS12_add_cert(&certs, raw(e.cert));
    if (!e.alias.empty()) PKCS12_add_friendlyname(cb, e.alias.c_str(), -1);
    if (e.key) {
      PKCS12_add_localkeyid(cb, keyid, sizeof keyid);
      PKCS12_SAFEBAG* kb = PKCS12_add_key(&keys, raw(*e.key), 0, PKCS12_DEFAULT_ITER,
                                          NID_aes_256_cbc, password.c_str());
      PKCS12_add_localkeyid(kb, keyid, sizeof keyid);
    }
  }
  STACK_OF(PKCS7)* safes = nullptr;
  PKCS12_add_safe(&safes, certs, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, password.c_str());
  if (keys != nullptr) PKCS12_add_safe(&safes, keys, -1, 0, nullptr);
  ossl::Pkcs12Ptr p12(PKCS12_add_safes(safes, 0));
  PKCS12_set_mac(p12.get(), password.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER, EVP_sha256());
  sk_PKCS12_SAFEBAG_pop_free(certs, PKCS12_SAFEBAG_free);
  sk_PKCS12_SAFEBAG_pop_free(keys, PKCS12_SAFEBAG_free);
  sk_PKCS7_pop_free(safes, PKCS7_free);
  unsigned char* der = nullptr;
  int len = i2d_PKCS12(p12.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace vtps::crypto::testing
