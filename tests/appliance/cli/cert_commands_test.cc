// Drives the built vtpsctl for `cert …` and `ca …` in temporary directories: every command's happy
// path, exit codes and exact messages for bad input (with the keystore byte-for-byte unchanged),
// and interoperability with the `openssl` command in both directions.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace vtps::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

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
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

using Snapshot = std::map<std::string, std::pair<unsigned, std::string>>;

// Relative path -> (mode, content) of every entry: equal snapshots mean an unchanged keystore.
Snapshot snapshot(const fs::path& dir) {
  Snapshot out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    ::stat(entry.path().c_str(), &st);
    std::string rel = fs::relative(entry.path(), dir).string();
    out[rel] = {st.st_mode & 07777u, entry.is_directory() ? "" : slurp(entry.path())};
  }
  return out;
}

class CertCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vtpsctl-cert-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = dir_ / "store";
    writeConfig(true, "");
    spit(dir_ / "pw", "s3cret\n");
    spit(dir_ / "wrongpw", "nope\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void writeConfig(bool persist, const std::string& extra) {
    // log-dir: the offline commands' audit.log lines land in the test's directory.
    spit(dir_ / "vtps.yaml",
         "device:\n  keystore: " + store_.string() + "\n  log-dir: " + (dir_ / "log").string() +
             "\n  ssl-inspection:\n    persist-private-keys: " + (persist ? "true" : "false") +
             "\n" + extra);
  }

  Outcome spawn(const std::vector<std::string>& args) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (std::string& a : copy)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    Outcome run;
    int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return run;
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = slurp(out);
    run.err = slurp(err);
    return run;
  }

  // vtpsctl --config DIR/vtps.yaml ARGS...
  Outcome vtpsctl(const std::vector<std::string>& args) {
    std::vector<std::string> all{VTPSCTL_PATH, "--config", (dir_ / "vtps.yaml").string()};
    all.insert(all.end(), args.begin(), args.end());
    return spawn(all);
  }

  Outcome ok(const std::vector<std::string>& args) {
    Outcome r = vtpsctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": "
                              << r.err;
    return r;
  }

  Outcome openssl(const std::vector<std::string>& args) {
    std::vector<std::string> all{"openssl"};
    all.insert(all.end(), args.begin(), args.end());
    Outcome r = spawn(all);
    EXPECT_EQ(r.exit_code, 0) << "openssl " << args[0] << ": " << r.err;
    return r;
  }

  // Expects exit code 1, exactly "vtpsctl: MESSAGE\n" on stderr, and an unchanged keystore.
  void expectRefused(const std::vector<std::string>& args, const std::string& message) {
    Snapshot before = snapshot(store_);
    Outcome r = vtpsctl(args);
    EXPECT_EQ(r.exit_code, 1) << message;
    EXPECT_EQ(r.err, "vtpsctl: " + message + "\n");
    EXPECT_EQ(snapshot(store_), before) << message;
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A root CA and a leaf it issued for CN=leaf, made by openssl: root.pem/.key, leaf.pem/.key.
  void makeOpensslPki() {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", path("root.key"), "-out", path("root.pem"), "-subj", "/CN=Test Root",
             "-days", "30"});
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", path("leaf.key"), "-out", path("leaf.csr"), "-subj", "/CN=leaf"});
    openssl({"x509", "-req", "-in", path("leaf.csr"), "-CA", path("root.pem"), "-CAkey",
             path("root.key"), "-set_serial", "2", "-days", "30", "-out", path("leaf.pem")});
  }

  // A self-signed certificate with an AES-encrypted key (password "s3cret"): srv.pem, enc.key.
  void makeEncryptedKeyPair() {
    openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
             "-pass", "pass:s3cret", "-out", path("enc.key")});
    openssl({"req", "-new", "-x509", "-key", path("enc.key"), "-passin", "pass:s3cret", "-subj",
             "/CN=srv", "-days", "30", "-out", path("srv.pem")});
  }

  fs::path dir_;
  fs::path store_;
};

