#include "crypto/keys.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <array>
#include <charconv>
#include <climits>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

constexpr std::array<std::string_view, 3> kCurves = {"prime256v1", "secp384r1", "secp224r1"};

Error specError(std::string_view text, std::string_view why) {
  return Error{fmt::format("key type {}: {}", text, why)};
}

std::string bioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// PEM password callback: hands OpenSSL the operator's password, or nothing when none was given.
int passwordCallback(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* password = static_cast<const std::optional<std::string>*>(user);
  if (password == nullptr || !password->has_value()) return -1;
  const std::string& pw = **password;
  if (pw.size() > static_cast<size_t>(size)) return -1;
  std::copy(pw.begin(), pw.end(), buf);
  return static_cast<int>(pw.size());
}

bool looksLikePem(std::string_view bytes) {
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

bool pemIsEncrypted(std::string_view bytes) {
  return bytes.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         bytes.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

// An encrypted PKCS#8 DER blob (EncryptedPrivateKeyInfo), or null when `bytes` is not one.
ossl::X509SigPtr parseEncryptedPkcs8Der(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ossl::X509SigPtr sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(bytes.size())));
  if (sig && p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) sig.reset();
  ERR_clear_error();
  return sig;
}

Result<ossl::EvpPkeyPtr> parsePem(std::string_view bytes,
                                  const std::optional<std::string>& password,
                                  std::string_view source) {
  bool encrypted = pemIsEncrypted(bytes);
  if (encrypted && !password) {
    return Error{
        fmt::format("load private key {}: the key is encrypted; give its password", source)};
  }
  ossl::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return ossl::error(fmt::format("load private key {}", source));
  ossl::EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, passwordCallback, const_cast<std::optional<std::string>*>(&password)));
  if (!pkey) {
    if (encrypted) {
      ERR_clear_error();
      return Error{fmt::format(
          "load private key {}: wrong password (or the encrypted key is corrupt)", source)};
    }
    return ossl::error(fmt::format("load private key {}", source), "no private key in PEM input");
  }
  return pkey;
}

Result<ossl::EvpPkeyPtr> parseDer(std::string_view bytes,
                                  const std::optional<std::string>& password,
                                  std::string_view source) {
  if (auto sig = parseEncryptedPkcs8Der(bytes)) {
    if (!password) {
      return Error{
          fmt::format("load private key {}: the key is encrypted; give its password", source)};
    }
    ossl::Pkcs8PrivKeyInfoPtr p8(
        PKCS8_decrypt(sig.get(), password->data(), static_cast<int>(password->size())));
    if (!p8) {
      ERR_clear_error();
      return Error{fmt::format(
          "load private key {}: wrong password (or the encrypted key is corrupt)", source)};
    }
    ossl::EvpPkeyPtr pkey(EVP_PKCS82PKEY(p8.get()));
    if (!pkey) return ossl::error(fmt::format("load private key {}", source));
    return pkey;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ossl::EvpPkeyPtr pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size())));
  if (!pkey) {
    ERR_clear_error();
    return Error{fmt::format("load private key {}: not a PEM or DER private key", source)};
  }
  return pkey;
}

}  // namespace

Result<KeySpec> KeySpec::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return specError(text, fmt::format("expected one of {}", kKeySpecChoices));
  }
  std::string_view algo = text.substr(0, colon);
  std::string_view param = text.substr(colon + 1);
  KeySpec spec;
  if (algo == "rsa") {
    int bits = 0;
    auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), bits);
    if (ec != std::errc() || end != param.data() + param.size() || bits <= 0) {
      return specError(text, "RSA size must be a number of bits: 2048, 3072 or 4096");
    }
    if (bits < 2048) {
      return specError(text,
                       "RSA keys below 2048 bits are refused: they are too weak to protect "
                       "traffic (NIST SP 800-131A disallows them); use rsa:2048 or larger");
    }
    if (bits != 2048 && bits != 3072 && bits != 4096) {
      return specError(text, "RSA size must be 2048, 3072 or 4096");
    }
    spec.algorithm = KeyAlgorithm::kRsa;
    spec.rsa_bits = bits;
    return spec;
  }
  if (algo == "ec") {
    for (auto curve : kCurves) {
      if (param == curve) {
        spec.algorithm = KeyAlgorithm::kEc;
        spec.curve = std::string(curve);
        return spec;
      }
    }
    return specError(text, "unsupported curve; use prime256v1, secp384r1 or secp224r1");
  }
  return specError(text, fmt::format("expected one of {}", kKeySpecChoices));
}

