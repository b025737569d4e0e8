// The keystore: a directory holding the appliance's certificates, their private keys (encrypted
// at rest), pending signing requests and imported CA certificates. vtpsctl drives it offline;
// vtpsd loads certificate chains and keys from it by name. Layout, encryption, naming rules and
// the persist-private-keys behaviour are documented in docs/keystore.md.
//
// Every mutating call takes an exclusive lock on the directory and commits through a
// StoreTransaction: it either completes or leaves the directory byte-for-byte unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/cert_status.h"
#include "crypto/keys.h"
#include "crypto/result.h"
#include "crypto/subject.h"
#include "crypto/x509.h"

namespace vtps::crypto {

class KeySealer;
class StoreTransaction;

inline constexpr std::string_view kDefaultCaBundle = "/etc/ssl/certs/ca-certificates.crt";
// The CA that signs leaves for upstream servers whose certificate failed validation.
inline constexpr std::string_view kUntrustedServerCaName = "Untrusted Server CA";
inline constexpr std::string_view kReplacedSuffix = "_REPLACED";
inline constexpr size_t kMaxNameLength = 128;

// kDisk: keys are sealed into DIR/keys. kMemory (persist-private-keys off): keys live only in
// this Keystore object and are never written; see docs/keystore.md for how they come back.
enum class KeyPersistence { kDisk, kMemory };
enum class CertificateKind { kSigning, kServer };
enum class CertificateFormat { kAuto, kPem, kDer, kPkcs12 };
enum class ExportFormat { kPem, kDer, kPkcs12 };

std::string_view toString(CertificateKind kind);                          // "signing", "server"
Result<CertificateFormat> parseCertificateFormat(std::string_view text);  // pem|der|pkcs12
Result<ExportFormat> parseExportFormat(std::string_view text);            // pem|der|pkcs12

// Certificate names: 1 to 128 letters, digits, '.', '_', '-' or spaces, starting with a letter or
// digit and not ending with a space. CA names: 1 to 128 letters, digits, '-', '_' or spaces,
// starting with a letter or digit, not ending with a space, and not "ca" in any case.
Status validateCertificateName(std::string_view name);
Status validateCaName(std::string_view name);

struct KeystoreOptions {
  std::string dir;
  KeyPersistence persistence = KeyPersistence::kDisk;
  std::string default_ca_bundle = std::string(kDefaultCaBundle);
};

struct CertificateRecord {
  std::string name;
  CertificateKind kind = CertificateKind::kServer;
  bool exportable = false;
  int64_t created = 0;
  // Last computed status (refreshed by import, replace and refreshStatus), or Key Missing when
  // this process holds no key for the certificate.
  CertificateStatus status = CertificateStatus::kValid;
  CertificateInfo info;
  std::vector<CertificateInfo> chain;  // intermediates stored with the certificate
};

struct RequestRecord {
  std::string name;
  bool signing = false;
  bool exportable = false;
  int64_t created = 0;
  std::string subject;
  KeyDescription key;
  std::vector<std::string> dns_names;
};

struct CaRecord {
  std::string name;
  std::vector<CertificateInfo> certificates;             // as imported; the first is the one listed
  CertificateStatus status = CertificateStatus::kValid;  // of the first, computed when listed
};

// A certificate (and maybe key) an operator imports or replaces with.
struct CertificateInput {
  std::string cert_bytes;
  std::string cert_source;  // file name for messages
  CertificateFormat format = CertificateFormat::kAuto;
  std::optional<std::string> key_bytes;
  std::string key_source;
  std::optional<std::string> password;  // encrypted key or PKCS#12; wiped on destruction
  ~CertificateInput();
};

struct NewSigningOptions {
  SubjectFields subject;
  KeySpec key;
  int days = 3650;
  bool exportable = false;
};

struct NewRequestOptions {
  SubjectFields subject;
  KeySpec key;
  bool signing = false;
  bool exportable = false;
};

struct ExportOptions {
  ExportFormat format = ExportFormat::kPem;
  bool with_key = false;
  std::string password;  // required for the key and for PKCS#12; wiped by the caller
};

// What the daemon serves with: the certificate, its chain (nearest issuer first) and its key.
struct CertificateBundle {
  Certificate leaf;
  std::vector<Certificate> chain;
  PrivateKey key;
};

class Keystore {
 public:
  // Opens (creating when absent: DIR and its subdirectories mode 0700, DIR/master.key) a store.
  static Result<std::unique_ptr<Keystore>> open(KeystoreOptions options);
  ~Keystore();
  Keystore(const Keystore&) = delete;
  Keystore& operator=(const Keystore&) = delete;

  const KeystoreOptions& options() const { return options_; }

