// Profile and policy rules: references, policy name uniqueness along parent chains, overlapping
// client detection ports, parent loops.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/appliance/config/config_test_util.h"

namespace vtps::config {
namespace {

using test::errorsOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Lines 1-13: one of each object that policies refer to.
constexpr std::string_view kObjects = R"(ssl:
  server-proxies:
    - {name: web1, destinations: [10.0.0.1], detection-ports: ["443"], certificates: [c]}
  client-proxies:
    - {name: outbound, signing-certificate: s, detection-ports: ["400-500"]}
    - {name: other, signing-certificate: s, detection-ports: ["443"]}
    - {name: alt, signing-certificate: s, detection-ports: ["8443-8444"]}
  trust-stores:
    - {name: corp}
  decryption-policies:
    - {name: privacy}
  domain-exclusions: {}
profiles:
)";

std::vector<std::string> profileErrors(std::string_view profiles) {
  return errorsOf(std::string(kObjects) + std::string(profiles));
}

TEST(ValidateProfilesTest, PolicyReferencesMustNameDefinedObjects) {
  EXPECT_THAT(profileErrors(R"(  - name: p
    ssl-server-policies:
      - {name: in, server-proxy: web2}
    ssl-client-policies:
      - {name: out, client-proxy: nobody, trust-store: crop, decryption-policy: privacy}
      - {name: out2, client-proxy: alt, trust-store: corp, decryption-policy: secret}
      - {name: out3, client-proxy: other}
)"),
              ElementsAre("t.yaml:16:34: error: profiles[0].ssl-server-policies[0].server-proxy: "
                          "unknown server proxy \"web2\"; did you mean \"web1\"?",
                          "t.yaml:18:35: error: profiles[0].ssl-client-policies[0].client-proxy: "
                          "unknown client proxy \"nobody\"; defined: outbound, other, alt",
                          "t.yaml:18:56: error: profiles[0].ssl-client-policies[0].trust-store: "
                          "unknown trust store \"crop\"; did you mean \"corp\"?",
                          "t.yaml:19:79: error: profiles[0].ssl-client-policies[1]."
                          "decryption-policy: unknown decryption policy \"secret\"; defined: "
                          "privacy",
                          "t.yaml:20:9: error: profiles[0].ssl-client-policies[2].trust-store: is "
                          "required"));
}

TEST(ValidateProfilesTest, PolicyNamesAreUniqueAcrossServerAndClientPoliciesOfAProfile) {
  EXPECT_THAT(profileErrors(R"(  - name: p
    ssl-server-policies:
      - {name: shared, server-proxy: web1}
    ssl-client-policies:
      - {name: shared, client-proxy: outbound, trust-store: corp}
)"),
              ElementsAre("t.yaml:18:16: error: profiles[0].ssl-client-policies[0].name: policy "
                          "name \"shared\" is already used by profiles[0].ssl-server-policies[0] "
                          "(line 16); policy names must be unique across the server and client "
                          "policies of a profile and its parent and child profiles"));
}

TEST(ValidateProfilesTest, PolicyNamesAreUniqueAcrossParentAndChildButNotSiblings) {
  EXPECT_THAT(profileErrors(R"(  - name: parent
    ssl-server-policies:
      - {name: in, server-proxy: web1}
  - name: child
    parent: parent
    ssl-client-policies:
      - {name: in, client-proxy: outbound, trust-store: corp}
  - name: sibling-a
    ssl-server-policies:
      - {name: same, server-proxy: web1}
  - name: sibling-b
    ssl-server-policies:
      - {name: same, server-proxy: web1}
)"),
              ElementsAre("t.yaml:20:16: error: profiles[1].ssl-client-policies[0].name: policy "
                          "name \"in\" is already used by profiles[0].ssl-server-policies[0] (line "
                          "16); policy names must be unique across the server and client policies "
                          "of a profile and its parent and child profiles"));
}

TEST(ValidateProfilesTest, OverlappingClientDetectionPortsInOneProfileNameBothPolicies) {
  EXPECT_THAT(profileErrors(R"(  - name: p
    ssl-client-policies:
      - {name: wide, client-proxy: outbound, trust-store: corp}
      - {name: narrow, client-proxy: other, trust-store: corp}
      - {name: apart, client-proxy: alt, trust-store: corp}
  - name: q
    ssl-client-policies:
      - {name: narrow-q, client-proxy: other, trust-store: corp}
)"),
              ElementsAre("t.yaml:17:38: error: profiles[0].ssl-client-policies[1].client-proxy: "
                          "client policies \"wide\" and \"narrow\" use client proxies with "
                          "overlapping detection ports (\"outbound\" 400-500, \"other\" 443); "
                          "within one profile the device could not tell which policy applies"));
}

TEST(ValidateProfilesTest, OverlapWithAnInheritedPolicyIsReportedAtTheChild) {
  EXPECT_THAT(profileErrors(R"(  - name: base
    ssl-client-policies:
      - {name: wide, client-proxy: outbound, trust-store: corp}
  - name: child
    parent: base
    ssl-client-policies:
      - {name: narrow, client-proxy: other, trust-store: corp}
)"),
              ElementsAre("t.yaml:20:38: error: profiles[1].ssl-client-policies[0].client-proxy: "
                          "client policies \"wide\" and \"narrow\" use client proxies with "
                          "overlapping detection ports (\"outbound\" 400-500, \"other\" 443); "
                          "within one profile the device could not tell which policy applies "
                          "(\"wide\" is inherited from profile \"base\")"));
}

TEST(ValidateProfilesTest, SameClientProxyTwiceInOneProfileOverlaps) {
  EXPECT_THAT(profileErrors(R"(  - name: p
    ssl-client-policies:
      - {name: a, client-proxy: alt, trust-store: corp}
      - {name: b, client-proxy: alt, trust-store: corp}
)"),
              ElementsAre("t.yaml:17:33: error: profiles[0].ssl-client-policies[1].client-proxy: "
                          "client policies \"a\" and \"b\" use client proxies with overlapping "
                          "detection ports (\"alt\" 8443-8444, \"alt\" 8443-8444); within one "
                          "profile the device could not tell which policy applies"));
}

TEST(ValidateProfilesTest, ParentsMustExistAndNotLoop) {
  EXPECT_THAT(profileErrors(R"(  - {name: a, parent: b}
  - {name: b, parent: a}
  - {name: c, parent: c}
  - {name: d, parent: nobody}
  - {name: e, parent: a}
)"),
              ElementsAre("t.yaml:14:23: error: profiles[0].parent: parent chain loops: a -> b -> "
                          "a",
                          "t.yaml:16:23: error: profiles[2].parent: a profile cannot be its own "
                          "parent",
                          "t.yaml:17:23: error: profiles[3].parent: unknown profile \"nobody\"; "
                          "defined: a, b, c, d, e"));
}

TEST(ValidateProfilesTest, ProfilesNestAtMost16Levels) {
  std::string chain = "  - {name: p0}\n";
  for (int i = 1; i <= 16; ++i) {
    chain += "  - {name: p" + std::to_string(i) + ", parent: p" + std::to_string(i - 1) + "}\n";
  }
  EXPECT_THAT(profileErrors(chain),
              ElementsAre("t.yaml:30:25: error: profiles[16].parent: profile \"p16\" is nested "
                          "more than 16 levels deep"));
  chain.resize(chain.rfind("  - {name: p16"));
  EXPECT_THAT(profileErrors(chain), IsEmpty());
}

TEST(ValidateProfilesTest, ProfileNamesAreUniqueAndLimited) {
  EXPECT_THAT(profileErrors("  - {name: p}\n  - {name: p}\n  - {name: \"p?\"}\n"),
              ElementsAre("t.yaml:15:12: error: profiles[1].name: duplicate profile name \"p\" "
                          "(first defined at line 14)",
                          "t.yaml:16:12: error: profiles[2].name: \"p?\" contains \"?\"; profile "
                          "names may contain only letters, digits, underscore, hyphen and space"));
}

}  // namespace
}  // namespace vtps::config
