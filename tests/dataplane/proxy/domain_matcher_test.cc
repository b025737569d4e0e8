// DomainMatcher, CategoryList and DecryptionPolicyRuntime: the host-name lookups of SSL client
// inspection's decision.
#include "dataplane/proxy/domain_matcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dataplane/proxy/category_list.h"
#include "dataplane/proxy/decryption_policy.h"

namespace vtps::proxy {
namespace {

using ::testing::ElementsAre;

TEST(DomainMatcherTest, MatchesExactHostsAndWildcardSubdomainsAtAnyDepth) {
  DomainMatcher m;
  ASSERT_TRUE(m.add("mail.example.com", 1).ok());
  ASSERT_TRUE(m.add("*.company.com", 2).ok());
  EXPECT_EQ(m.size(), 2u);

  EXPECT_EQ(m.firstTag("mail.example.com"), 1u);
  EXPECT_EQ(m.firstTag("example.com"), std::nullopt);
  EXPECT_EQ(m.firstTag("www.mail.example.com"), std::nullopt);  // exact means exact
  // The seeds' example: *.company.com covers every subdomain, at any depth...
  EXPECT_EQ(m.firstTag("finance.company.com"), 2u);
  EXPECT_EQ(m.firstTag("mail.company.com"), 2u);
  EXPECT_EQ(m.firstTag("legal.compliance.company.com"), 2u);
  // ...but not the domain itself, nor a name that only ends with the same characters.
  EXPECT_EQ(m.firstTag("company.com"), std::nullopt);
  EXPECT_EQ(m.firstTag("notcompany.com"), std::nullopt);
  EXPECT_EQ(m.firstTag("company.com.evil.net"), std::nullopt);
}

TEST(DomainMatcherTest, PrefersTheExactPatternThenTheLongestSuffix) {
  DomainMatcher m;
  ASSERT_TRUE(m.add("*.com", 1).ok());
  ASSERT_TRUE(m.add("*.example.com", 2).ok());
  ASSERT_TRUE(m.add("a.b.example.com", 3).ok());
  auto exact = m.match("a.b.example.com");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->pattern, "a.b.example.com");
  EXPECT_EQ(exact->tag, 3u);
  auto longest = m.match("x.b.example.com");
  ASSERT_TRUE(longest.has_value());
  EXPECT_EQ(longest->pattern, "*.example.com");
  EXPECT_EQ(longest->tag, 2u);
  std::vector<uint32_t> all;
  m.forEachMatch("a.b.example.com", [&](uint32_t tag) { all.push_back(tag); });
  EXPECT_THAT(all, ElementsAre(3u, 2u, 1u));
}

TEST(DomainMatcherTest, NormalizesPatternsAndCoversWildcardCertificateNames) {
  DomainMatcher m;
  ASSERT_TRUE(m.add("*.Example.COM.", 7).ok());
  EXPECT_THAT(m.patterns(), ElementsAre("*.example.com"));
  EXPECT_EQ(m.find("*.example.com"), 7u);
  EXPECT_EQ(m.find("example.com"), std::nullopt);
  // A certificate for "*.example.com" only ever names subdomains: the wildcard covers it.
  EXPECT_TRUE(m.matches("*.example.com"));
  EXPECT_EQ(normalizeDomain("WWW.Example.Com."), "www.example.com");
}

TEST(DomainMatcherTest, RefusesWhatIsNotAHostNameOrWildcard) {
  DomainMatcher m;
  for (const char* bad : {"", "*.", "*", "a..b", "-a.com", "a-.com", "a b.com", "*.*.com", "a*.com",
                          "ex!ample.com", "*example.com"}) {
    Status added = m.add(bad);
    ASSERT_FALSE(added.ok()) << bad;
    EXPECT_EQ(added.message(),
              std::string("\"") + bad + "\" is not a host name or \"*.\" wildcard");
  }
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(m.add(std::string(64, 'a') + ".com").ok());  // label over 63
  EXPECT_TRUE(m.add(std::string(63, 'a') + ".com").ok());
  EXPECT_TRUE(m.add("_dmarc.example.com").ok());
}

TEST(DomainMatcherTest, RemovesPatterns) {
  DomainMatcher m;
  ASSERT_TRUE(m.add("a.example").ok());
  ASSERT_TRUE(m.add("*.b.example").ok());
  EXPECT_TRUE(m.remove("*.B.example"));
  EXPECT_FALSE(m.remove("*.b.example"));
  EXPECT_FALSE(m.matches("x.b.example"));
  EXPECT_TRUE(m.matches("a.example"));
}

TEST(DomainMatcherTest, LooksUpInFourThousandPatternsByLabelsNotByEntries) {
  DomainMatcher m;
  for (int i = 0; i < 4096; ++i) {
    ASSERT_TRUE(m.add((i % 2 ? "*.d" : "h") + std::to_string(i) + ".example.net").ok());
  }
  EXPECT_EQ(m.size(), 4096u);
  EXPECT_TRUE(m.matches("h4094.example.net"));
  EXPECT_TRUE(m.matches("deep.er.d4095.example.net"));
  EXPECT_FALSE(m.matches("h4095.example.net"));
  EXPECT_FALSE(m.matches("d4095.example.net"));
}

class ListFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-lists-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ListFilesTest, CategoryListGivesEveryCategoryOfAHost) {
  const std::string file = write("categories.txt",
                                 "# ThreatDV-style export\n"
                                 "bank.example        financial\n"
                                 "*.bank.example      Financial   # same category, any case\n"
                                 "\n"
                                 "clinic.example      health\n"
                                 "*.example           news\n");
  auto list = CategoryList::load({file});
  ASSERT_TRUE(list.ok()) << list.message();
  EXPECT_EQ((*list)->categoryCount(), 3u);
  EXPECT_EQ((*list)->patternCount(), 4u);
  auto categoriesOf = [&](std::string_view host) {
    std::vector<std::string> names;
    (*list)->forEachCategory(
        host, [&](CategoryList::CategoryId id) { names.push_back((*list)->nameOf(id)); });
    return names;
  };
  EXPECT_THAT(categoriesOf("bank.example"), ElementsAre("financial", "news"));
  EXPECT_THAT(categoriesOf("www.bank.example"), ElementsAre("financial", "news"));
  EXPECT_THAT(categoriesOf("clinic.example"), ElementsAre("health", "news"));
  EXPECT_THAT(categoriesOf("other.net"), ElementsAre());
  EXPECT_EQ((*list)->idOf("HEALTH"), (*list)->idOf("health"));
  EXPECT_EQ((*list)->idOf("sports"), std::nullopt);
}

