#include "dataplane/filter/filter_event.h"

#include <gtest/gtest.h>

namespace vtps::filter {
namespace {

TEST(FilterEventTest, FormatsSignatureEventsAsOneJsonLine) {
  FilterEvent e;
  e.time_unix_ms = 1700000000000;
  e.log = FilterLog::kBlock;
  e.stage = FilterStage::kSignature;
  e.action = "drop";
  e.reason = "signature 1: attack in URI";
  e.ssl_inspect = true;
  e.sid = 1;
  e.priority = 3;
  e.msg = "attack in URI";
  e.profile = "default";
  e.policy = "web1-in";
  e.proxy = "web1";
  e.client_address = "10.10.1.5";
  e.client_port = 40000;
  e.server_address = "10.10.2.2";
  e.server_port = 443;
  e.direction = "client-to-server";
  e.http_method = "GET";
  e.http_host = "www.example.com";
  e.http_uri = "/attack";
  EXPECT_EQ(toJsonLine(e),
            R"({"time":1700000000000,"log":"block","stage":"signature","action":"drop",)"
            R"("reason":"signature 1: attack in URI","ssl_inspect":true,"sid":1,"rev":0,)"
            R"("priority":3,"msg":"attack in URI","classtype":"","profile":"default",)"
            R"("policy":"web1-in","proxy":"web1","client":"10.10.1.5:40000",)"
            R"("server":"10.10.2.2:443","direction":"client-to-server","http_method":"GET",)"
            R"("http_host":"www.example.com","http_uri":"/attack","traced":false})");
}

TEST(FilterEventTest, FormatsReputationEventsAndSurvivesInvalidUtf8) {
  FilterEvent e;
  e.log = FilterLog::kAlert;
  e.stage = FilterStage::kReputation;
  e.action = "permit+notify";
  e.filter = "bad.example/x";
  e.score = 60;
  e.http_uri = "/\xff\xfe";  // raw bytes from the network
  std::string line = toJsonLine(e);
  EXPECT_NE(line.find(R"("log":"alert","stage":"reputation","action":"permit+notify")"),
            std::string::npos);
  EXPECT_NE(line.find(R"("ssl_inspect":false,"filter":"bad.example/x","score":60)"),
            std::string::npos);
  EXPECT_NE(line.find("\"http_uri\":\"/\xEF\xBF\xBD\xEF\xBF\xBD\""), std::string::npos) << line;
  EXPECT_EQ(line.find("\"sid\""), std::string::npos);
}

TEST(FilterEventTest, NamesEveryCounter) {
  FilterCounters c;
  c.add(FilterCounters::kSignatureBlocked, 2);
  auto snap = c.snapshot();
  ASSERT_EQ(snap.size(), static_cast<size_t>(FilterCounters::kCount));
  EXPECT_EQ(snap.front().first, "sessions");
  EXPECT_EQ(snap.back().first, "scan_errors");
  for (const auto& [name, value] : snap) {
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(value, name == "signature_blocked" ? 2u : 0u);
  }
}

}  // namespace
}  // namespace vtps::filter
