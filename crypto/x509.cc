#include "crypto/x509.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>
#include <ctime>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

using GeneralNamesOwner = std::unique_ptr<GENERAL_NAMES, ossl::Deleter<GENERAL_NAMES_free>>;

struct OpensslBytesDeleter {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

int64_t toEpoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string asn1ToUtf8(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string commonNameOf(const X509_NAME* name) {
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  return asn1ToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
}

std::string serialHex(const ASN1_INTEGER* serial) {
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  ossl::OpensslStringPtr hex(BN_bn2hex(bn.get()));
  return hex ? std::string(hex.get()) : std::string();
}

std::string ipToString(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof buf) != nullptr) return buf;
  if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof buf) != nullptr) return buf;
  return "(invalid IP address)";
}

void collectSans(X509* x509, CertificateInfo& info) {
  GeneralNamesOwner names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), i);
    switch (gen->type) {
      case GEN_DNS:
        info.dns_names.push_back(asn1ToUtf8(gen->d.dNSName));
        break;
      case GEN_EMAIL:
        info.emails.push_back(asn1ToUtf8(gen->d.rfc822Name));
        break;
      case GEN_IPADD:
        info.ip_addresses.push_back(ipToString(gen->d.iPAddress));
        break;
      default:
        break;
    }
  }
}

bool looksLikePem(std::string_view bytes) {
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

// The certificate in one PEM block's DER body, or null for a block that is not a certificate.
Result<ossl::X509Ptr> certificateFromPemBlock(std::string_view name, const unsigned char* data,
                                              long len, std::string_view source) {
  const unsigned char* p = data;
  ossl::X509Ptr x509;
  if (name == PEM_STRING_X509 || name == PEM_STRING_X509_OLD) {
    x509.reset(d2i_X509(nullptr, &p, len));
  } else if (name == PEM_STRING_X509_TRUSTED) {
    x509.reset(d2i_X509_AUX(nullptr, &p, len));
  } else {
    return ossl::X509Ptr();
  }
  if (!x509) return ossl::error(fmt::format("parse certificate {}", source));
  return x509;
}

Result<std::vector<Certificate>> parsePemCertificates(std::string_view bytes,
                                                      std::string_view source) {
  ossl::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return ossl::error(fmt::format("parse certificate {}", source));
  std::vector<Certificate> out;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    int ok = PEM_read_bio(bio.get(), &name, &header, &data, &len);
    ossl::OpensslStringPtr name_owner(name);
    ossl::OpensslStringPtr header_owner(header);
    std::unique_ptr<unsigned char, OpensslBytesDeleter> data_owner(data);
    if (ok != 1) {
      unsigned long err = ERR_peek_last_error();
      if (ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      return ossl::error(fmt::format("parse certificate {}", source));
    }
    auto cert = certificateFromPemBlock(name, data, len, source);
    if (!cert.ok()) return cert.error();
    if (cert.value()) out.push_back(wrapCertificate(std::move(cert.value())));
  }
  if (out.empty()) {
    return Error{fmt::format("parse certificate {}: no CERTIFICATE block in PEM input", source)};
  }
  return out;
}

}  // namespace

Result<Certificate> Certificate::parseDer(std::string_view der, std::string_view source) {
  if (der.size() > INT_MAX) return Error{fmt::format("parse certificate {}: too large", source)};
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  ossl::X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509) {
    ERR_clear_error();
    return Error{fmt::format("parse certificate {}: not a PEM or DER certificate", source)};
  }
  if (p != begin + der.size()) {
    return Error{
        fmt::format("parse certificate {}: trailing bytes after the DER certificate", source)};
  }
  return wrapCertificate(std::move(x509));
}

Result<std::vector<Certificate>> Certificate::parseAll(std::string_view bytes,
                                                       std::string_view source) {
  if (bytes.empty()) return Error{fmt::format("parse certificate {}: file is empty", source)};
  if (bytes.size() > INT_MAX) return Error{fmt::format("parse certificate {}: too large", source)};
  if (looksLikePem(bytes)) return parsePemCertificates(bytes, source);
  auto one = parseDer(bytes, source);
  if (!one.ok()) return one.error();
  return std::vector<Certificate>{std::move(one.value())};
}

CertificateInfo Certificate::info() const {
  X509* x = raw(*this);
  CertificateInfo info;
  info.subject = nameToString(X509_get_subject_name(x));
  info.issuer = nameToString(X509_get_issuer_name(x));
  info.common_name = commonNameOf(X509_get_subject_name(x));
  info.serial = serialHex(X509_get0_serialNumber(x));
  info.key = describePublicKey(X509_get0_pubkey(x));
  info.not_before = notBefore();
  info.not_after = notAfter();
  collectSans(x, info);
  info.sha256_fingerprint = sha256Fingerprint();
  info.is_ca = isCa();
  info.self_signed = isSelfSigned();
  return info;
}