  // Certificates. Errors name the certificate and the cause; nothing changes on error.
  Result<CertificateRecord> createSigningCertificate(const std::string& name,
                                                     const NewSigningOptions& options);
  Result<RequestRecord> createRequest(const std::string& name, const NewRequestOptions& options);
  Result<std::string> requestPem(const std::string& name) const;
  // PEM/DER: one certificate named `name`, its key from key_bytes, from a PRIVATE KEY block of
  // the certificate file, or from the pending request `name`. PKCS#12: every certificate with a
  // key, named `name` + its alias. Returns the records created.
  Result<std::vector<CertificateRecord>> importCertificate(const std::string& name,
                                                           const CertificateInput& input,
                                                           bool exportable);
  // Moves `name` to `name`_REPLACED and stores the new certificate as `name` (same kind of
  // key resolution as import; without a key the current key is kept when it matches).
  Result<CertificateRecord> replaceCertificate(const std::string& name,
                                               const CertificateInput& input);
  // Removes a certificate, or a pending request of that name.
  Status deleteCertificate(const std::string& name);
  Result<std::vector<CertificateRecord>> certificates() const;
  Result<CertificateRecord> certificate(const std::string& name) const;
  Result<std::vector<RequestRecord>> requests() const;
  // Recomputes and stores the status of every certificate.
  Result<std::vector<CertificateRecord>> refreshStatus();
  Result<std::string> exportCertificate(const std::string& name,
                                        const ExportOptions& options) const;
  Result<CertificateBundle> loadCertificate(const std::string& name) const;
  // kMemory: hands the process the key of a stored certificate (after a restart). The key must
  // match the certificate.
  Status supplyKey(const std::string& name, const PrivateKey& key);

  // CA certificates (trust anchors for status and for trust stores).
  Result<CaRecord> importCa(const std::string& name, const CertificateInput& input);
  Status deleteCa(const std::string& name);
  Result<std::vector<CaRecord>> cas() const;
  Result<std::vector<Certificate>> caCertificates(const std::string& name) const;
  // The default CA package (read-only), parsed once.
  Result<std::vector<Certificate>> defaultCaCertificates() const;

  // The Untrusted Server CA (EC P-256 signing CA), created on first request and again when it is
  // about to expire or (kMemory) its key is gone.
  Result<CertificateBundle> untrustedServerCa();

 private:
  Keystore(KeystoreOptions options, std::unique_ptr<KeySealer> sealer);

  std::string path(std::string_view relative) const;
  bool hasCertificate(const std::string& name) const;
  bool hasRequest(const std::string& name) const;
  bool hasCa(const std::string& name) const;
  std::vector<std::string> namesIn(std::string_view subdir, std::string_view suffix) const;
  Result<std::optional<PrivateKey>> readKey(std::string_view purpose,
                                            const std::string& name) const;
  bool keyPresent(const std::string& name) const;
  Result<std::vector<Certificate>> readChainFile(const std::string& relative) const;
  Result<CertificateRecord> readRecord(const std::string& name) const;
  Result<TrustAnchors> anchors() const;

  struct Stored {
    CertificateKind kind;
    bool exportable;
    int64_t created;
    CertificateStatus status;
  };
  using KeyMap = std::map<std::string, PrivateKey>;
  // Stages a certificate's files; its key is sealed to disk (kDisk) or put in `memory_keys`.
  Status stageCertificate(StoreTransaction& tx, const std::string& name, const Certificate& leaf,
                          const std::vector<Certificate>& chain,
                          const std::optional<PrivateKey>& key, const Stored& stored,
                          KeyMap& memory_keys) const;
  // Commits `tx`, then (kMemory) installs the key maps the operation prepared.
  Status commit(StoreTransaction& tx, KeyMap memory_keys, KeyMap pending_keys);
  std::pair<KeyMap, KeyMap> memoryKeyMaps() const;
  Result<CertificateRecord> replaceLocked(const std::string& name, const CertificateInput& input);
  // Takes the key of the pending request `name` for `leaf` (refusing a mismatch with `leaf` or
  // with a key the operator gave) and carries the request's exportable flag over.
  Status adoptPendingKey(const std::string& name, const Certificate& leaf,
                         const std::string& cert_source, std::optional<PrivateKey>& key,
                         bool& exportable) const;

  KeystoreOptions options_;
  std::unique_ptr<KeySealer> sealer_;
  mutable std::mutex mu_;
  std::map<std::string, PrivateKey> memory_keys_;          // kMemory: certificate keys
  std::map<std::string, PrivateKey> memory_pending_keys_;  // kMemory: pending request keys
  mutable std::optional<std::vector<Certificate>> default_cas_;
};

}  // namespace vtps::crypto
