// libFuzzer target for certificate import: the bytes an operator hands `vtpsctl cert import` and
// `ca import` go through the PEM/DER certificate parser, the private key parser (with and without
// a password) and the PKCS#12 parser, and every certificate parsed is also described (info()) as
// `cert list` would.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "crypto/pkcs12.h"
#include "crypto/x509.h"

namespace {

void describeAll(const std::vector<vtps::crypto::Certificate>& certs) {
  for (const auto& c : certs) {
    vtps::crypto::CertificateInfo info = c.info();
    (void)info;
    (void)vtps::crypto::buildChain(c, certs);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto certs = vtps::crypto::Certificate::parseAll(bytes, "fuzz"); certs.ok()) {
    describeAll(certs.value());
  }
  (void)vtps::crypto::PrivateKey::parse(bytes, std::nullopt, "fuzz");
  (void)vtps::crypto::PrivateKey::parse(bytes, std::string("password"), "fuzz");
  if (auto p12 = vtps::crypto::parsePkcs12(bytes, "password", "fuzz"); p12.ok()) {
    for (const auto& item : p12->certificates)
      (void)item.certificate.info();
  }
  return 0;
}
