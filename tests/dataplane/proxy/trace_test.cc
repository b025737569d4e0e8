// The tracer's switch: off by default and cheap (the message is not even built), levels include
// the ones below them, flags select, a profile narrows session points, events reach the sink.
#include "dataplane/proxy/trace.h"

#include <gtest/gtest.h>

#include <vector>

namespace vtps::proxy {
namespace {

struct Ctx {
  std::string profile;
  std::string client_address = "10.10.1.10";
  uint16_t client_port = 40000;
  std::string server_address = "10.10.2.2";
  uint16_t server_port = 443;
};

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tracer::instance().setSink([this](const TraceEvent& e) { events_.push_back(e); });
  }
  void TearDown() override {
    Tracer::instance().configure({});
    Tracer::instance().setSink(nullptr);
  }
  std::vector<TraceEvent> events_;
};

TEST_F(TraceTest, OffByDefaultAndTheMessageIsNotBuilt) {
  int built = 0;
  traceSession(TraceFlag::kProxy, TraceLevel::kBrief, Ctx{}, [&] {
    ++built;
    return std::string("x");
  });
  EXPECT_EQ(built, 0);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(Tracer::instance().options().level, TraceLevel::kOff);
}

TEST_F(TraceTest, LevelsIncludeLowerOnesAndFlagsSelect) {
  TraceOptions o;
  o.level = TraceLevel::kDetail;
  o.flags = static_cast<uint8_t>(TraceFlag::kProxy) | static_cast<uint8_t>(TraceFlag::kTermination);
  Tracer::instance().configure(o);
  Tracer& t = Tracer::instance();
  EXPECT_TRUE(t.on(TraceFlag::kProxy, TraceLevel::kBrief));
  EXPECT_TRUE(t.on(TraceFlag::kTermination, TraceLevel::kDetail));
  EXPECT_FALSE(t.on(TraceFlag::kProxy, TraceLevel::kExtensive));
  EXPECT_FALSE(t.on(TraceFlag::kInitiation, TraceLevel::kBrief));
  EXPECT_FALSE(t.on(TraceFlag::kConfiguration, TraceLevel::kBrief));
  traceSession(TraceFlag::kProxy, TraceLevel::kDetail, Ctx{"default"},
               [] { return std::string("upstream connected"); });
  traceEvent(TraceFlag::kConfiguration, TraceLevel::kBrief, [] { return std::string("apply"); });
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].session, "10.10.1.10:40000 -> 10.10.2.2:443");
  EXPECT_EQ(events_[0].profile, "default");
  EXPECT_EQ(events_[0].message, "upstream connected");
  EXPECT_EQ(flagNames(Tracer::instance().options().flags), "termination,proxy");
}

TEST_F(TraceTest, AProfileNarrowsSessionPointsOnly) {
  TraceOptions o;
  o.level = TraceLevel::kVerbose;
  o.flags = 0xf;
  o.profile = "branch";
  Tracer::instance().configure(o);
  traceSession(TraceFlag::kProxy, TraceLevel::kBrief, Ctx{"default"},
               [] { return std::string("other profile"); });
  traceSession(TraceFlag::kProxy, TraceLevel::kBrief, Ctx{"branch"},
               [] { return std::string("traced"); });
  traceEvent(TraceFlag::kConfiguration, TraceLevel::kBrief, [] { return std::string("apply"); });
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].message, "traced");
  EXPECT_EQ(events_[1].message, "apply");
  EXPECT_EQ(events_[1].session, "");
  EXPECT_EQ(Tracer::instance().emitted() >= 2, true);
}

TEST_F(TraceTest, NamesParseAndPrint) {
  EXPECT_EQ(parseTraceLevel("extensive"), TraceLevel::kExtensive);
  EXPECT_EQ(parseTraceLevel("loud"), std::nullopt);
  EXPECT_EQ(parseTraceFlag("initiation"), TraceFlag::kInitiation);
  EXPECT_EQ(parseTraceFlag("packets"), std::nullopt);
  EXPECT_EQ(flagNames(0), "none");
  EXPECT_EQ(toString(TraceLevel::kVerbose), "verbose");
}

}  // namespace
}  // namespace vtps::proxy
