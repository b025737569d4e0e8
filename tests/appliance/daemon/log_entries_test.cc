#include "appliance/telemetry/log_entries.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vtps::telemetry {
namespace {

proxy::SessionRecord sampleRecord() {
  proxy::SessionRecord r;
  r.start_unix_ms = 1700000000123;
  r.duration_s = 1.23456;
  r.context.profile = "default";
  r.context.policy = "web1-in";
  r.context.proxy = "web1";
  r.context.service = config::DecryptedService::kHttp;
  r.context.client_address = "10.10.1.10";
  r.context.client_port = 40000;
  r.context.server_address = "10.10.2.2";
  r.context.server_port = 443;
  r.context.sni = "web1.test";
  r.decision = proxy::Decision::kDecrypted;
  r.reason = "server policy";
  r.client_version = "TLSv1.3";
  r.client_cipher = "TLS_AES_128_GCM_SHA256";
  r.server_version = "TLSv1.2";
  r.server_cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
  r.bytes_client_to_server = 77;
  r.bytes_server_to_client = 10485760;
  r.logging_enabled = true;
  return r;
}

TEST(LogEntriesTest, SslEntryHasEveryDocumentedFieldInOrder) {
  Json j = sslLogEntry(sampleRecord());
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items())
    keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time",
                                            "profile",
                                            "policy",
                                            "proxy",
                                            "service",
                                            "client_address",
                                            "client_port",
                                            "server_address",
                                            "server_port",
                                            "sni",
                                            "client_version",
                                            "client_cipher",
                                            "server_version",
                                            "server_cipher",
                                            "server_resumed",
                                            "decision",
                                            "reason",
                                            "bytes_client_to_server",
                                            "bytes_server_to_client",
                                            "duration_s"}));
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["service"], "http");
  EXPECT_EQ(j["client_port"], 40000);
  EXPECT_EQ(j["server_address"], "10.10.2.2");
  EXPECT_EQ(j["sni"], "web1.test");
  EXPECT_EQ(j["server_cipher"], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(j["server_resumed"], false);
  EXPECT_EQ(j["decision"], "Decrypted");
  EXPECT_EQ(j["bytes_server_to_client"], 10485760);
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 1.235);
}

TEST(LogEntriesTest, DecisionsUseTheSslLogSpelling) {
  EXPECT_EQ(decisionText(proxy::Decision::kDecrypted), "Decrypted");
  EXPECT_EQ(decisionText(proxy::Decision::kDecryptedNotInspected), "Decrypted but not inspected");
  EXPECT_EQ(decisionText(proxy::Decision::kNotDecrypted), "Not decrypted");
  EXPECT_EQ(decisionText(proxy::Decision::kBypassed), "Bypassed");
  EXPECT_EQ(decisionText(proxy::Decision::kBlocked), "Blocked");
}

TEST(LogEntriesTest, SystemEntryCarriesSeverityEventAndMessage) {
  Json j = systemLogEntry("critical", "ssl-inspection", "threshold reached");
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items())
    keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "severity", "event", "message"}));
  EXPECT_EQ(j["severity"], "critical");
  EXPECT_EQ(j["event"], "ssl-inspection");
  EXPECT_EQ(j["message"], "threshold reached");
  EXPECT_EQ(j["time"].get<std::string>().size(), std::string("2023-11-14T22:13:20.123Z").size());
}

}  // namespace
}  // namespace vtps::telemetry
