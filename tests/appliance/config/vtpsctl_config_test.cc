// Drives the built vtpsctl for `config validate` and `truststore new|list|show|delete`: exit
// codes, exact messages, and that a refused edit leaves the config file byte-for-byte unchanged.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "appliance/config/loader.h"

extern char** environ;

namespace vtps::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class VtpsctlConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vtpsctl-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = dir_ / "keystore";
    fs::create_directories(store_ / "cas");
    fs::create_directories(store_ / "certs");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs vtpsctl with `args`; stdout and stderr go to files in the temp dir.
  Outcome vtpsctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv_s{VTPSCTL_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    Outcome run;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return run;
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = slurp(out);
    run.err = slurp(err);
    return run;
  }

  // A copy of a test config in the temp dir, its keystore pointing at the temp store.
  fs::path copyConfig(const std::string& source) {
    fs::path path = dir_ / "vtps.yaml";
    fs::copy_file(source, path);
    return path;
  }
  void addCa(const std::string& name) { spit(store_ / "cas" / (name + ".pem"), "x"); }
  void addCert(const std::string& name) { spit(store_ / "certs" / (name + ".pem"), "x"); }

  static std::string full() { return std::string(VTPS_CONFIG_TESTDATA) + "/full.yaml"; }

  fs::path dir_;
  fs::path store_;
};