std::string KeySpec::str() const {
  return algorithm == KeyAlgorithm::kRsa ? fmt::format("rsa:{}", rsa_bits) : "ec:" + curve;
}

std::string KeyDescription::str() const {
  if (curve.empty()) return fmt::format("{} {}", algorithm, bits);
  return fmt::format("{} {} ({})", algorithm, bits, curve);
}

Result<PrivateKey> PrivateKey::generate(const KeySpec& spec) {
  ossl::EvpPkeyPtr pkey;
  if (spec.algorithm == KeyAlgorithm::kRsa) {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.rsa_bits)));
  } else {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.curve.c_str()));
  }
  if (!pkey) return ossl::error(fmt::format("generate {} key", spec.str()));
  return wrapKey(std::move(pkey));
}

Result<PrivateKey> PrivateKey::parse(std::string_view bytes,
                                     const std::optional<std::string>& password,
                                     std::string_view source) {
  if (bytes.empty()) return Error{fmt::format("load private key {}: file is empty", source)};
  if (bytes.size() > INT_MAX) return Error{fmt::format("load private key {}: too large", source)};
  auto pkey =
      looksLikePem(bytes) ? parsePem(bytes, password, source) : parseDer(bytes, password, source);
  if (!pkey.ok()) return pkey.error();
  return wrapKey(std::move(pkey.value()));
}

KeyDescription PrivateKey::describe() const {
  return describePublicKey(raw(*this));
}

Result<std::string> PrivateKey::pkcs8Der() const {
  ossl::Pkcs8PrivKeyInfoPtr p8(EVP_PKEY2PKCS8(raw(*this)));
  if (!p8) return ossl::error("encode private key as PKCS#8");
  unsigned char* der = nullptr;
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
  if (len <= 0) return ossl::error("encode private key as PKCS#8");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

Result<std::string> PrivateKey::encryptedPkcs8Pem(std::string_view password) const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return ossl::error("encrypt private key");
  // PEM_write_bio_PKCS8PrivateKey wants a mutable pointer but does not write through it.
  std::string pw(password);
  int ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), raw(*this), EVP_aes_256_cbc(), pw.data(),
                                         static_cast<int>(pw.size()), nullptr, nullptr);
  ossl::cleanse(pw);
  if (ok != 1) return ossl::error("encrypt private key");
  return bioContents(bio.get());
}

std::string PrivateKey::publicKeyDer() const {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(raw(*this), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

PrivateKey wrapKey(ossl::EvpPkeyPtr pkey) {
  auto impl = std::make_shared<PrivateKey::Impl>();
  impl->pkey = std::move(pkey);
  return PrivateKey::fromImpl(std::move(impl));
}

PrivateKey shareKey(EVP_PKEY* pkey) {
  EVP_PKEY_up_ref(pkey);
  return wrapKey(ossl::EvpPkeyPtr(pkey));
}

const EVP_MD* signatureDigestFor(const PrivateKey& key) {
  KeyDescription d = key.describe();
  if (d.algorithm == "EC" && d.curve == "secp384r1") return EVP_sha384();
  return EVP_sha256();
}

KeyDescription describePublicKey(const EVP_PKEY* pkey) {
  KeyDescription d;
  if (pkey == nullptr) return d;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      d.algorithm = "RSA";
      break;
    case EVP_PKEY_EC: {
      d.algorithm = "EC";
      char group[80] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) == 1) d.curve = group;
      break;
    }
    default: {
      const char* name = EVP_PKEY_get0_type_name(pkey);
      d.algorithm = name != nullptr ? name : "unknown";
      break;
    }
  }
  d.bits = EVP_PKEY_get_bits(pkey);
  return d;
}

}  // namespace vtps::crypto