std::string Certificate::toPem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), raw(*this)) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string Certificate::toDer() const {
  unsigned char* der = nullptr;
  int len = i2d_X509(raw(*this), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::sha256Fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(raw(*this), EVP_sha256(), md, &len) != 1) return {};
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i != 0) out += ':';
    out += fmt::format("{:02X}", md[i]);
  }
  return out;
}

bool Certificate::isCa() const {
  return (X509_get_extension_flags(raw(*this)) & EXFLAG_CA) != 0;
}

bool Certificate::isSelfSigned() const {
  bool self = X509_self_signed(raw(*this), 1) == 1;
  ERR_clear_error();
  return self;
}

bool Certificate::isIssuedBy(const Certificate& issuer) const {
  if (X509_check_issued(raw(issuer), raw(*this)) != X509_V_OK) return false;
  EVP_PKEY* pub = X509_get0_pubkey(raw(issuer));
  bool ok = pub != nullptr && X509_verify(raw(*this), pub) == 1;
  ERR_clear_error();
  return ok;
}

int64_t Certificate::notBefore() const {
  return toEpoch(X509_get0_notBefore(raw(*this)));
}
int64_t Certificate::notAfter() const {
  return toEpoch(X509_get0_notAfter(raw(*this)));
}

bool Certificate::operator==(const Certificate& other) const {
  return X509_cmp(raw(*this), raw(other)) == 0;
}

bool keyMatchesCertificate(const PrivateKey& key, const Certificate& cert) {
  EVP_PKEY* pub = X509_get0_pubkey(raw(cert));
  bool match = pub != nullptr && EVP_PKEY_eq(pub, raw(key)) == 1;
  ERR_clear_error();
  return match;
}

std::vector<Certificate> buildChain(const Certificate& leaf, const std::vector<Certificate>& pool) {
  constexpr size_t kMaxDepth = 10;
  std::vector<Certificate> chain;
  const Certificate* current = &leaf;
  while (chain.size() < kMaxDepth && !current->isSelfSigned()) {
    const Certificate* next = nullptr;
    for (const auto& candidate : pool) {
      bool used = candidate == leaf;
      for (const auto& c : chain)
        used = used || c == candidate;
      if (!used && current->isIssuedBy(candidate)) {
        next = &candidate;
        break;
      }
    }
    if (next == nullptr) break;
    chain.push_back(*next);
    current = next;
  }
  return chain;
}

Validity Validity::days(int days) {
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  return Validity{now, now + static_cast<int64_t>(days) * 86400};
}

Result<Certificate> createSelfSignedCa(const SubjectFields& subject, const PrivateKey& key,
                                       const Validity& validity) {
  if (validity.not_after <= validity.not_before) {
    return Error{"create signing certificate: validity ends before it begins"};
  }
  auto name = buildX509Name(subject);
  if (!name.ok()) return name.error();
  auto serial = randomSerial();
  if (!serial.ok()) return serial.error();
  ossl::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(x.get(), serial->get()) != 1 ||
      X509_set_subject_name(x.get(), name->get()) != 1 ||
      X509_set_issuer_name(x.get(), name->get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(validity.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(validity.not_after)) ==
          nullptr ||
      X509_set_pubkey(x.get(), raw(key)) != 1) {
    return ossl::error("create signing certificate");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  // The subject key identifier goes in first: "keyid:always" reads it back for the AKI.
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : extensions) {
    auto ext = makeExtension(&ctx, nid, value);
    if (!ext.ok()) return ext.error();
    if (X509_add_ext(x.get(), ext->get(), -1) != 1)
      return ossl::error("create signing certificate");
  }
  auto san = subjectAltNameExtension(subject);
  if (!san.ok()) return san.error();
  if (san.value() && X509_add_ext(x.get(), san->get(), -1) != 1) {
    return ossl::error("create signing certificate");
  }
  if (X509_sign(x.get(), raw(key), signatureDigestFor(key)) <= 0) {
    return ossl::error("sign signing certificate");
  }
  return wrapCertificate(std::move(x));
}

std::string formatUtc(int64_t epoch_seconds) {
  auto t = static_cast<time_t>(epoch_seconds);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

Certificate wrapCertificate(ossl::X509Ptr x509) {
  auto impl = std::make_shared<Certificate::Impl>();
  impl->x509 = std::move(x509);
  return Certificate::fromImpl(std::move(impl));
}

Certificate shareCertificate(X509* x509) {
  X509_up_ref(x509);
  return wrapCertificate(ossl::X509Ptr(x509));
}

std::string nameToString(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<ossl::Asn1IntegerPtr> randomSerial() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return ossl::error("generate serial number");
  bytes[sizeof bytes - 1] |= 1;  // never zero, which RFC 5280 forbids
  ossl::BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn) return ossl::error("generate serial number");
  ossl::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return ossl::error("generate serial number");
  return serial;
}

}  // namespace vtps::crypto