TEST_F(VtpsctlConfigTest, ValidateAcceptsAValidFileWithItsKeystoreReferences) {
  for (const char* cert : {"web1", "web1-alt", "mail", "corp-signing"})
    addCert(cert);
  for (const char* ca : {"internal-root", "partner root"})
    addCa(ca);
  Outcome r = vtpsctl({"--store", store_.string(), "config", "validate", full()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, full() + ": OK\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(VtpsctlConfigTest, ValidateReportsMissingKeystoreReferences) {
  addCert("web1");
  addCert("mail");
  addCa("internal-root");
  Outcome r = vtpsctl({"--store", store_.string(), "config", "validate", full()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, full() +
                       ":36:28: error: ssl.server-proxies[0].certificates[1]: certificate "
                       "\"web1-alt\" is not in the keystore\n" +
                       full() +
                       ":50:28: error: ssl.client-proxies[0].signing-certificate: "
                       "certificate \"corp-signing\" is not in the keystore\n" +
                       full() +
                       ":65:28: error: ssl.client-proxies[1].signing-certificate: "
                       "certificate \"corp-signing\" is not in the keystore\n" +
                       full() +
                       ":72:40: error: ssl.trust-stores[0].ca-certificates[1]: CA "
                       "certificate \"partner root\" is not in the keystore\n");
  Outcome skipped =
      vtpsctl({"--store", store_.string(), "config", "validate", "--no-keystore", full()});
  EXPECT_EQ(skipped.exit_code, 0);
  EXPECT_EQ(skipped.out, full() + ": OK\n");
}

TEST_F(VtpsctlConfigTest, ValidatePrintsEveryErrorAndExits1) {
  fs::path bad = dir_ / "bad.yaml";
  spit(bad, "device:\n  mode: turbo\n  web-mode: true\nssl:\n  trust-stores:\n    - name: a/b\n");
  Outcome r = vtpsctl({"config", "validate", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  std::string f = bad.string();
  EXPECT_EQ(r.err, f +
                       ":2:9: error: device.mode: unknown mode \"turbo\"; expected one of: "
                       "standard, performance\n" +
                       f +
                       ":3:13: error: device.web-mode: SSL inspection cannot run with web "
                       "mode; turn this off or disable device.ssl-inspection.server and "
                       ".client\n" +
                       f +
                       ":6:13: error: ssl.trust-stores[0].name: \"a/b\" contains \"/\"; trust "
                       "store names may contain only letters, digits, underscore, hyphen and "
                       "space\n");
}

TEST_F(VtpsctlConfigTest, ValidateUsageErrorsExit2) {
  EXPECT_EQ(vtpsctl({"config", "validate"}).exit_code, 2);
  EXPECT_EQ(vtpsctl({"config", "validate", "a", "b"}).exit_code, 2);
  EXPECT_EQ(vtpsctl({"config"}).exit_code, 2);
  Outcome missing = vtpsctl({"config", "validate", (dir_ / "none.yaml").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            (dir_ / "none.yaml").string() + ": error: cannot read: No such file or directory\n");
}

TEST_F(VtpsctlConfigTest, TrustStoreNewAddsTheStoreAndKeepsABackup) {
  fs::path config = copyConfig(std::string(VTPS_DIST_DIR) + "/vtps.yaml");
  std::string before = slurp(config);
  addCa("internal-root");
  addCa("partner root");
  Outcome r = vtpsctl({"--config", config.string(), "--store", store_.string(), "truststore", "new",
                       "corp store", "--description", "Corporate roots", "--no-default-ca", "--ca",
                       "internal-root", "--ca", "partner root"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "trust store \"corp store\" added to " + config.string() + "\n");
  EXPECT_EQ(slurp(config.string() + ".bak"), before);
  auto loaded = loadFile(config.string());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_EQ(loaded.value()->trust_stores.size(), 1u);
  const TrustStore& t = loaded.value()->trust_stores[0];
  EXPECT_EQ(t.name, "corp store");
  EXPECT_EQ(t.description, "Corporate roots");
  EXPECT_FALSE(t.include_default_ca);
  EXPECT_THAT(t.ca_certificates, ElementsAre("internal-root", "partner root"));
  // The rest of the config survives the rewrite.
  EXPECT_EQ(loaded.value()->device.management_listen, "0.0.0.0:8443");
  EXPECT_EQ(loaded.value()->domain_exclusions.auto_failure_window_s, 300);
}

TEST_F(VtpsctlConfigTest, TrustStoreListAndShow) {
  fs::path config = copyConfig(full());
  Outcome list = vtpsctl({"--config", config.string(), "truststore", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out,
            "NAME           DEFAULT-CA  CAS  USED-BY  DESCRIPTION\n"
            "corp           yes         2    1        Mozilla bundle plus the internal root\n"
            "internal only  no          1    1\n");
  Outcome show = vtpsctl({"--config", config.string(), "truststore", "show", "corp"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out,
            "name:                corp\n"
            "description:         Mozilla bundle plus the internal root\n"
            "include default CAs: yes (/etc/ssl/certs/ca-certificates.crt)\n"
            "CA certificates:     internal-root, partner root\n"
            "used by:             default/out\n");
  Outcome missing = vtpsctl({"--config", config.string(), "truststore", "show", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "vtpsctl: no trust store \"nope\" in " + config.string() + "\n");
}

TEST_F(VtpsctlConfigTest, TrustStoreDeleteRemovesAnUnusedStore) {
  fs::path config = copyConfig(full());
  ASSERT_EQ(vtpsctl({"--config", config.string(), "truststore", "new", "spare"}).exit_code, 0);
  std::string with_spare = slurp(config);
  Outcome r = vtpsctl({"--config", config.string(), "truststore", "delete", "spare"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "trust store \"spare\" deleted from " + config.string() + "\n");
  EXPECT_EQ(slurp(config.string() + ".bak"), with_spare);
  auto loaded = loadFile(config.string());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const Config& c = *loaded.value();
  ASSERT_EQ(c.trust_stores.size(), 2u);
  EXPECT_EQ(c.trust_stores[1].name, "internal only");
  // Spot checks that the rewrite kept values whose quoting it may have changed.
  EXPECT_EQ(c.server_proxies[0].detection_ports[1].str(), "8443-8444");
  EXPECT_EQ(c.segments[0].ports[0], "0000:00:04.0");
  EXPECT_EQ(c.device.metrics_listen, "[::1]:9101");
  EXPECT_EQ(c.profiles[1].ssl_client_policies[0].trust_store, "internal only");
}

TEST_F(VtpsctlConfigTest, TrustStoreRefusalsLeaveTheFileUnchanged) {
  fs::path config = copyConfig(full());
  std::string before = slurp(config);
  std::string f = config.string();
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const Case cases[] = {
      {{"new", "bad/name"},
       "vtpsctl: trust store name \"bad/name\" contains \"/\"; trust store names may contain only "
       "letters, digits, underscore, hyphen and space\n"},
      {{"new", std::string(65, 'n')},
       "vtpsctl: trust store name \"" + std::string(65, 'n') +
           "\" is 65 characters long; trust store names are limited to 64\n"},
      {{"new", "x", "--description", std::string(513, 'd')},
       "vtpsctl: description is 513 characters long; descriptions are limited to 512\n"},
      {{"new", "corp"}, "vtpsctl: trust store \"corp\" already exists in " + f + "\n"},
      {{"new", "x", "--ca", "nope"},
       "vtpsctl: CA certificate \"nope\" is not in the keystore " + store_.string() +
           " (import it with `vtpsctl ca import`)\n"},
      {{"delete", "corp"},
       "vtpsctl: trust store \"corp\" is used by policy default/out; remove it from that policy "
       "first\n"},
      {{"delete", "nope"}, "vtpsctl: no trust store \"nope\" in " + f + "\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"--config", f, "--store", store_.string(), "truststore"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Outcome r = vtpsctl(args);
    EXPECT_EQ(r.exit_code, 1) << c.args[0] << " " << c.args[1];
    EXPECT_EQ(r.err, c.err);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(slurp(config), before);
    EXPECT_FALSE(fs::exists(f + ".bak"));
  }
}

TEST_F(VtpsctlConfigTest, TrustStoreEditRefusesAnInvalidConfig) {
  fs::path config = dir_ / "broken.yaml";
  std::string text = "# keep me\ndevice: {mode: turbo}\n";
  spit(config, text);
  Outcome r = vtpsctl({"--config", config.string(), "truststore", "new", "corp"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vtpsctl: " + config.string() +
                       " does not validate; fix it before editing trust stores:\n" +
                       config.string() +
                       ":2:16: error: device.mode: unknown mode \"turbo\"; expected one of: "
                       "standard, performance\n");
  EXPECT_EQ(slurp(config), text);
}

TEST_F(VtpsctlConfigTest, TrustStoreUsageErrorsExit2) {
  fs::path config = copyConfig(full());
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"truststore"},
                                             {"truststore", "new"},
                                             {"truststore", "show"},
                                             {"truststore", "delete"},
                                             {"truststore", "frobnicate"},
                                             {"truststore", "new", "x", "--bogus"}}) {
    std::vector<std::string> full_args{"--config", config.string()};
    full_args.insert(full_args.end(), args.begin(), args.end());
    Outcome r = vtpsctl(full_args);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    EXPECT_FALSE(r.err.empty()) << args.back();
  }
  EXPECT_EQ(slurp(config), slurp(full()));
}

}  // namespace
}  // namespace vtps::config
