#include "crypto/tls/tls_names.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

namespace vtps::tls {
namespace {

TEST(TlsNamesTest, VersionNamesRoundTrip) {
  for (auto v : {TlsVersion::kSsl3, TlsVersion::kTls10, TlsVersion::kTls11, TlsVersion::kTls12,
                 TlsVersion::kTls13}) {
    EXPECT_EQ(parseVersionName(versionName(v)), v);
    EXPECT_EQ(fromOpensslVersion(opensslVersion(v)), v);
  }
  EXPECT_EQ(versionName(TlsVersion::kTls10), "TLSv1.0");
  EXPECT_EQ(versionName(TlsVersion::kTls13), "TLSv1.3");
  EXPECT_EQ(opensslVersion(TlsVersion::kTls12), TLS1_2_VERSION);
}

TEST(TlsNamesTest, ParseVersionNameAcceptsOpenSslSpellingAndRejectsOthers) {
  EXPECT_EQ(parseVersionName("TLSv1"), TlsVersion::kTls10);
  EXPECT_EQ(parseVersionName("SSLv3"), TlsVersion::kSsl3);
  EXPECT_EQ(parseVersionName("TLSv1.4"), std::nullopt);
  EXPECT_EQ(parseVersionName("tlsv1.2"), std::nullopt);
  EXPECT_EQ(fromOpensslVersion(0x0200), std::nullopt);
}

TEST(TlsNamesTest, AlertNamesFollowTheRfcs) {
  EXPECT_EQ(alertName(0), "close_notify");
  EXPECT_EQ(alertName(40), "handshake_failure");
  EXPECT_EQ(alertName(46), "certificate_unknown");
  EXPECT_EQ(alertName(48), "unknown_ca");
  EXPECT_EQ(alertName(70), "protocol_version");
  EXPECT_EQ(alertName(100), "no_renegotiation");
  EXPECT_EQ(alertName(116), "certificate_required");
  EXPECT_EQ(alertName(120), "no_application_protocol");
  EXPECT_EQ(alertName(7), "unknown_alert");
  EXPECT_EQ(alertName(-1), "unknown_alert");
}

TEST(TlsNamesTest, ReceivedAlertIsRecoveredFromTheErrorCode) {
  EXPECT_EQ(receivedAlertOf(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN)), 46);
  EXPECT_EQ(receivedAlertOf(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_TLSV1_ALERT_UNKNOWN_CA)), 48);
  EXPECT_EQ(receivedAlertOf(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_NO_SHARED_CIPHER)), std::nullopt);
  EXPECT_EQ(receivedAlertOf(ERR_PACK(ERR_LIB_X509, 0, 1046)), std::nullopt);  // not libssl
  EXPECT_EQ(receivedAlertOf(0), std::nullopt);
}

TEST(TlsNamesTest, NegotiatedNamesAreEmptyBeforeAHandshake) {
  EXPECT_EQ(negotiatedVersionName(nullptr), "unknown");
  EXPECT_EQ(negotiatedCipherName(nullptr), "");
  EXPECT_EQ(negotiatedAlpn(nullptr), "");
}

TEST(ProtocolRangeTest, ContiguousSetsBecomeRanges) {
  const TlsVersion set[] = {TlsVersion::kTls13, TlsVersion::kTls12};
  auto range = protocolRangeOf(set);
  ASSERT_TRUE(range.ok()) << range.message();
  EXPECT_EQ(*range, (ProtocolRange{TlsVersion::kTls12, TlsVersion::kTls13}));
  EXPECT_FALSE(range->includesLegacy());
  EXPECT_TRUE(range->includes(TlsVersion::kTls12));
  EXPECT_FALSE(range->includes(TlsVersion::kTls11));

  const TlsVersion one[] = {TlsVersion::kTls10};
  auto legacy = protocolRangeOf(one);
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(legacy->includesLegacy());
}

TEST(ProtocolRangeTest, GapsAndEmptySetsAreRefused) {
  const TlsVersion gap[] = {TlsVersion::kTls10, TlsVersion::kTls12, TlsVersion::kTls13};
  auto range = protocolRangeOf(gap);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.message(),
            "protocols: TLSv1.0 and TLSv1.3 are enabled but TLSv1.1 is not; the enabled "
            "protocols must be contiguous");
  auto none = protocolRangeOf({});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.message(), "protocols: none enabled");
}

}  // namespace
}  // namespace vtps::tls