TEST_F(ListFilesTest, CategoryListRefusesMalformedLinesWithTheirPosition) {
  const std::string three = write("three.txt", "ok.example news\nbad.example news extra\n");
  auto a = CategoryList::load({three});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.message(), three + ":2: expected \"DOMAIN CATEGORY\", got 3 fields");
  const std::string bad = write("bad.txt", "\n\nnot a domain!.x news\n");
  auto b = CategoryList::load({bad});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.message(), bad + ":3: expected \"DOMAIN CATEGORY\", got 4 fields");
  const std::string name = write("name.txt", "x.example fin@nce\n");
  auto c = CategoryList::load({name});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(),
            name + ":1: \"fin@nce\" is not a category name (letters, digits, '-', '_')");
  auto missing = CategoryList::load({dir_ + "/absent.txt"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), dir_ + "/absent.txt: cannot open: No such file or directory");
}

config::DecryptionPolicy policy(std::vector<std::string> domains) {
  config::DecryptionPolicy p;
  p.name = "privacy";
  p.domains = std::move(domains);
  return p;
}

TEST_F(ListFilesTest, DecryptionPolicyOrdersDomainsThenOverridesThenCategories) {
  const std::string categories = write("c.txt",
                                       "*.bank.example financial\n"
                                       "clinic.example health\n");
  auto list = CategoryList::load({categories});
  ASSERT_TRUE(list.ok()) << list.message();
  config::DecryptionPolicy p = policy({"*.company.com", "secret.bank.example"});
  p.domain_files = {write("default.txt", "# pinned\n*.windowsupdate.com\n\nupdate.example\n")};
  p.categories = {"financial", "health"};
  p.category_overrides = {"online.bank.example"};
  auto runtime = DecryptionPolicyRuntime::build(p, *list);
  ASSERT_TRUE(runtime.ok()) << runtime.message();
  EXPECT_EQ((*runtime)->domainCount(), 4u);
  using V = DecryptionPolicyRuntime::Verdict;
  auto verdictOf = [&](std::string_view host) { return (*runtime)->evaluate(host).verdict; };
  EXPECT_EQ(verdictOf("mail.company.com"), V::kDomain);
  EXPECT_EQ((*runtime)->evaluate("mail.company.com").pattern, "*.company.com");
  EXPECT_EQ(verdictOf("download.windowsupdate.com"), V::kDomain);  // from the domain file
  EXPECT_EQ(verdictOf("secret.bank.example"), V::kDomain);         // domains before overrides
  EXPECT_EQ(verdictOf("online.bank.example"), V::kOverride);
  EXPECT_EQ(verdictOf("www.bank.example"), V::kCategory);
  EXPECT_EQ((*runtime)->evaluate("www.bank.example").category, "financial");
  EXPECT_EQ(verdictOf("clinic.example"), V::kCategory);
  EXPECT_EQ(verdictOf("company.com"), V::kNoOpinion);
  EXPECT_EQ(verdictOf("news.example"), V::kNoOpinion);
}

