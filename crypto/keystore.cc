#include "crypto/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "crypto/file_util.h"
#include "crypto/key_sealer.h"
#include "crypto/keystore_internal.h"
#include "crypto/ossl_interop.h"
#include "crypto/store_transaction.h"

namespace vtps::crypto {

using namespace keystore_detail;  // NOLINT(google-build-using-namespace)

namespace {

constexpr std::string_view kSubdirs[] = {"certs", "keys", "meta", "csr", "cas"};

bool isAsciiAlnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

Status validateName(std::string_view what, std::string_view name, std::string_view extra_chars,
                    std::string_view allowed_text) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && isAsciiAlnum(name.front()) &&
            name.back() != ' ';
  for (char ch : name) {
    ok = ok && (isAsciiAlnum(ch) || extra_chars.find(ch) != std::string_view::npos);
  }
  if (ok) return {};
  return Error{fmt::format(
      "{} name \"{}\": use 1 to {} {}, starting with a letter or digit and not ending with a "
      "space",
      what, name, kMaxNameLength, allowed_text)};
}

Status makeDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
  return Error{fmt::format("create keystore directory {}: {}", dir, errnoText(errno))};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int64_t parseUtc(const std::string& text) {
  struct tm tm {};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

// ---- free functions of keystore.h ----

CertificateInput::~CertificateInput() {
  if (password) ossl::cleanse(*password);
}

std::string_view toString(CertificateKind kind) {
  return kind == CertificateKind::kSigning ? "signing" : "server";
}

Result<CertificateFormat> parseCertificateFormat(std::string_view text) {
  if (text == "pem") return CertificateFormat::kPem;
  if (text == "der") return CertificateFormat::kDer;
  if (text == "pkcs12") return CertificateFormat::kPkcs12;
  return Error{fmt::format("format \"{}\": expected pem, der or pkcs12", text)};
}

Result<ExportFormat> parseExportFormat(std::string_view text) {
  if (text == "pem") return ExportFormat::kPem;
  if (text == "der") return ExportFormat::kDer;
  if (text == "pkcs12") return ExportFormat::kPkcs12;
  return Error{fmt::format("format \"{}\": expected pem, der or pkcs12", text)};
}

Status validateCertificateName(std::string_view name) {
  return validateName("certificate", name, "._- ", "letters, digits, '.', '_', '-' or spaces");
}

Status validateCaName(std::string_view name) {
  VTPS_RETURN_IF_ERROR(
      validateName("CA", name, "_- ", "letters, digits, hyphens, underscores or spaces"));
  if (lower(name) == "ca")
    return Error{fmt::format("CA name \"{}\": the name ca is reserved", name)};
  return {};
}

// ---- keystore_detail ----

namespace keystore_detail {

std::string metaToJson(const std::string& name, const Meta& meta) {
  nlohmann::ordered_json j;
  j["name"] = name;
  j["kind"] = meta.kind;
  if (meta.kind == kPendingKind) j["signing"] = meta.signing_request;
  j["exportable"] = meta.exportable;
  j["created"] = formatUtc(meta.created);
  j["status"] = meta.status;
  return j.dump(2) + "\n";
}

Result<Meta> metaFromJson(std::string_view json, std::string_view source) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
    return Error{fmt::format("read {}: not a keystore metadata file", source)};
  }
  Meta meta;
  meta.kind = j["kind"].get<std::string>();
  meta.exportable = j.value("exportable", false);
  meta.signing_request = j.value("signing", false);
  meta.created = parseUtc(j.value("created", std::string()));
  meta.status = j.value("status", std::string());
  return meta;
}

Result<StoreLock> StoreLock::acquire(const std::string& dir) {
  std::string path = dir + "/.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{fmt::format("lock keystore {}: {}", path, errnoText(errno))};
  StoreLock lock(fd);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return Error{fmt::format("lock keystore {}: {}", path, errnoText(errno))};
  }
  return lock;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

std::string chainPem(const Certificate& leaf, const std::vector<Certificate>& chain) {
  std::string out = leaf.toPem();
  for (const auto& c : chain)
    out += c.toPem();
  return out;
}

Status checkKeyType(const PrivateKey& key, std::string_view operation) {
  KeyDescription d = key.describe();
  if (d.algorithm == "RSA" || d.algorithm == "EC") return {};
  return Error{
      fmt::format("{}: {} keys are not supported (RSA or EC only)", operation, d.algorithm)};
}

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace keystore_detail

// ---- Keystore: opening, reading, status ----

Keystore::Keystore(KeystoreOptions options, std::unique_ptr<KeySealer> sealer)
    : options_(std::move(options)), sealer_(std::move(sealer)) {}

Keystore::~Keystore() = default;

Result<std::unique_ptr<Keystore>> Keystore::open(KeystoreOptions options) {
  if (options.dir.empty()) return Error{"open keystore: no directory given"};
  std::error_code ec;
  std::filesystem::path dir(options.dir);
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  VTPS_RETURN_IF_ERROR(makeDirectory(options.dir));
  for (auto sub : kSubdirs)
    VTPS_RETURN_IF_ERROR(makeDirectory(options.dir + "/" + std::string(sub)));
  {
    auto lock = StoreLock::acquire(options.dir);  // also creates DIR/.lock
    if (!lock.ok()) return lock.error();
  }
  std::unique_ptr<KeySealer> sealer;
  // kMemory never writes keys, so it needs (and creates) no master key.
  if (options.persistence == KeyPersistence::kDisk) {
    auto opened = KeySealer::openOrCreate(options.dir);
    if (!opened.ok()) return opened.error();
    sealer = std::make_unique<KeySealer>(std::move(opened.value()));
  }
  return std::unique_ptr<Keystore>(new Keystore(std::move(options), std::move(sealer)));
}

std::string Keystore::path(std::string_view relative) const {
  return options_.dir + "/" + std::string(relative);
}

bool Keystore::hasCertificate(const std::string& name) const {
  return ::access(path(certFile(name)).c_str(), F_OK) == 0;
}

bool Keystore::hasRequest(const std::string& name) const {
  return ::access(path(csrFile(name)).c_str(), F_OK) == 0;
}

bool Keystore::hasCa(const std::string& name) const {
  return ::access(path(caFile(name)).c_str(), F_OK) == 0;
}

std::vector<std::string> Keystore::namesIn(std::string_view subdir, std::string_view suffix) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path(subdir), ec)) {
    std::string file = entry.path().filename().string();
    if (file.size() <= suffix.size() || !file.ends_with(suffix) || file.front() == '.') continue;
    names.push_back(file.substr(0, file.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::optional<PrivateKey>> Keystore::readKey(std::string_view purpose,
                                                    const std::string& name) const {
  if (options_.persistence == KeyPersistence::kMemory) {
    std::lock_guard<std::mutex> guard(mu_);
    const auto& keys = purpose == kPendingPurpose ? memory_pending_keys_ : memory_keys_;
    auto it = keys.find(name);
    if (it == keys.end()) return std::optional<PrivateKey>();
    return std::optional<PrivateKey>(it->second);
  }
  std::string file = path(purpose == kPendingPurpose ? pendingKeyFile(name) : keyFile(name));
  if (::access(file.c_str(), F_OK) != 0) return std::optional<PrivateKey>();
  auto sealed = readFile(file);
  if (!sealed.ok()) return sealed.error();
  auto der = sealer_->open(sealed.value(), purpose, name, file);
  if (!der.ok()) return der.error();
  auto key = PrivateKey::parse(der.value(), std::nullopt, file);
  ossl::cleanse(der.value());
  if (!key.ok()) return key.error();
  return std::optional<PrivateKey>(std::move(key.value()));
}

bool Keystore::keyPresent(const std::string& name) const {
  if (options_.persistence == KeyPersistence::kMemory) {
    std::lock_guard<std::mutex> guard(mu_);
    return memory_keys_.count(name) != 0;
  }
  return ::access(path(keyFile(name)).c_str(), F_OK) == 0;
}

Result<std::vector<Certificate>> Keystore::readChainFile(const std::string& relative) const {
  std::string file = path(relative);
  auto bytes = readFile(file);
  if (!bytes.ok()) return bytes.error();
  return Certificate::parseAll(bytes.value(), file);
}

Result<CertificateRecord> Keystore::readRecord(const std::string& name) const {
  if (!hasCertificate(name)) {
    if (hasRequest(name)) {
      return Error{
          fmt::format("certificate {}: only a pending signing request exists (import the CA-signed "
                      "certificate first)",
                      name)};
    }
    return Error{fmt::format("no certificate named {}", name)};
  }
  auto meta_bytes = readFile(path(metaFile(name)));
  if (!meta_bytes.ok()) return meta_bytes.error();
  auto meta = metaFromJson(meta_bytes.value(), path(metaFile(name)));
  if (!meta.ok()) return meta.error();
  auto certs = readChainFile(certFile(name));
  if (!certs.ok()) return certs.error();
  CertificateRecord rec;
  rec.name = name;
  rec.kind = meta->kind == "signing" ? CertificateKind::kSigning : CertificateKind::kServer;
  rec.exportable = meta->exportable;
  rec.created = meta->created;
  auto status = parseCertificateStatus(meta->status);
  rec.status = status.value_or(CertificateStatus::kNoTrustAnchor);
  if (!keyPresent(name)) rec.status = CertificateStatus::kKeyMissing;
  rec.info = certs->front().info();
  for (size_t i = 1; i < certs->size(); ++i)
    rec.chain.push_back((*certs)[i].info());
  return rec;
}

Result<std::vector<CertificateRecord>> Keystore::certificates() const {
  std::vector<CertificateRecord> out;
  for (const auto& name : namesIn("certs", ".pem")) {
    auto rec = readRecord(name);
    if (!rec.ok()) return rec.error();
    out.push_back(std::move(rec.value()));
  }
  return out;
}

Result<CertificateRecord> Keystore::certificate(const std::string& name) const {
  return readRecord(name);
}

Result<std::vector<RequestRecord>> Keystore::requests() const {
  std::vector<RequestRecord> out;
  for (const auto& name : namesIn("csr", ".csr")) {
    auto pem = readFile(path(csrFile(name)));
    if (!pem.ok()) return pem.error();
    auto req = CertificateRequest::parsePem(pem.value(), path(csrFile(name)));
    if (!req.ok()) return req.error();
    auto meta_bytes = readFile(path(metaFile(name)));
    if (!meta_bytes.ok()) return meta_bytes.error();
    auto meta = metaFromJson(meta_bytes.value(), path(metaFile(name)));
    if (!meta.ok()) return meta.error();
    RequestRecord rec;
    rec.name = name;
    rec.signing = meta->signing_request;
    rec.exportable = meta->exportable;
    rec.created = meta->created;
    rec.subject = req->subject();
    rec.key = describePublicKey(X509_REQ_get0_pubkey(raw(req.value())));
    rec.dns_names = req->dnsNames();
    out.push_back(std::move(rec));
  }
  return out;
}

Result<TrustAnchors> Keystore::anchors() const {
  TrustAnchors anchors;
  for (const auto& name : namesIn("cas", ".pem")) {
    auto certs = readChainFile(caFile(name));
    if (!certs.ok()) return certs.error();
    for (const auto& c : certs.value())
      anchors.add(c);
  }
  // A missing default package (a machine without ca-certificates) only narrows the anchors.
  auto defaults = defaultCaCertificates();
  if (defaults.ok()) {
    for (const auto& c : defaults.value())
      anchors.add(c);
  }
  return anchors;
}

Result<std::vector<CertificateRecord>> Keystore::refreshStatus() {
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return lock.error();
  auto trust = anchors();
  if (!trust.ok()) return Error{fmt::format("refresh status: {}", trust.message())};
  StoreTransaction tx(options_.dir);
  for (const auto& name : namesIn("certs", ".pem")) {
    auto certs = readChainFile(certFile(name));
    if (!certs.ok()) return Error{fmt::format("refresh status: {}", certs.message())};
    auto key = readKey(kKeyPurpose, name);
    if (!key.ok()) return Error{fmt::format("refresh status of {}: {}", name, key.message())};
    std::vector<Certificate> chain(certs->begin() + 1, certs->end());
    CertificateStatus status =
        trust->statusOf(certs->front(), chain, key->has_value() ? &**key : nullptr, now());
    auto meta_bytes = readFile(path(metaFile(name)));
    if (!meta_bytes.ok()) return Error{fmt::format("refresh status: {}", meta_bytes.message())};
    auto meta = metaFromJson(meta_bytes.value(), path(metaFile(name)));
    if (!meta.ok()) return Error{fmt::format("refresh status: {}", meta.message())};
    if (meta->status != toString(status)) {
      meta->status = std::string(toString(status));
      tx.put(metaFile(name), metaToJson(name, meta.value()), kPublicFileMode);
    }
  }
  if (Status st = tx.commit(); !st.ok())
    return Error{fmt::format("refresh status: {}", st.message())};
  return certificates();
}

Result<CertificateBundle> Keystore::loadCertificate(const std::string& name) const {
  if (!hasCertificate(name))
    return Error{fmt::format("load certificate {}: no such certificate", name)};
  auto certs = readChainFile(certFile(name));
  if (!certs.ok()) return Error{fmt::format("load certificate {}: {}", name, certs.message())};
  auto key = readKey(kKeyPurpose, name);
  if (!key.ok()) return Error{fmt::format("load certificate {}: {}", name, key.message())};
  if (!key->has_value()) {
    if (options_.persistence == KeyPersistence::kMemory) {
      return Error{fmt::format(
          "load certificate {}: its private key is not in memory (persist-private-keys is off; "
          "supply the key to vtpsd again after a restart)",
          name)};
    }
    return Error{fmt::format("load certificate {}: private key file {} is missing", name,
                             path(keyFile(name)))};
  }
  if (!keyMatchesCertificate(**key, certs->front())) {
    return Error{
        fmt::format("load certificate {}: the stored private key does not match it", name)};
  }
  std::vector<Certificate> chain(certs->begin() + 1, certs->end());
  return CertificateBundle{certs->front(), std::move(chain), std::move(**key)};
}

Status Keystore::supplyKey(const std::string& name, const PrivateKey& key) {
  if (options_.persistence != KeyPersistence::kMemory) {
    return Error{fmt::format(
        "supply key for {}: keys are persisted in this keystore; import the certificate instead",
        name)};
  }
  auto certs = readChainFile(certFile(name));
  if (!certs.ok()) return Error{fmt::format("supply key for {}: {}", name, certs.message())};
  if (!keyMatchesCertificate(key, certs->front())) {
    return Error{fmt::format("supply key for {}: the key does not match the certificate", name)};
  }
  std::lock_guard<std::mutex> guard(mu_);
  memory_keys_.insert_or_assign(name, key);
  return {};
}

Result<std::vector<Certificate>> Keystore::defaultCaCertificates() const {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (default_cas_) return *default_cas_;
  }
  auto bytes = readFile(options_.default_ca_bundle);
  if (!bytes.ok()) return Error{fmt::format("default CA package: {}", bytes.message())};
  auto certs = Certificate::parseAll(bytes.value(), options_.default_ca_bundle);
  if (!certs.ok()) return Error{fmt::format("default CA package: {}", certs.message())};
  std::lock_guard<std::mutex> guard(mu_);
  default_cas_ = certs.value();
  return certs;
}

}  // namespace vtps::crypto
