#include "crypto/tls/cipher_names.h"

#include <gtest/gtest.h>
#include <openssl/objects.h>

#include <set>
#include <string>

#include "crypto/ossl.h"

namespace vtps::tls {
namespace {

#ifdef OPENSSL_NO_WEAK_SSL_CIPHERS
constexpr bool kLibraryHasWeakCiphers = false;
#else
constexpr bool kLibraryHasWeakCiphers = true;
#endif

int authNid(CipherAuth auth) {
  switch (auth) {
    case CipherAuth::kRsa:
      return NID_auth_rsa;
    case CipherAuth::kEcdsa:
      return NID_auth_ecdsa;
    case CipherAuth::kAny:
      return NID_auth_any;
  }
  return NID_undef;
}

// Configures a context with exactly `cipher` and returns the ciphers it would offer, or an empty
// set when OpenSSL refused the name.
std::vector<const SSL_CIPHER*> configureOnly(const CipherName& cipher) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
  const std::string name(cipher.openssl);
  bool ok = false;
  if (cipher.tls13) {
    ok = SSL_CTX_set_ciphersuites(ctx.get(), name.c_str()) == 1;
  } else {
    ok = SSL_CTX_set_cipher_list(ctx.get(), name.c_str()) == 1 &&
         SSL_CTX_set_ciphersuites(ctx.get(), "") == 1;
  }
  ossl::drainErrors();
  std::vector<const SSL_CIPHER*> out;
  if (!ok) return out;
  STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
    if (cipher.tls13 == (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3")) {
      out.push_back(c);
    }
  }
  return out;
}

TEST(CipherNamesTest, EveryEntryMapsToExactlyThatOpenSslCipher) {
  for (const CipherName& row : cipherTable()) {
    SCOPED_TRACE(std::string(row.iana));
    const auto offered = configureOnly(row);
    if (row.weak && !kLibraryHasWeakCiphers) {
      EXPECT_TRUE(offered.empty()) << "this build was expected to lack " << row.openssl;
      EXPECT_FALSE(cipherSupportedByLibrary(row));
      continue;
    }
    ASSERT_EQ(offered.size(), 1u);
    EXPECT_EQ(SSL_CIPHER_standard_name(offered[0]), row.iana);
    EXPECT_EQ(SSL_CIPHER_get_auth_nid(offered[0]), authNid(row.auth));
    EXPECT_TRUE(cipherSupportedByLibrary(row));
  }
}

TEST(CipherNamesTest, NamesAreUnique) {
  std::set<std::string_view> iana;
  std::set<std::string_view> openssl;
  for (const CipherName& row : cipherTable()) {
    EXPECT_TRUE(iana.insert(row.iana).second) << row.iana;
    EXPECT_TRUE(openssl.insert(row.openssl).second) << row.openssl;
  }
}

TEST(CipherNamesTest, CoversEverySuiteTheTpsDocumentsList) {
  // `display conf running ssl-inspection` in the 2022 guide, plus the ECDSA family the 2026
  // guide describes (ECDHE-ECDSA with AES-GCM, AES-CBC and CHACHA20-POLY1305).
  const char* const documented[] = {
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
      "TLS_RSA_WITH_AES_128_CBC_SHA",
      "TLS_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_RSA_WITH_AES_256_CBC_SHA",
      "TLS_RSA_WITH_AES_256_CBC_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
  };
  for (const char* name : documented)
    EXPECT_NE(findCipher(name), nullptr) << name;
}

TEST(CipherNamesTest, CoversEveryTls13SuiteOpenSslImplements) {
  const char* const tls13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                               "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
                               "TLS_AES_128_CCM_8_SHA256"};
  for (const char* name : tls13) {
    const CipherName* row = findCipher(name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_TRUE(row->tls13);
    EXPECT_EQ(row->auth, CipherAuth::kAny);
  }
}

TEST(CipherNamesTest, FindCipherRejectsUnknownAndMisspelledNames) {
  ASSERT_NE(findCipher("TLS_RSA_WITH_AES_128_GCM_SHA256"), nullptr);
  EXPECT_EQ(findCipher("TLS_RSA_WITH_AES_128_GCM_SHA256")->openssl, "AES128-GCM-SHA256");
  EXPECT_EQ(findCipher("tls_rsa_with_aes_128_gcm_sha256"), nullptr);
  EXPECT_EQ(findCipher("AES128-GCM-SHA256"), nullptr);         // OpenSSL names are not IANA names
  EXPECT_EQ(findCipher("TLS_RSA_WITH_DES_CBC_SHA"), nullptr);  // gone from OpenSSL 3
  EXPECT_EQ(findCipher(""), nullptr);
}

TEST(CipherNamesTest, AuthNamesPrintAsOperatorsSpellThem) {
  EXPECT_EQ(cipherAuthName(CipherAuth::kRsa), "RSA");
  EXPECT_EQ(cipherAuthName(CipherAuth::kEcdsa), "ECDSA");
  EXPECT_EQ(cipherAuthName(CipherAuth::kAny), "any");
}

}  // namespace
}  // namespace vtps::tls