TEST_F(CertCommandsTest, NewSigningCreatesACaThatOpensslVerifies) {
  Outcome r = ok({"cert",    "new-signing",  "corp",         "--cn",
                  "Corp CA", "--key",        "ec:secp384r1", "--days",
                  "30",      "--exportable", "--email",      "pki@corp.example",
                  "--ou",    "Security",     "--ou",         "Network",
                  "--o",     "Corp",         "--l",          "Saint Louis",
                  "--st",    "Missouri",     "--c",          "US",
                  "--dns",   "corp.example", "--user",       "susan@corp.example"});
  EXPECT_THAT(r.out, StartsWith("created signing certificate corp: emailAddress=pki@corp.example,"
                                "CN=Corp CA,OU=Network,OU=Security,O=Corp,L=Saint Louis,"
                                "ST=Missouri,C=US, EC 384 (secp384r1), valid until "));
  ok({"cert", "export", "corp", "--out", path("ca.pem")});
  Outcome verify = openssl({"verify", "-CAfile", path("ca.pem"), path("ca.pem")});
  EXPECT_EQ(verify.out, path("ca.pem") + ": OK\n");
  Outcome text = openssl({"x509", "-in", path("ca.pem"), "-noout", "-text"});
  EXPECT_THAT(text.out, HasSubstr("X509v3 Basic Constraints: critical\n                CA:TRUE"));
  EXPECT_THAT(text.out, HasSubstr("X509v3 Key Usage: critical\n                Certificate Sign, "
                                  "CRL Sign\n"));
  EXPECT_THAT(text.out, HasSubstr("X509v3 Subject Key Identifier"));
  EXPECT_THAT(text.out, HasSubstr("X509v3 Authority Key Identifier"));
  EXPECT_THAT(text.out, HasSubstr("Signature Algorithm: ecdsa-with-SHA384"));
  EXPECT_THAT(text.out, HasSubstr("DNS:corp.example, email:susan@corp.example"));
  EXPECT_EQ(fs::status(store_ / "keys" / "corp.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(CertCommandsTest, NewSigningRefusesWeakKeysAndBadCountriesSayingWhy) {
  ok({"cert", "new-signing", "first", "--cn", "First"});
  expectRefused({"cert", "new-signing", "w", "--cn", "W", "--key", "rsa:1024"},
                "create signing certificate w: key type rsa:1024: RSA keys below 2048 bits are "
                "refused: they are too weak to protect traffic (NIST SP 800-131A disallows them); "
                "use rsa:2048 or larger");
  expectRefused({"cert", "new-signing", "w", "--cn", "W", "--c", "USA"},
                "create signing certificate w: country \"USA\": must be two letters (an ISO 3166 "
                "code such as US)");
  expectRefused({"cert", "new-signing", "first", "--cn", "W"},
                "create signing certificate first: a certificate of that name already exists");
  expectRefused({"cert", "new-signing", "a/b", "--cn", "W"},
                "certificate name \"a/b\": use 1 to 128 letters, digits, '.', '_', '-' or spaces, "
                "starting with a letter or digit and not ending with a space");
  expectRefused({"cert", "new-signing", "w", "--cn", "W", "--dns", "bad..name"},
                "create signing certificate w: DNS name \"bad..name\": not a host name (letters, "
                "digits and hyphens in dot-separated labels; a wildcard only as a leftmost "
                "\"*.\")");
  expectRefused({"cert", "new-signing", "w", "--cn", "W", "--days", "0"},
                "create signing certificate w: validity of 0 days: must be 1 to 36500");
}

TEST_F(CertCommandsTest, RequestSignedByOpensslImportsWithThePendingKey) {
  ok({"cert", "new-signing", "corp", "--cn", "Corp CA", "--key", "ec:prime256v1", "--exportable"});
  ok({"cert", "export", "corp", "--out", path("corp.pem"), "--with-key", "--password-file",
      path("pw")});
  Outcome created = ok({"cert", "csr", "new", "web", "--cn", "www.example.com", "--dns",
                        "www.example.com", "--key", "rsa:2048", "--o", "Example", "--c", "US"});
  EXPECT_EQ(created.out,
            "created signing request web: CN=www.example.com,O=Example,C=US, RSA 2048\n"
            "export it with: vtpsctl cert csr export web --out FILE\n");
  Outcome listed = ok({"cert", "csr", "list"});
  EXPECT_THAT(listed.out, HasSubstr("web   CN=www.example.com,O=Example,C=US  RSA 2048  no"));
  ok({"cert", "csr", "export", "web", "--out", path("web.csr")});
  EXPECT_EQ(slurp(path("web.csr")).find("PRIVATE KEY"), std::string::npos);
  Outcome verified = openssl({"req", "-verify", "-noout", "-in", path("web.csr")});
  EXPECT_THAT(verified.out + verified.err, HasSubstr("verify OK"));

  openssl({"x509", "-req", "-in", path("web.csr"), "-CA", path("corp.pem"), "-CAkey",
           path("corp.pem"), "-passin", "file:" + path("pw"), "-set_serial", "7", "-days", "30",
           "-copy_extensions", "copy", "-out", path("web.pem")});
  Outcome leaf_ok = openssl({"verify", "-CAfile", path("corp.pem"), path("web.pem")});
  EXPECT_EQ(leaf_ok.out, path("web.pem") + ": OK\n");

  Outcome imported = ok({"cert", "import", "web", "--cert", path("web.pem")});
  EXPECT_EQ(imported.out,
            "imported certificate web: CN=www.example.com,O=Example,C=US (No Trust Anchor)\n");
  EXPECT_FALSE(fs::exists(store_ / "csr" / "web.csr"));
  ok({"ca", "import", "Corp Root", "--cert", path("corp.pem")});
  Outcome refreshed = ok({"cert", "refresh-status"});
  EXPECT_THAT(refreshed.out, HasSubstr("web "));
  Outcome shown = ok({"cert", "show", "web"});
  EXPECT_THAT(shown.out, HasSubstr("Status:        Valid\n"));
  EXPECT_THAT(shown.out, HasSubstr("Kind:          server\n"));
  EXPECT_THAT(shown.out, HasSubstr("DNS names:     www.example.com\n"));
}

TEST_F(CertCommandsTest, SigningRequestAsksForACaCertificate) {
  ok({"cert", "csr", "new", "sub", "--cn", "Sub CA", "--signing", "--key", "ec:prime256v1"});
  ok({"cert", "csr", "export", "sub", "--out", path("sub.csr")});
  Outcome text = openssl({"req", "-in", path("sub.csr"), "-noout", "-text"});
  EXPECT_THAT(text.out,
              HasSubstr("X509v3 Basic Constraints: critical\n                    CA:TRUE"));
  EXPECT_THAT(text.out, HasSubstr("X509v3 Key Usage: critical\n                    Certificate "
                                  "Sign, CRL Sign\n"));
  Outcome shown = ok({"cert", "show", "sub"});
  EXPECT_THAT(shown.out, HasSubstr("Kind:          pending-csr\nSigning:       yes\n"));
  expectRefused({"cert", "csr", "export", "nope", "--out", path("x.csr")},
                "export signing request nope: no pending signing request of that name");
  expectRefused({"cert", "csr", "new", "sub", "--cn", "again"},
                "create signing request sub: a pending signing request of that name exists");
  expectRefused({"cert", "import", "sub", "--cert", path("sub.csr")},
                "import certificate sub: parse certificate " + path("sub.csr") +
                    ": no CERTIFICATE block in PEM input");
}

TEST_F(CertCommandsTest, ImportsPkcs12MadeByOpensslNamingItBaseNamePlusAlias) {
  makeOpensslPki();
  spit(dir_ / "p12pw", "p12pass\n");
  openssl({"pkcs12", "-export", "-in", path("leaf.pem"), "-inkey", path("leaf.key"), "-certfile",
           path("root.pem"), "-name", "-www", "-passout", "pass:p12pass", "-out",
           path("leaf.p12")});
  ok({"cert", "list"});  // creates the keystore
  expectRefused({"cert", "import", "site", "--cert", path("leaf.p12"), "--format", "pkcs12",
                 "--password-file", path("wrongpw")},
                "import certificate site: parse PKCS#12 " + path("leaf.p12") +
                    ": wrong password (MAC verification failed)");
  Outcome r = ok({"cert", "import", "site", "--cert", path("leaf.p12"), "--password-file",
                  path("p12pw"), "--exportable"});
  EXPECT_EQ(r.out, "imported certificate site-www: CN=leaf (No Trust Anchor)\n");
  Outcome shown = ok({"cert", "show", "site-www"});
  EXPECT_THAT(shown.out, HasSubstr("Chain:         1 certificate(s)\n  [1] CN=Test Root"));

  // Our PKCS#12 export opens in openssl with the key.
  ok({"cert", "export", "site-www", "--out", path("out.p12"), "--format", "pkcs12", "--with-key",
      "--password-file", path("pw")});
  Outcome info =
      openssl({"pkcs12", "-in", path("out.p12"), "-passin", "file:" + path("pw"), "-nodes"});
  EXPECT_THAT(info.out, HasSubstr("friendlyName: site-www"));
  EXPECT_THAT(info.out, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_THAT(info.out, HasSubstr("subject=CN = Test Root"));
}

TEST_F(CertCommandsTest, EncryptedKeyWithAWrongPasswordFailsNamingTheFile) {
  makeEncryptedKeyPair();
  ok({"cert", "list"});
  expectRefused({"cert", "import", "srv", "--cert", path("srv.pem"), "--key", path("enc.key"),
                 "--password-file", path("wrongpw")},
                "import certificate srv: load private key " + path("enc.key") +
                    ": wrong password (or the encrypted key is corrupt)");
  expectRefused({"cert", "import", "srv", "--cert", path("srv.pem"), "--key", path("enc.key")},
                "import certificate srv: load private key " + path("enc.key") +
                    ": the key is encrypted; give its password");
  expectRefused({"cert", "import", "srv", "--cert", path("srv.pem")},
                "import certificate srv: no private key: " + path("srv.pem") +
                    " holds none, no key file was given, and there is no pending signing request "
                    "named srv");
  Outcome r = ok({"cert", "import", "srv", "--cert", path("srv.pem"), "--key", path("enc.key"),
                  "--password-file", path("pw")});
  EXPECT_EQ(r.out, "imported certificate srv: CN=srv (Valid)\n");
}

TEST_F(CertCommandsTest, ImportsDerCertificateAndKey) {
  makeOpensslPki();
  openssl({"x509", "-in", path("leaf.pem"), "-outform", "DER", "-out", path("leaf.der")});
  openssl({"pkey", "-in", path("leaf.key"), "-outform", "DER", "-out", path("leaf.key.der")});
  ok({"ca", "import", "root", "--cert", path("root.pem")});
  Outcome r = ok({"cert", "import", "leaf", "--cert", path("leaf.der"), "--key",
                  path("leaf.key.der"), "--format", "der"});
  EXPECT_EQ(r.out, "imported certificate leaf: CN=leaf (Valid)\n");
  expectRefused({"cert", "import", "other", "--cert", path("leaf.pem"), "--format", "der", "--key",
                 path("leaf.key")},
                "import certificate other: parse certificate " + path("leaf.pem") +
                    ": not a PEM or DER certificate");
  expectRefused({"cert", "import", "other", "--cert", path("leaf.der"), "--format", "xml"},
                "import certificate other: format \"xml\": expected pem, der or pkcs12");
  expectRefused(
      {"cert", "import", "other", "--cert", path("missing.pem")},
      "import certificate other: read " + path("missing.pem") + ": No such file or directory");
  expectRefused({"cert", "import", "other", "--cert", path("leaf.pem"), "--key", path("root.key")},
                "import certificate other: the private key " + path("root.key") +
                    " does not match the certificate in " + path("leaf.pem"));
}

TEST_F(CertCommandsTest, ListShowExportAndDelete) {
  ok({"cert", "new-signing", "locked", "--cn", "Locked", "--key", "ec:prime256v1"});
  Outcome list = ok({"cert", "list"});
  EXPECT_THAT(list.out, StartsWith("NAME    SUBJECT    ISSUER     KEY                  NOT AFTER"
                                   "             STATUS\nlocked  CN=Locked  CN=Locked  EC 256 "
                                   "(prime256v1)  "));
  EXPECT_THAT(list.out, HasSubstr("Z  Valid\n"));
  expectRefused({"cert", "export", "locked", "--out", path("x.pem"), "--with-key",
                 "--password-file", path("pw")},
                "export certificate locked: its private key is not exportable (it was created or "
                "imported without --exportable)");
  expectRefused({"cert", "export", "locked", "--out", path("x.pem"), "--with-key"},
                "export certificate locked: a password (--password-file, or \"password\" in a "
                "REST request) is required to protect the exported key");
  expectRefused({"cert", "show", "nope"},
                "show certificate nope: no certificate or pending signing request of that name");
  expectRefused({"cert", "export", "nope", "--out", path("x.pem")},
                "export certificate nope: no certificate named nope");
  ok({"cert", "export", "locked", "--out", path("x.der"), "--format", "der"});
  Outcome der = openssl({"x509", "-inform", "DER", "-in", path("x.der"), "-noout", "-subject"});
  EXPECT_EQ(der.out, "subject=CN = Locked\n");
  ok({"cert", "delete", "locked"});
  EXPECT_EQ(ok({"cert", "list"}).out, "NAME  SUBJECT  ISSUER  KEY  NOT AFTER  STATUS\n");
  expectRefused({"cert", "delete", "locked"},
                "delete certificate locked: no certificate or pending signing request of that "
                "name");
}

TEST_F(CertCommandsTest, DeleteIsRefusedWhileTheConfigReferencesTheCertificate) {
  makeOpensslPki();
  ok({"cert", "new-signing", "corp", "--cn", "Corp", "--key", "ec:prime256v1"});
  ok({"ca", "import", "Corp Root", "--cert", path("root.pem")});
  writeConfig(true,
              "ssl:\n  client-proxies:\n    - name: outbound\n      signing-certificate: corp\n"
              "      detection-ports: [\"443\"]\n  trust-stores:\n    - name: corp-ts\n"
              "      ca-certificates: [Corp Root]\n");
  expectRefused({"cert", "delete", "corp"}, "delete certificate corp: the configuration " +
                                                path("vtps.yaml") +
                                                " references it; remove the reference first");
  expectRefused({"ca", "delete", "Corp Root"},
                "delete CA certificate Corp Root: the configuration " + path("vtps.yaml") +
                    " references it in a trust store; remove the reference first");
  writeConfig(true, "");
  ok({"cert", "delete", "corp"});
  ok({"ca", "delete", "Corp Root"});
}

TEST_F(CertCommandsTest, ReplaceKeepsTheOldCertificateAsReplaced) {
  makeEncryptedKeyPair();
  ok({"cert", "import", "srv", "--cert", path("srv.pem"), "--key", path("enc.key"),
      "--password-file", path("pw")});
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", path("new.key"), "-out", path("new.pem"), "-subj", "/CN=srv2", "-days",
           "60"});
  expectRefused({"cert", "replace", "srv", "--cert", path("new.pem")},
                "replace certificate srv: " + path("new.pem") +
                    " does not match the current key of srv; give the new certificate's key");
  Outcome r = ok({"cert", "replace", "srv", "--cert", path("new.pem"), "--key", path("new.key")});
  EXPECT_EQ(r.out,
            "replaced certificate srv: CN=srv2 (Valid); the previous one is now srv_REPLACED\n");
  Outcome old = ok({"cert", "show", "srv_REPLACED"});
  EXPECT_THAT(old.out, HasSubstr("Subject:       CN=srv\n"));
  expectRefused({"cert", "replace", "srv", "--cert", path("new.pem"), "--key", path("new.key")},
                "replace certificate srv: \"srv_REPLACED\" already exists; delete it before "
                "replacing srv again");
  expectRefused({"cert", "replace", "nope", "--cert", path("new.pem"), "--key", path("new.key")},
                "replace certificate nope: no certificate of that name");
}

TEST_F(CertCommandsTest, CaImportListAndDelete) {
  makeOpensslPki();
  Outcome imported = ok({"ca", "import", "Test Root", "--cert", path("root.pem")});
  EXPECT_EQ(imported.out, "imported CA certificate Test Root: CN=Test Root (Valid)\n");
  expectRefused({"ca", "import", "ca", "--cert", path("root.pem")},
                "CA name \"ca\": the name ca is reserved");
  expectRefused({"ca", "import", "root.pem", "--cert", path("root.pem")},
                "CA name \"root.pem\": use 1 to 128 letters, digits, hyphens, underscores or "
                "spaces, starting with a letter or digit and not ending with a space");
  expectRefused({"ca", "import", "Test Root", "--cert", path("root.pem")},
                "import CA certificate Test Root: a CA certificate of that name already exists");
  expectRefused({"ca", "import", "junk", "--cert", path("root.key")},
                "import CA certificate junk: parse certificate " + path("root.key") +
                    ": no CERTIFICATE block in PEM input");
  expectRefused({"ca", "delete", "nope"},
                "delete CA certificate nope: no CA certificate of that name");

  // Keys inside a PKCS#12 file are ignored.
  openssl({"pkcs12", "-export", "-in", path("leaf.pem"), "-inkey", path("leaf.key"), "-certfile",
           path("root.pem"), "-passout", "pass:s3cret", "-out", path("bundle.p12")});
  Outcome p12 = ok({"ca", "import", "bundle", "--cert", path("bundle.p12"), "--format", "pkcs12",
                    "--password-file", path("pw")});
  EXPECT_EQ(p12.out, "imported CA certificate bundle: CN=leaf (Valid, 2 certificates)\n");
  EXPECT_EQ(slurp(store_ / "cas" / "bundle.pem").find("PRIVATE KEY"), std::string::npos);

  Outcome list = ok({"ca", "list"});
  EXPECT_THAT(list.out, HasSubstr("Test Root  CN=Test Root"));
  EXPECT_THAT(list.out, HasSubstr("\nDefault CA package /etc/ssl/certs/ca-certificates.crt "
                                  "(read-only): "));
  EXPECT_THAT(list.out, HasSubstr("ISRG Root X1"));
  Outcome short_list = ok({"ca", "list", "--no-default"});
  EXPECT_EQ(short_list.out.find("Default CA package"), std::string::npos);
  ok({"ca", "delete", "Test Root"});
  EXPECT_FALSE(fs::exists(store_ / "cas" / "Test Root.pem"));
}

TEST_F(CertCommandsTest, PersistPrivateKeysOffRefusesOfflineKeyCommands) {
  makeOpensslPki();
  writeConfig(false, "");
  ok({"cert", "list"});
  const std::string kWhy =
      ": persist-private-keys is off, so private keys live only in the running vtpsd's memory and "
      "this offline command cannot create, import or read one; hand keys to vtpsd with vtpsctl "
      "cert supply-key, or create and import through its REST API (see docs/keystore.md)";
  expectRefused({"cert", "new-signing", "corp", "--cn", "Corp"},
                "create signing certificate corp" + kWhy);
  expectRefused({"cert", "csr", "new", "web", "--cn", "web"}, "create signing request web" + kWhy);
  expectRefused({"cert", "import", "leaf", "--cert", path("leaf.pem"), "--key", path("leaf.key")},
                "import certificate leaf" + kWhy);
  expectRefused({"cert", "replace", "leaf", "--cert", path("leaf.pem")},
                "replace certificate leaf" + kWhy);
  ok({"ca", "import", "root", "--cert", path("root.pem")});
  EXPECT_FALSE(fs::exists(store_ / "master.key")) << "no key is ever sealed in this mode";
}

// Offline changes go to device.log-dir/audit.log as vtpsd's own do: actor, digests, refusals.
TEST_F(CertCommandsTest, OfflineChangesAreAuditedWithDigestsAndRefusals) {
  ok({"cert", "new-signing", "corp", "--cn", "Corp", "--key", "ec:prime256v1"});
  expectRefused({"cert", "new-signing", "corp", "--cn", "Corp"},
                "create signing certificate corp: a certificate of that name already exists");
  ok({"cert", "delete", "corp"});
  std::vector<std::string> lines;
  std::istringstream in(slurp(dir_ / "log" / "audit.log"));
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << slurp(dir_ / "log" / "audit.log");
  auto field = [](const std::string& line, const std::string& key) {
    auto at = line.find("\"" + key + "\":\"");
    if (at == std::string::npos) return std::string("<none>");
    at += key.size() + 4;
    return line.substr(at, line.find('"', at) - at);
  };
  EXPECT_EQ(field(lines[0], "actor"), "root via vtpsctl");
  EXPECT_EQ(field(lines[0], "action"), "cert-new-signing");
  EXPECT_EQ(field(lines[0], "object"), "corp");
  EXPECT_EQ(field(lines[0], "result"), "ok");
  EXPECT_EQ(field(lines[0], "sha256_before").size(), 64u);
  EXPECT_NE(field(lines[0], "sha256_before"), field(lines[0], "sha256_after"));
  EXPECT_EQ(field(lines[1], "result"), "refused");
  EXPECT_EQ(field(lines[1], "error"),
            "create signing certificate corp: a certificate of that name already exists");
  EXPECT_EQ(field(lines[1], "sha256_before"), field(lines[1], "sha256_after"));
  EXPECT_EQ(field(lines[2], "action"), "cert-delete");
  EXPECT_EQ(field(lines[2], "sha256_after"), field(lines[0], "sha256_before"));
}

TEST_F(CertCommandsTest, UsageErrorsExitWithTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"cert"},
           {"cert", "new-signing", "x"},
           {"cert", "new-signing", "--cn", "x"},
           {"cert", "new-signing", "x", "--cn", "x", "--days", "many"},
           {"cert", "import", "x"},
           {"cert", "csr", "export", "x"},
           {"cert", "frobnicate"},
           {"ca", "import", "x"},
           {"ca", "list", "--bogus"},
       }) {
    Outcome r = vtpsctl(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace vtps::cli
