#include "crypto/key_sealer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::crypto {
namespace {

constexpr std::string_view kMagic = "VTPK";
constexpr unsigned char kVersion = 1;
constexpr size_t kHeaderBytes = 5;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

std::string header() {
  std::string h(kMagic);
  h.push_back(static_cast<char>(kVersion));
  return h;
}

std::string aad(std::string_view purpose, std::string_view name) {
  return header() + std::string(purpose) + ":" + std::string(name);
}

Result<std::string> readMasterKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error{fmt::format("read master key {}: {}", path, errnoText(errno))};
  }
  if ((st.st_mode & 077) != 0) {
    return Error{fmt::format("read master key {}: mode {:o} lets others read it; expected 0600",
                             path, st.st_mode & 0777)};
  }
  auto key = readFile(path, 4096);
  if (!key.ok()) return Error{fmt::format("read master key: {}", key.message())};
  if (key->size() != KeySealer::kMasterKeyBytes) {
    size_t size = key->size();
    ossl::cleanse(key.value());
    return Error{fmt::format("read master key {}: {} bytes, expected {}", path, size,
                             KeySealer::kMasterKeyBytes)};
  }
  return key;
}

// Creates the master key file atomically: a fully written temporary file is hard-linked into
// place, so a racing opener either sees no file or the complete one, and the loser of the race
// reads the winner's key.
Status createMasterKey(const std::string& path) {
  std::string key(KeySealer::kMasterKeyBytes, '\0');
  if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
      1) {
    return ossl::error("generate keystore master key");
  }
  std::string tmp = fmt::format("{}.new.{}", path, ::getpid());
  Status written = writeFileAtomic(tmp, key, 0600);
  ossl::cleanse(key);
  VTPS_RETURN_IF_ERROR(written);
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) {
    return Error{fmt::format("create master key {}: {}", path, errnoText(err))};
  }
  return {};
}

}  // namespace

Result<KeySealer> KeySealer::openOrCreate(const std::string& dir) {
  std::string path = dir + "/master.key";
  if (::access(path.c_str(), F_OK) != 0) {
    VTPS_RETURN_IF_ERROR(createMasterKey(path));
    VTPS_RETURN_IF_ERROR(syncDirectory(dir));
  }
  auto key = readMasterKey(path);
  if (!key.ok()) return key.error();
  return KeySealer(std::move(key.value()));
}

KeySealer KeySealer::withKey(std::string key) {
  return KeySealer(std::move(key));
}

KeySealer::KeySealer(KeySealer&& other) noexcept : key_(std::move(other.key_)) {
  other.key_.clear();
}

KeySealer& KeySealer::operator=(KeySealer&& other) noexcept {
  if (this != &other) {
    ossl::cleanse(key_);
    key_ = std::move(other.key_);
    other.key_.clear();
  }
  return *this;
}

KeySealer::~KeySealer() {
  ossl::cleanse(key_);
}

Result<std::string> KeySealer::seal(std::string_view plaintext, std::string_view purpose,
                                    std::string_view name) const {
  std::string out = header();
  out.resize(kHeaderBytes + kNonceBytes + plaintext.size() + kTagBytes);
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(bytes + kHeaderBytes, kNonceBytes) != 1) return ossl::error("seal private key");
  std::string ad = aad(purpose, name);
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()),
                         bytes + kHeaderBytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kHeaderBytes + kNonceBytes, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kHeaderBytes + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          bytes + out.size() - kTagBytes) != 1) {
    return ossl::error("seal private key");
  }
  return out;
}

Result<std::string> KeySealer::open(std::string_view sealed, std::string_view purpose,
                                    std::string_view name, std::string_view source) const {
  if (sealed.size() < kHeaderBytes + kNonceBytes + kTagBytes || sealed.substr(0, 4) != kMagic) {
    return Error{fmt::format("open sealed key {}: not a vtps sealed key file", source)};
  }
  if (static_cast<unsigned char>(sealed[4]) != kVersion) {
    return Error{fmt::format("open sealed key {}: format version {} is not supported", source,
                             static_cast<unsigned>(static_cast<unsigned char>(sealed[4])))};
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  size_t ct_len = sealed.size() - kHeaderBytes - kNonceBytes - kTagBytes;
  std::string plain(ct_len, '\0');
  std::string ad = aad(purpose, name);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()),
                         bytes + kHeaderBytes) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes + kHeaderBytes + kNonceBytes, static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) ==
          1;
  if (!ok) {
    ossl::cleanse(plain);
    ossl::drainErrors();
    return Error{fmt::format(
        "open sealed key {}: authentication failed (wrong master key, or the file was altered or "
        "moved)",
        source)};
  }
  return plain;
}

}  // namespace vtps::crypto
