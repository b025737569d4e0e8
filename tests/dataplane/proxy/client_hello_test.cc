#include "dataplane/proxy/client_hello.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "crypto/ossl.h"

namespace vtps::proxy {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& out, size_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

Bytes u16List(std::initializer_list<uint16_t> values, bool one_byte_length = false) {
  Bytes out;
  if (one_byte_length) {
    out.push_back(static_cast<uint8_t>(values.size() * 2));
  } else {
    put16(out, values.size() * 2);
  }
  for (uint16_t v : values)
    put16(out, v);
  return out;
}

Bytes sniExtension(std::initializer_list<std::string> host_names) {
  Bytes list;
  for (const std::string& name : host_names) {
    list.push_back(0);  // host_name
    put16(list, name.size());
    list.insert(list.end(), name.begin(), name.end());
  }
  Bytes out;
  put16(out, list.size());
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

Bytes alpnExtension(std::initializer_list<std::string> protocols) {
  Bytes list;
  for (const std::string& p : protocols) {
    list.push_back(static_cast<uint8_t>(p.size()));
    list.insert(list.end(), p.begin(), p.end());
  }
  Bytes out;
  put16(out, list.size());
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

// Builds ClientHellos byte by byte, so that every field and length can be set or broken.
class HelloBuilder {
 public:
  HelloBuilder& legacyVersion(uint16_t v) {
    legacy_version_ = v;
    return *this;
  }
  HelloBuilder& cipherSuites(Bytes suites) {
    suites_ = std::move(suites);
    return *this;
  }
  HelloBuilder& extension(uint16_t type, Bytes data) {
    put16(extensions_, type);
    put16(extensions_, data.size());
    extensions_.insert(extensions_.end(), data.begin(), data.end());
    return *this;
  }
  HelloBuilder& noExtensions() {
    omit_extensions_ = true;
    return *this;
  }

  // The handshake message: type, 24-bit length, body.
  Bytes message() const {
    Bytes body;
    put16(body, legacy_version_);
    body.insert(body.end(), 32, 0x5a);  // random
    body.push_back(0);                  // empty legacy_session_id
    body.insert(body.end(), suites_.begin(), suites_.end());
    body.insert(body.end(), {1, 0});  // compression_methods: null
    if (!omit_extensions_) {
      put16(body, extensions_.size());
      body.insert(body.end(), extensions_.begin(), extensions_.end());
    }
    Bytes msg{1, static_cast<uint8_t>(body.size() >> 16)};
    put16(msg, body.size() & 0xffff);
    msg.insert(msg.end(), body.begin(), body.end());
    return msg;
  }

  Bytes records(size_t fragment = 16384) const { return toRecords(message(), fragment); }

  static Bytes toRecords(const Bytes& msg, size_t fragment, uint16_t version = 0x0301) {
    Bytes out;
    for (size_t off = 0; off < msg.size(); off += fragment) {
      size_t n = std::min(fragment, msg.size() - off);
      out.push_back(0x16);
      put16(out, version);
      put16(out, n);
      out.insert(out.end(), msg.begin() + static_cast<long>(off),
                 msg.begin() + static_cast<long>(off + n));
    }
    return out;
  }

 private:
  uint16_t legacy_version_ = 0x0303;
  Bytes suites_ = u16List({0x1301, 0xc02f});
  Bytes extensions_;
  bool omit_extensions_ = false;
};

// A ClientHello written by OpenSSL's client into a memory BIO.
Bytes opensslClientHello(int max_version, const char* sni, const Bytes& alpn_wire) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  EXPECT_NE(ctx, nullptr);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  ossl::SslPtr ssl(SSL_new(ctx.get()));
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), rbio, wbio);  // the SSL owns both BIOs from here
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl.get(), sni);
  if (!alpn_wire.empty()) {
    SSL_set_alpn_protos(ssl.get(), alpn_wire.data(), static_cast<unsigned>(alpn_wire.size()));
  }
  EXPECT_EQ(SSL_connect(ssl.get()), -1);
  EXPECT_EQ(SSL_get_error(ssl.get(), -1), SSL_ERROR_WANT_READ);
  char* data = nullptr;
  long n = BIO_get_mem_data(wbio, &data);
  return Bytes(data, data + n);
}