TEST_F(ListFilesTest, DecryptionPolicyRefusesUnknownCategoriesBadFilesAndTooManyDomains) {
  config::DecryptionPolicy p = policy({});
  p.categories = {"financial"};
  auto no_lists = DecryptionPolicyRuntime::build(p, nullptr);
  ASSERT_FALSE(no_lists.ok());
  EXPECT_EQ(no_lists.message(),
            "decryption policy privacy: category \"financial\" is in no category list "
            "(ssl.category-files)");

  config::DecryptionPolicy bad_file = policy({});
  bad_file.domain_files = {write("bad.txt", "fine.example\n\nnot valid.example\n")};
  auto bad = DecryptionPolicyRuntime::build(bad_file, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "decryption policy privacy: " + bad_file.domain_files[0] +
                               ":3: \"not valid.example\" is not a host name or \"*.\" wildcard");

  std::string many;
  for (int i = 0; i < 4000; ++i)
    many += "h" + std::to_string(i) + ".example\n";
  config::DecryptionPolicy big = policy(std::vector<std::string>(100, "x.example"));
  big.domain_files = {write("many.txt", many)};
  auto too_many = DecryptionPolicyRuntime::build(big, nullptr);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.message(),
            "decryption policy privacy: 4100 domains (domains and domain-files); the limit is "
            "4096");
  big.domains.resize(96);
  EXPECT_TRUE(DecryptionPolicyRuntime::build(big, nullptr).ok());
}

TEST(ShippedDecryptionPolicyTest, DefaultPolicyFileLoadsAndCoversPinnedServices) {
  config::DecryptionPolicy p = policy({});
  p.name = "default";
  p.domain_files = {std::string(VTPS_SOURCE_DIR) + "/appliance/dist/default-decryption-policy.txt"};
  auto runtime = DecryptionPolicyRuntime::build(p, nullptr);
  ASSERT_TRUE(runtime.ok()) << runtime.message();
  EXPECT_GT((*runtime)->domainCount(), 20u);
  using V = DecryptionPolicyRuntime::Verdict;
  EXPECT_EQ((*runtime)->evaluate("download.windowsupdate.com").verdict, V::kDomain);
  EXPECT_EQ((*runtime)->evaluate("swscan.apple.com").verdict, V::kDomain);
  EXPECT_EQ((*runtime)->evaluate("www.example.org").verdict, V::kNoOpinion);
}

}  // namespace
}  // namespace vtps::proxy
