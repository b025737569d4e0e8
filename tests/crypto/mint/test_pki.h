// Test-only PKI built with the OpenSSL API: keys, CAs and "upstream" server certificates, plus a
// temp directory and a subprocess runner for checks with the real `openssl` command. Shared by
// the mint unit tests and tests/bench/mint_bench. Failures abort with a message: these helpers
// build fixtures, they are not under test.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "crypto/ossl.h"

namespace vtps::testpki {

enum class KeyKind { kEcP256, kEcP384, kRsa2048, kEd25519 };

ossl::EvpPkeyPtr newKey(KeyKind kind);

struct CertSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // e.g. {{"CN", "x"}, {"O", "y"}}
  std::vector<std::string> dns;                              // DNS subjectAltNames
  std::vector<std::string> ips;                              // IP subjectAltNames
  bool san_critical = false;
  bool duplicate_san = false;         // a second subjectAltName extension (malformed on purpose)
  std::int64_t not_before_s = -3600;  // seconds from now
  std::int64_t not_after_s = 30 * 86400;  // seconds from now
  bool ca = false;                        // basicConstraints CA:TRUE + keyCertSign, cRLSign
  std::string key_usage;                  // overrides the keyUsage above when not empty
  bool subject_key_id = true;             // a CA without SKI exercises the AKI fallback
};

// Signed by `issuer_key` under `issuer` (nullptr: self-signed by subject_key) with SHA-256.
ossl::X509Ptr issueCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                        EVP_PKEY* issuer_key);

struct TestCa {
  ossl::X509Ptr cert;
  ossl::EvpPkeyPtr key;
};
// A self-signed CA valid from `not_before_s` to `not_after_s` seconds from now.
TestCa makeCa(const std::string& cn, KeyKind kind, std::int64_t not_before_s = -86400,
              std::int64_t not_after_s = 3650LL * 86400, bool subject_key_id = true);

// One CA per kind for the whole process ("vtps test CA <kind>"), for tests that only read it:
// RSA generation is slow. Thread-safe.
const TestCa& sharedCa(KeyKind kind);

std::string toPem(X509* cert);
void writeFile(const std::filesystem::path& path, const std::string& content);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};
// Runs argv[0] from PATH with `cwd` as working directory and waits for it.
CommandResult runCommand(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

}  // namespace vtps::testpki