// What OpenSSL's server sees in the same bytes (client_hello callback), to check the parser
// against an independent implementation.
struct OpensslView {
  unsigned legacy_version = 0;
  std::vector<uint16_t> cipher_suites;
  std::vector<uint16_t> extensions;
};

int recordView(SSL* s, int* /*alert*/, void* arg) {
  auto* view = static_cast<OpensslView*>(arg);
  view->legacy_version = SSL_client_hello_get0_legacy_version(s);
  const unsigned char* suites = nullptr;
  size_t n = SSL_client_hello_get0_ciphers(s, &suites);
  for (size_t i = 0; i + 1 < n; i += 2) {
    view->cipher_suites.push_back(static_cast<uint16_t>(suites[i] << 8 | suites[i + 1]));
  }
  int* present = nullptr;
  size_t count = 0;
  if (SSL_client_hello_get1_extensions_present(s, &present, &count) == 1) {
    for (size_t i = 0; i < count; ++i)
      view->extensions.push_back(static_cast<uint16_t>(present[i]));
    OPENSSL_free(present);
  }
  return SSL_CLIENT_HELLO_ERROR;  // stop the handshake: the view is all the test needs
}

OpensslView opensslServerView(const Bytes& hello) {
  OpensslView view;
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_client_hello_cb(ctx.get(), recordView, &view);
  ossl::SslPtr ssl(SSL_new(ctx.get()));
  BIO* rbio = BIO_new_mem_buf(hello.data(), static_cast<int>(hello.size()));
  SSL_set_bio(ssl.get(), rbio, BIO_new(BIO_s_mem()));
  EXPECT_LE(SSL_accept(ssl.get()), 0);
  ossl::drainErrors();
  return view;
}

