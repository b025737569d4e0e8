#include "tests/crypto/mint/test_pki.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>

extern char** environ;

namespace vtps::testpki {

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "test PKI: %s failed: %s\n", what, ossl::drainErrors().c_str());
  std::abort();
}

std::string joinSans(const CertSpec& spec) {
  std::string value = spec.san_critical ? "critical," : "";
  bool first = true;
  for (const auto& dns : spec.dns) {
    value += (first ? "DNS:" : ",DNS:") + dns;
    first = false;
  }
  for (const auto& ip : spec.ips) {
    value += (first ? "IP:" : ",IP:") + ip;
    first = false;
  }
  return value;
}

void addExt(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ossl::X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  require(ext != nullptr, "build extension");
  require(X509_add_ext(cert, ext.get(), -1) == 1, "add extension");
}

void addExtensions(const CertSpec& spec, X509* cert, X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  addExt(cert, &ctx, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  std::string key_usage = spec.key_usage;
  if (key_usage.empty()) {
    key_usage = spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature";
  }
  addExt(cert, &ctx, NID_key_usage, key_usage);
  if (spec.subject_key_id) addExt(cert, &ctx, NID_subject_key_identifier, "hash");
  if (issuer != nullptr && X509_get0_subject_key_id(issuer) != nullptr) {
    addExt(cert, &ctx, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.dns.empty() || !spec.ips.empty()) {
    addExt(cert, &ctx, NID_subject_alt_name, joinSans(spec));
    if (spec.duplicate_san) addExt(cert, &ctx, NID_subject_alt_name, joinSans(spec));
  }
}

}  // namespace

ossl::EvpPkeyPtr newKey(KeyKind kind) {
  ossl::EvpPkeyPtr key;
  switch (kind) {
    case KeyKind::kEcP256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case KeyKind::kEcP384:
      key.reset(EVP_EC_gen("P-384"));
      break;
    case KeyKind::kRsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
    case KeyKind::kEd25519:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      break;
  }
  require(key != nullptr, "generate key");
  return key;
}

ossl::X509Ptr issueCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                        EVP_PKEY* issuer_key) {
  ossl::X509Ptr cert(X509_new());
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "set version");
  static std::atomic<std::int64_t> next_serial{0x1000};
  require(ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), next_serial++) == 1,
          "set serial");
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : spec.subject) {
    require(X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                       -1, 0) == 1,
            "add subject entry");
  }
  X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : name;
  require(X509_set_issuer_name(cert.get(), issuer_name) == 1, "set issuer");
  require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_s) != nullptr,
          "set notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_s) != nullptr,
          "set notAfter");
  require(X509_set_pubkey(cert.get(), subject_key) == 1, "set public key");
  addExtensions(spec, cert.get(), issuer);
  EVP_PKEY* signer = issuer_key != nullptr ? issuer_key : subject_key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  require(X509_sign(cert.get(), signer, md) > 0, "sign");
  return cert;
}

TestCa makeCa(const std::string& cn, KeyKind kind, std::int64_t not_before_s,
              std::int64_t not_after_s, bool subject_key_id) {
  TestCa ca;
  ca.key = newKey(kind);
  CertSpec spec;
  spec.subject = {{"CN", cn}, {"O", "vtps tests"}};
  spec.ca = true;
  spec.not_before_s = not_before_s;
  spec.not_after_s = not_after_s;
  spec.subject_key_id = subject_key_id;
  ca.cert = issueCert(spec, ca.key.get(), nullptr, nullptr);
  return ca;
}

const TestCa& sharedCa(KeyKind kind) {
  static const std::array<TestCa, 4> cas = {
      makeCa("vtps test CA ec-p256", KeyKind::kEcP256),
      makeCa("vtps test CA ec-p384", KeyKind::kEcP384),
      makeCa("vtps test CA rsa-2048", KeyKind::kRsa2048),
      makeCa("vtps test CA ed25519", KeyKind::kEd25519),
  };
  return cas[static_cast<std::size_t>(kind)];
}

std::string toPem(X509* cert) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  require(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM encode");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(len)};
}

void writeFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  require(out.good(), "write file");
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vtps-mint-XXXXXX").string();
  require(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult runCommand(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  std::array<int, 2> fds{};
  require(::pipe2(fds.data(), O_CLOEXEC) == 0, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  CommandResult result;
  if (rc != 0) {
    ::close(fds[0]);
    result.output = "spawn failed";
    return result;
  }
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf.data(), buf.size())) > 0) {
    result.output.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace vtps::testpki
