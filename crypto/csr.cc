#include "crypto/csr.h"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <climits>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

CertificateRequest wrapRequest(ossl::X509ReqPtr req) {
  auto impl = std::make_shared<CertificateRequest::Impl>();
  impl->req = std::move(req);
  return CertificateRequest::fromImpl(std::move(impl));
}

ossl::X509ExtensionStackPtr requestedExtensions(X509_REQ* req) {
  ossl::X509ExtensionStackPtr exts(X509_REQ_get_extensions(req));
  ERR_clear_error();
  return exts;
}

Result<ossl::X509ExtensionStackPtr> extensionsFor(const SubjectFields& subject, bool signing) {
  ossl::X509ExtensionStackPtr exts(sk_X509_EXTENSION_new_null());
  if (!exts) return ossl::error("build request extensions");
  auto push = [&](ossl::X509ExtensionPtr ext) -> Status {
    if (sk_X509_EXTENSION_push(exts.get(), ext.get()) == 0) {
      return ossl::error("build request extensions");
    }
    ext.release();  // now owned by `exts`
    return {};
  };
  if (signing) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, nullptr, nullptr, nullptr, nullptr, 0);
    auto bc = makeExtension(&ctx, NID_basic_constraints, "critical,CA:TRUE");
    if (!bc.ok()) return bc.error();
    VTPS_RETURN_IF_ERROR(push(std::move(bc.value())));
    auto ku = makeExtension(&ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!ku.ok()) return ku.error();
    VTPS_RETURN_IF_ERROR(push(std::move(ku.value())));
  }
  auto san = subjectAltNameExtension(subject);
  if (!san.ok()) return san.error();
  if (san.value()) VTPS_RETURN_IF_ERROR(push(std::move(san.value())));
  return exts;
}

}  // namespace

Result<CertificateRequest> CertificateRequest::create(const SubjectFields& subject,
                                                      const PrivateKey& key, bool signing) {
  auto name = buildX509Name(subject);
  if (!name.ok()) return name.error();
  auto exts = extensionsFor(subject, signing);
  if (!exts.ok()) return exts.error();
  ossl::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name->get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), raw(key)) != 1) {
    return ossl::error("create signing request");
  }
  if (sk_X509_EXTENSION_num(exts->get()) > 0 &&
      X509_REQ_add_extensions(req.get(), exts->get()) != 1) {
    return ossl::error("create signing request");
  }
  if (X509_REQ_sign(req.get(), raw(key), signatureDigestFor(key)) <= 0) {
    return ossl::error("sign signing request");
  }
  return wrapRequest(std::move(req));
}

Result<CertificateRequest> CertificateRequest::parsePem(std::string_view pem,
                                                        std::string_view source) {
  if (pem.size() > INT_MAX)
    return Error{fmt::format("parse signing request {}: too large", source)};
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl::error(fmt::format("parse signing request {}", source));
  ossl::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return ossl::error(fmt::format("parse signing request {}", source));
  return wrapRequest(std::move(req));
}

std::string CertificateRequest::toPem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), raw(*this)) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string CertificateRequest::subject() const {
  return nameToString(X509_REQ_get_subject_name(raw(*this)));
}

bool CertificateRequest::requestsCa() const {
  auto exts = requestedExtensions(raw(*this));
  if (!exts) return false;
  using BasicConstraintsPtr =
      std::unique_ptr<BASIC_CONSTRAINTS, ossl::Deleter<BASIC_CONSTRAINTS_free>>;
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509V3_get_d2i(exts.get(), NID_basic_constraints, nullptr, nullptr)));
  return bc && bc->ca != 0;
}

std::vector<std::string> CertificateRequest::dnsNames() const {
  std::vector<std::string> out;
  auto exts = requestedExtensions(raw(*this));
  if (!exts) return out;
  ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), i);
    if (gen->type != GEN_DNS) continue;
    const ASN1_STRING* s = gen->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

bool CertificateRequest::verifySignature() const {
  EVP_PKEY* pub = X509_REQ_get0_pubkey(raw(*this));
  bool ok = pub != nullptr && X509_REQ_verify(raw(*this), pub) == 1;
  ERR_clear_error();
  return ok;
}

std::string CertificateRequest::publicKeyDer() const {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(X509_REQ_get0_pubkey(raw(*this)), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace vtps::crypto