const Bytes kAlpnH2Http11{2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

bool contains(const std::vector<uint16_t>& v, uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(ClientHelloParserTest, ParsesOpensslTls13HelloWithSniAndAlpn) {
  Bytes bytes = opensslClientHello(TLS1_3_VERSION, "WWW.Example.COM", kAlpnH2Http11);
  ClientHelloParser parser;
  HelloParse r = parser.parse(bytes);
  ASSERT_EQ(r.status, HelloStatus::kOk) << r.reason;
  EXPECT_EQ(r.consumed, bytes.size());
  const ClientHello& h = parser.hello();
  EXPECT_EQ(h.record_version, 0x0301);
  EXPECT_EQ(h.legacy_version, 0x0303);
  EXPECT_TRUE(contains(h.supported_versions, 0x0304));
  EXPECT_TRUE(contains(h.supported_versions, 0x0303));
  EXPECT_EQ(highestOfferedVersion(h), 0x0304);
  EXPECT_EQ(h.sni, "www.example.com");
  EXPECT_EQ(h.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_TRUE(contains(h.cipher_suites, 0x1301));         // TLS_AES_128_GCM_SHA256
  EXPECT_TRUE(contains(h.signature_algorithms, 0x0804));  // rsa_pss_rsae_sha256
  EXPECT_TRUE(contains(h.supported_groups, 0x001d));      // x25519
  EXPECT_TRUE(h.has_key_share);
  EXPECT_EQ(h.key_share_groups, std::vector<uint16_t>{0x001d});
  EXPECT_TRUE(h.has_session_ticket);
  EXPECT_FALSE(h.has_pre_shared_key);
  EXPECT_EQ(h.compression_methods, Bytes{0});

  OpensslView view = opensslServerView(bytes);
  EXPECT_EQ(view.legacy_version, h.legacy_version);
  EXPECT_EQ(view.cipher_suites, h.cipher_suites);
  EXPECT_EQ(view.extensions, h.extensions);
}

TEST(ClientHelloParserTest, ParsesOpensslTls12HelloAndBuildsJa3) {
  Bytes bytes = opensslClientHello(TLS1_2_VERSION, "api.example.net", {});
  ClientHelloParser parser;
  ASSERT_EQ(parser.parse(bytes).status, HelloStatus::kOk);
  const ClientHello& h = parser.hello();
  EXPECT_TRUE(h.supported_versions.empty());
  EXPECT_EQ(highestOfferedVersion(h), 0x0303);
  EXPECT_FALSE(h.has_key_share);
  EXPECT_TRUE(h.alpn.empty());
  EXPECT_EQ(h.sni, "api.example.net");
  EXPECT_FALSE(contains(h.cipher_suites, 0x1301));
  EXPECT_EQ(h.ec_point_formats, (Bytes{0, 1, 2}));

  OpensslView view = opensslServerView(bytes);
  EXPECT_EQ(view.cipher_suites, h.cipher_suites);
  EXPECT_EQ(view.extensions, h.extensions);
  std::string expected = "771,";
  auto join = [](const std::vector<uint16_t>& v) {
    std::string s;
    for (uint16_t x : v)
      s += (s.empty() ? "" : "-") + std::to_string(x);
    return s;
  };
  expected += join(view.cipher_suites) + "," + join(view.extensions) + "," +
              join(h.supported_groups) + ",0-1-2";
  EXPECT_EQ(ja3String(h), expected);
}

TEST(ClientHelloParserTest, EveryTruncatedPrefixNeedsMore) {
  Bytes bytes = opensslClientHello(TLS1_3_VERSION, "example.com", kAlpnH2Http11);
  ClientHelloParser parser;
  for (size_t n = 0; n < bytes.size(); ++n) {
    HelloParse r = parser.parse(std::span(bytes).first(n));
    ASSERT_EQ(r.status, HelloStatus::kNeedMore) << "prefix " << n;
    ASSERT_GT(r.needed, n) << "prefix " << n;
    ASSERT_LE(r.needed, bytes.size()) << "prefix " << n;
  }
  EXPECT_EQ(parser.parse({}).needed, 5U);
  EXPECT_EQ(parser.parse(std::span(bytes).first(5)).needed, bytes.size());
}

TEST(ClientHelloParserTest, ReassemblesHelloSpanningRecords) {
  Bytes single = opensslClientHello(TLS1_3_VERSION, "multi.example.com", kAlpnH2Http11);
  Bytes message(single.begin() + 5, single.end());
  Bytes split = HelloBuilder::toRecords(message, 100);
  ASSERT_GT(split.size(), single.size() + 5);  // several records
  ClientHelloParser parser;
  HelloParse r = parser.parse(split);
  ASSERT_EQ(r.status, HelloStatus::kOk) << r.reason;
  EXPECT_EQ(r.consumed, split.size());
  ClientHello fragmented = parser.hello();
  ASSERT_EQ(parser.parse(single).status, HelloStatus::kOk);
  EXPECT_EQ(fragmented.sni, "multi.example.com");
  EXPECT_EQ(fragmented.extensions, parser.hello().extensions);
  EXPECT_EQ(fragmented.cipher_suites, parser.hello().cipher_suites);
  for (size_t n = 0; n < split.size(); ++n) {
    HelloParse partial = parser.parse(std::span(split).first(n));
    ASSERT_EQ(partial.status, HelloStatus::kNeedMore) << "prefix " << n;
    ASSERT_GT(partial.needed, n) << "prefix " << n;
  }
  // A 1-byte first record: the handshake header itself is split.
  Bytes tiny = HelloBuilder::toRecords(Bytes(message.begin(), message.begin() + 1), 1);
  Bytes rest = HelloBuilder::toRecords(Bytes(message.begin() + 1, message.end()), 16384);
  tiny.insert(tiny.end(), rest.begin(), rest.end());
  EXPECT_EQ(parser.parse(tiny).status, HelloStatus::kOk);
}

TEST(ClientHelloParserTest, StopsAtTheEndOfTheHello) {
  Bytes bytes = HelloBuilder().extension(0, sniExtension({"a.example"})).records();
  size_t hello_size = bytes.size();
  bytes.insert(bytes.end(), {0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb});  // early data record
  ClientHelloParser parser;
  HelloParse r = parser.parse(bytes);
  ASSERT_EQ(r.status, HelloStatus::kOk) << r.reason;
  EXPECT_EQ(r.consumed, hello_size);
}

TEST(ClientHelloParserTest, RejectsCleartextAsNotTls) {
  ClientHelloParser parser;
  std::string get = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
  HelloParse r = parser.parse(std::span(reinterpret_cast<const uint8_t*>(get.data()), get.size()));
  EXPECT_EQ(r.status, HelloStatus::kNotTls);
  EXPECT_EQ(r.reason, "first byte is not a TLS handshake record (0x16)");
  // One byte is enough to decide.
  EXPECT_EQ(parser.parse(Bytes{'G'}).status, HelloStatus::kNotTls);
  r = parser.parse(Bytes{0x16, 0x00});
  EXPECT_EQ(r.status, HelloStatus::kNotTls);
  EXPECT_EQ(r.reason, "record version major is not 3");
  r = parser.parse(Bytes{0x16, 0x03, 0x09});
  EXPECT_EQ(r.status, HelloStatus::kNotTls);
  EXPECT_EQ(r.reason, "record version minor is above 4");
  EXPECT_EQ(parser.parse(Bytes{0x16, 0x03}).status, HelloStatus::kNeedMore);
}

HelloParse parseOnce(const Bytes& bytes) {
  ClientHelloParser parser;
  return parser.parse(bytes);
}

void expectMalformed(const Bytes& bytes, std::string_view reason) {
  HelloParse r = parseOnce(bytes);
  EXPECT_EQ(r.status, HelloStatus::kMalformed) << toString(r.status);
  EXPECT_EQ(r.reason, reason);
}

TEST(ClientHelloParserTest, RejectsCorruptedLengthsAsMalformed) {
  Bytes good = HelloBuilder().extension(0, sniExtension({"a.example"})).records();
  ASSERT_EQ(parseOnce(good).status, HelloStatus::kOk);

  expectMalformed(HelloBuilder().cipherSuites({0, 3, 0x13, 0x01, 0x00}).records(),
                  "cipher_suites length is invalid");
  expectMalformed(HelloBuilder().cipherSuites({0, 0}).records(), "cipher_suites length is invalid");

  Bytes long_ext = good;
  long_ext[long_ext.size() - 19] += 1;  // extensions block length, one too many
  expectMalformed(long_ext, "extensions length is invalid");

  Bytes sni_overrun = HelloBuilder().extension(0, {0x00, 0x10, 0x00, 0x00, 0x01, 'a'}).records();
  expectMalformed(sni_overrun, "server_name list length is invalid");

  Bytes empty_record{0x16, 0x03, 0x01, 0x00, 0x00};
  expectMalformed(empty_record, "handshake record is empty");
  expectMalformed(Bytes{0x16, 0x03, 0x01, 0x40, 0x01}, "record is longer than 16384 bytes");
  expectMalformed(Bytes{0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00},
                  "ClientHello is longer than 16 KiB");
  expectMalformed(Bytes{0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00},
                  "first handshake message is not a ClientHello");
  expectMalformed(HelloBuilder().legacyVersion(0x0203).records(), "legacy_version major is not 3");
  expectMalformed(HelloBuilder::toRecords({1, 0, 0, 3, 3, 3, 0}, 16384),
                  "ClientHello random is truncated");
}

TEST(ClientHelloParserTest, AcceptsHelloWithoutExtensions) {
  ClientHelloParser parser;
  HelloParse r = parser.parse(HelloBuilder().noExtensions().records());
  ASSERT_EQ(r.status, HelloStatus::kOk) << r.reason;
  EXPECT_TRUE(parser.hello().extensions.empty());
  EXPECT_EQ(parser.hello().sni, "");
  EXPECT_EQ(ja3String(parser.hello()), "771,4865-49199,,,");
}

TEST(ClientHelloParserTest, RejectsBadRecordSequences) {
  Bytes message = HelloBuilder().extension(0, sniExtension({"a.example"})).message();
  Bytes interleaved = HelloBuilder::toRecords(Bytes(message.begin(), message.begin() + 10), 10);
  interleaved.insert(interleaved.end(), {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28});  // alert
  expectMalformed(interleaved, "ClientHello is interleaved with a non-handshake record");
  expectMalformed(HelloBuilder::toRecords(message, 2), "ClientHello spans more than 16 records");
  EXPECT_EQ(parseOnce(HelloBuilder::toRecords(message, message.size() / 16 + 1)).status,
            HelloStatus::kOk);
}

TEST(ClientHelloParserTest, KeepsGreaseRawButIgnoresItInDecisions) {
  Bytes bytes = HelloBuilder()
                    .cipherSuites(u16List({0x0a0a, 0x1301, 0xc02f}))
                    .extension(0x1a1a, {})
                    .extension(0, sniExtension({"grease.example"}))
                    .extension(10, u16List({0x2a2a, 29, 23}))
                    .extension(11, {1, 0})
                    .extension(43, u16List({0x3a3a, 0x0304, 0x0303}, true))
                    .extension(51, {0, 9, 0x2a, 0x2a, 0, 1, 0, 0, 29, 0, 0})
                    .records();
  HelloParse r = parseOnce(bytes);
  ASSERT_EQ(r.status, HelloStatus::kMalformed);  // the x25519 key share above is empty
  EXPECT_EQ(r.reason, "key_share entry is empty or truncated");

  bytes = HelloBuilder()
              .cipherSuites(u16List({0x0a0a, 0x1301, 0xc02f}))
              .extension(0x1a1a, {})
              .extension(0, sniExtension({"grease.example"}))
              .extension(10, u16List({0x2a2a, 29, 23}))
              .extension(11, {1, 0})
              .extension(43, u16List({0x3a3a, 0x0304, 0x0303}, true))
              .extension(51, {0, 10, 0x2a, 0x2a, 0, 1, 0, 0, 29, 0, 1, 0x77})
              .records();
  ClientHelloParser parser;
  r = parser.parse(bytes);
  ASSERT_EQ(r.status, HelloStatus::kOk) << r.reason;
  const ClientHello& h = parser.hello();
  EXPECT_EQ(h.cipher_suites, (std::vector<uint16_t>{0x0a0a, 0x1301, 0xc02f}));
  EXPECT_EQ(h.extensions, (std::vector<uint16_t>{0x1a1a, 0, 10, 11, 43, 51}));
  EXPECT_EQ(h.supported_versions, (std::vector<uint16_t>{0x3a3a, 0x0304, 0x0303}));
  EXPECT_EQ(h.key_share_groups, (std::vector<uint16_t>{0x2a2a, 29}));
  EXPECT_EQ(highestOfferedVersion(h), 0x0304);
  EXPECT_EQ(ja3String(h), "771,4865-49199,0-10-11-43-51,29-23,0");
  EXPECT_TRUE(isGrease(0xfafa));
  EXPECT_FALSE(isGrease(0x0a1a));
  EXPECT_FALSE(isGrease(0x1301));
}

TEST(ClientHelloParserTest, ValidatesAndNormalizesSni) {
  ClientHelloParser parser;
  ASSERT_EQ(parser.parse(HelloBuilder().extension(0, sniExtension({"Mail.Example.ORG."})).records())
                .status,
            HelloStatus::kOk);
  EXPECT_EQ(parser.hello().sni, "mail.example.org");
  std::string longest(255, 'a');
  ASSERT_EQ(parser.parse(HelloBuilder().extension(0, sniExtension({longest})).records()).status,
            HelloStatus::kOk);
  EXPECT_EQ(parser.hello().sni, longest);

  expectMalformed(HelloBuilder().extension(0, sniExtension({std::string(256, 'a')})).records(),
                  "SNI host_name is longer than 255 bytes");
  expectMalformed(HelloBuilder().extension(0, sniExtension({"bad host.example"})).records(),
                  "SNI host_name has a character outside [A-Za-z0-9._-]");
  expectMalformed(HelloBuilder().extension(0, sniExtension({std::string("nul\0x", 5)})).records(),
                  "SNI host_name has a character outside [A-Za-z0-9._-]");
  expectMalformed(HelloBuilder().extension(0, sniExtension({"a..example"})).records(),
                  "SNI host_name has an empty label");
  expectMalformed(HelloBuilder().extension(0, sniExtension({"."})).records(),
                  "SNI host_name is empty");
  expectMalformed(HelloBuilder().extension(0, sniExtension({"a.example", "b.example"})).records(),
                  "server_name has more than one host_name");
}

TEST(ClientHelloParserTest, ParsesAlpnAndRejectsEmptyProtocolNames) {
  ClientHelloParser parser;
  ASSERT_EQ(parser.parse(HelloBuilder().extension(16, alpnExtension({"h2", "http/1.1"})).records())
                .status,
            HelloStatus::kOk);
  EXPECT_EQ(parser.hello().alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  expectMalformed(HelloBuilder().extension(16, alpnExtension({"h2", ""})).records(),
                  "ALPN protocol name is empty or truncated");
  expectMalformed(HelloBuilder().extension(16, {0, 0}).records(), "ALPN list length is invalid");
}

TEST(ClientHelloParserTest, RejectsDuplicateExtensionsAndMisplacedPsk) {
  expectMalformed(HelloBuilder().extension(23, {}).extension(23, {}).records(),
                  "extension appears twice");
  expectMalformed(HelloBuilder().extension(41, {0, 0}).extension(23, {}).records(),
                  "pre_shared_key is not the last extension");
  ClientHelloParser parser;
  ASSERT_EQ(parser.parse(HelloBuilder().extension(35, {}).extension(41, {0, 0}).records()).status,
            HelloStatus::kOk);
  EXPECT_TRUE(parser.hello().has_session_ticket);
  EXPECT_TRUE(parser.hello().has_pre_shared_key);
}

TEST(ClientHelloParserTest, ReportsSslV2CompatibleHelloSeparately) {
  // RFC 5246 E.2: 2-byte header, CLIENT-HELLO, version 3.1, three cipher specs (one SSLv2-only).
  Bytes v2{0x80, 0x00, 0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00,
           0x10, 0x00, 0x00, 0x2f, 0x07, 0x00, 0xc0, 0x00, 0xc0, 0x2f};
  v2.insert(v2.end(), 16, 0xcc);  // challenge
  v2[1] = static_cast<uint8_t>(v2.size() - 2);
  ClientHelloParser parser;
  HelloParse r = parser.parse(v2);
  ASSERT_EQ(r.status, HelloStatus::kSslV2Compat) << r.reason;
  EXPECT_EQ(r.consumed, v2.size());
  EXPECT_EQ(parser.hello().record_version, 0x0002);
  EXPECT_EQ(parser.hello().legacy_version, 0x0301);
  EXPECT_EQ(parser.hello().cipher_suites, (std::vector<uint16_t>{0x002f, 0xc02f}));
  EXPECT_EQ(parser.parse(std::span(v2).first(20)).needed, v2.size());

  Bytes pure_v2 = v2;
  pure_v2[3] = 0x00;
  pure_v2[4] = 0x02;
  r = parser.parse(pure_v2);
  EXPECT_EQ(r.status, HelloStatus::kNotTls);
  EXPECT_EQ(r.reason, "SSLv2 CLIENT-HELLO offers no TLS version");
  Bytes bad_lengths = v2;
  bad_lengths[10] = 0x11;  // challenge length no longer adds up
  expectMalformed(bad_lengths, "SSLv2-compatible hello field lengths are invalid");
}

TEST(ClientHelloParserTest, ResetsStateBetweenParses) {
  ClientHelloParser parser;
  ASSERT_EQ(
      parser.parse(HelloBuilder().extension(0, sniExtension({"first.example"})).records()).status,
      HelloStatus::kOk);
  EXPECT_EQ(parser.hello().sni, "first.example");
  EXPECT_EQ(parser.parse(Bytes{'x'}).status, HelloStatus::kNotTls);
  EXPECT_EQ(parser.hello().sni, "");
  EXPECT_TRUE(parser.hello().cipher_suites.empty());
}

}  // namespace
}  // namespace vtps::proxy
