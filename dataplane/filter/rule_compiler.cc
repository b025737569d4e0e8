#include "dataplane/filter/rule_compiler.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "dataplane/filter/hyperscan_databases.h"

namespace vtps::filter {
namespace {

constexpr char kCacheMagic[8] = {'V', 'T', 'P', 'S', 'H', 'S', 'D', 'B'};
constexpr uint32_t kCacheVersion = 1;
constexpr size_t kDigestBytes = 32;

std::atomic<uint64_t> g_generation{0};

// One pattern of one database.
struct Pattern {
  std::string expression;  // regex, or raw bytes for a literal database
  unsigned flags = 0;
  unsigned id = 0;
};

struct DatabaseInput {
  std::vector<Pattern> patterns;
  bool literal = true;  // every pattern is a content: compile with hs_compile_lit_multi
};

// Every database to build, in a fixed order: the prefilters by buffer kind, then each pcre.
struct CompileInput {
  std::array<DatabaseInput, kBufferKindCount> prefilter;
  std::vector<Pattern> pcre;
  std::vector<uint32_t> pcre_base;
};

std::string escapeLiteral(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 4);
  for (unsigned char c : bytes) {
    out.append("\\x");
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

CompileInput collectPatterns(const std::vector<Rule>& rules) {
  CompileInput in;
  for (size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    const PayloadMatch& fp = r.matches[r.fast_pattern_index];
    DatabaseInput& db = in.prefilter[static_cast<size_t>(fp.buffer)];
    Pattern p;
    p.id = static_cast<unsigned>(i);
    if (fp.is_pcre) {
      p.expression = fp.pcre.expression;
      p.flags = fp.pcre.hs_flags | HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
      db.literal = false;
    } else {
      p.expression = fp.content.pattern;
      p.flags = HS_FLAG_SINGLEMATCH | (fp.content.nocase ? HS_FLAG_CASELESS : 0);
    }
    db.patterns.push_back(std::move(p));
    in.pcre_base.push_back(static_cast<uint32_t>(in.pcre.size()));
    for (const PayloadMatch& m : r.matches) {
      if (m.is_pcre) in.pcre.push_back(Pattern{m.pcre.expression, m.pcre.hs_flags, 0});
    }
  }
  // A database mixing contents and pcre compiles through the regex API: escape the contents.
  for (DatabaseInput& db : in.prefilter) {
    if (db.literal) continue;
    for (Pattern& p : db.patterns) {
      if ((p.flags & HS_FLAG_PREFILTER) == 0) p.expression = escapeLiteral(p.expression);
    }
  }
  return in;
}

std::string hexDigest(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex.append(buf);
  }
  return hex;
}

void appendField(std::string& out, std::string_view field) {
  out.append(std::to_string(field.size())).push_back(':');
  out.append(field);
}

// The cache key: everything that determines the databases' bytes.
std::string computeCacheKey(const CompileInput& in) {
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  std::string material = "vtps-hs-cache/" + std::to_string(kCacheVersion) + "/" + hs_version() +
                         "/" + std::to_string(platform.tune) + "/" +
                         std::to_string(platform.cpu_features) + "\n";
  auto add = [&](const Pattern& p) {
    appendField(material, p.expression);
    material.append(std::to_string(p.flags)).push_back('/');
    material.append(std::to_string(p.id)).push_back('\n');
  };
  for (const DatabaseInput& db : in.prefilter) {
    material.append(db.literal ? "L" : "R")
        .append(std::to_string(db.patterns.size()))
        .push_back('\n');
    for (const Pattern& p : db.patterns)
      add(p);
  }
  material.append("P").append(std::to_string(in.pcre.size())).push_back('\n');
  for (const Pattern& p : in.pcre)
    add(p);
  return hexDigest(material);
}

struct CompileFailure {
  std::string message;
  int expression = -1;  // index of the refused pattern, -1 if not pattern-specific
};

Result<hs::DatabasePtr> compileDatabase(const DatabaseInput& db, CompileFailure& failure) {
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, ids;
  for (const Pattern& p : db.patterns) {
    exprs.push_back(p.expression.c_str());
    lens.push_back(p.expression.size());
    flags.push_back(p.flags);
    ids.push_back(p.id);
  }
  hs_database_t* raw = nullptr;
  hs_compile_error_t* raw_err = nullptr;
  auto count = static_cast<unsigned>(exprs.size());
  hs_error_t rc = db.literal
                      ? hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                             count, HS_MODE_BLOCK, nullptr, &raw, &raw_err)
                      : hs_compile_multi(exprs.data(), flags.data(), ids.data(), count,
                                         HS_MODE_BLOCK, nullptr, &raw, &raw_err);
  hs::DatabasePtr out(raw);
  hs::CompileErrorPtr err(raw_err);
  if (rc != HS_SUCCESS) {
    failure.message = err ? err->message : "error " + std::to_string(rc);
    failure.expression = err ? err->expression : -1;
    return makeError("compile Hyperscan database: " + failure.message);
  }
  return out;
}

Result<hs::DatabasePtr> compileSingle(const Pattern& p) {
  DatabaseInput db;
  db.literal = false;
  db.patterns.push_back(p);
  CompileFailure failure;
  return compileDatabase(db, failure);
}

std::vector<const hs_database_t*> allDatabases(const CompiledRuleSet::Databases& dbs) {
  std::vector<const hs_database_t*> out;
  for (const auto& db : dbs.prefilter) {
    if (db) out.push_back(db.get());
  }
  for (const auto& db : dbs.pcre)
    out.push_back(db.get());
  return out;
}

std::string serializeAll(const CompiledRuleSet::Databases& dbs, std::string& error) {
  std::string out(kCacheMagic, sizeof kCacheMagic);
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  uint32_t count = static_cast<uint32_t>(kBufferKindCount + dbs.pcre.size());
  put(&kCacheVersion, 4);
  put(&count, 4);
  auto putDb = [&](const hs_database_t* db) {
    char* bytes = nullptr;
    size_t len = 0;
    if (db != nullptr && hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
      error = "hs_serialize_database failed";
      len = 0;
    }
    uint64_t len64 = len;
    put(&len64, 8);
    if (bytes != nullptr) put(bytes, len);
    std::free(bytes);  // Hyperscan's default allocator is malloc
  };
  for (const auto& db : dbs.prefilter)
    putDb(db.get());
  for (const auto& db : dbs.pcre)
    putDb(db.get());
  std::string digest = hexDigest(out);
  out.append(digest);
  return out;
}

// Parses a cache file written by serializeAll; any inconsistency is a miss with a reason.
Status deserializeAll(const std::string& file, size_t pcre_count, CompiledRuleSet::Databases& dbs) {
  size_t header = sizeof kCacheMagic + 8;
  if (file.size() < header + 2 * kDigestBytes ||
      std::memcmp(file.data(), kCacheMagic, sizeof kCacheMagic) != 0) {
    return makeError("not a vtps database cache file");
  }
  std::string_view body(file.data(), file.size() - 2 * kDigestBytes);
  if (hexDigest(std::string(body)) != file.substr(body.size())) {
    return makeError("checksum mismatch");
  }
  uint32_t version = 0, count = 0;
  std::memcpy(&version, file.data() + 8, 4);
  std::memcpy(&count, file.data() + 12, 4);
  if (version != kCacheVersion || count != kBufferKindCount + pcre_count) {
    return makeError("unexpected version or database count");
  }
  size_t pos = header;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    if (body.size() - pos < 8) return makeError("truncated");
    std::memcpy(&len, body.data() + pos, 8);
    pos += 8;
    if (body.size() - pos < len) return makeError("truncated");
    hs::DatabasePtr db;
    if (len > 0) {
      hs_database_t* raw = nullptr;
      if (hs_deserialize_database(body.data() + pos, len, &raw) != HS_SUCCESS) {
        return makeError("hs_deserialize_database refused database " + std::to_string(i));
      }
      db.reset(raw);
    }
    pos += len;
    if (i < kBufferKindCount) {
      dbs.prefilter[i] = std::move(db);
    } else {
      dbs.pcre.push_back(std::move(db));
    }
  }
  return {};
}

Status loadCache(const std::string& path, size_t pcre_count, CompiledRuleSet::Databases& dbs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("no cache file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return deserializeAll(buf.str(), pcre_count, dbs);
}

Status writeCache(const std::string& dir, const std::string& path,
                  const CompiledRuleSet::Databases& dbs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return makeError("create cache directory " + dir + ": " + ec.message());
  std::string error;
  std::string bytes = serializeAll(dbs, error);
  if (!error.empty()) return makeError(error);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
      return makeError("write cache file " + tmp + ": " + std::generic_category().message(errno));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return makeError("rename cache file to " + path + ": " + ec.message());
  }
  return {};
}

// Compiles every prefilter database. A pattern Hyperscan refuses drops its rule (reported at the
// rule's file:line) and returns true so that the caller rebuilds with the remaining rules.
Result<bool> compilePrefilters(const CompileInput& input, RuleSet& rules,
                               CompiledRuleSet::Databases& dbs) {
  for (size_t k = 0; k < kBufferKindCount; ++k) {
    const DatabaseInput& db = input.prefilter[k];
    if (db.patterns.empty()) continue;
    CompileFailure failure;
    auto compiled = compileDatabase(db, failure);
    if (compiled.ok()) {
      dbs.prefilter[k] = std::move(*compiled);
      continue;
    }
    if (failure.expression < 0) return compiled.error();
    size_t refused = db.patterns[static_cast<size_t>(failure.expression)].id;
    const Rule& r = rules.rules[refused];
    rules.addError(r.file, r.line, "Hyperscan refused the rule's fast pattern: " + failure.message);
    rules.rules.erase(rules.rules.begin() + static_cast<std::ptrdiff_t>(refused));
    return true;
  }
  return false;
}

}  // namespace

CompiledRuleSet::CompiledRuleSet() : dbs_(std::make_unique<Databases>()) {}
CompiledRuleSet::~CompiledRuleSet() = default;

Result<std::shared_ptr<const CompiledRuleSet>> CompiledRuleSet::compile(
    RuleSet rules, const CompileOptions& options) {
  if (hs_valid_platform() != HS_SUCCESS) {
    return makeError("compile signature filters: this CPU lacks SSSE3, which Hyperscan needs");
  }
  std::shared_ptr<CompiledRuleSet> set(new CompiledRuleSet());
  set->generation_ = g_generation.fetch_add(1) + 1;
  set->rules_ = std::move(rules);
  VTPS_RETURN_IF_ERROR(set->buildDatabases(options));
  hs_scratch_t* scratch = nullptr;
  for (const hs_database_t* db : allDatabases(*set->dbs_)) {
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
      hs::ScratchPtr owner(scratch);
      return makeError("compile signature filters: hs_alloc_scratch failed");
    }
  }
  set->dbs_->prototype.reset(scratch);
  set->hits_ = std::make_unique<std::atomic<uint64_t>[]>(set->rules_.rules.size());
  for (const Rule& r : set->rules_.rules) {
    set->has_unit_[static_cast<size_t>(r.unit)] = true;
    set->has_trace_rules_ = set->has_trace_rules_ || r.trace;
    for (const PayloadMatch& m : r.matches) {
      set->uses_buffer_[static_cast<size_t>(m.buffer)] = true;
      if (m.buffer == BufferKind::kStream && !m.is_pcre) {
        set->longest_stream_content_ =
            std::max(set->longest_stream_content_, m.content.pattern.size());
      }
    }
  }
  return std::shared_ptr<const CompiledRuleSet>(std::move(set));
}

Status CompiledRuleSet::buildDatabases(const CompileOptions& options) {
  for (;;) {
    CompileInput input = collectPatterns(rules_.rules);
    cache_key_ = computeCacheKey(input);
    std::string path = options.cache_dir + "/" + cache_key_ + ".hsdb";
    *dbs_ = Databases{};
    dbs_->pcre_base = input.pcre_base;
    if (!options.cache_dir.empty()) {
      Status loaded = loadCache(path, input.pcre.size(), *dbs_);
      from_cache_ = loaded.ok();
      if (loaded.ok()) return {};
      cache_note_ = "cache " + path + ": " + loaded.message();
      *dbs_ = Databases{};
      dbs_->pcre_base = input.pcre_base;
    }
    auto refused = compilePrefilters(input, rules_, *dbs_);
    if (!refused.ok()) return refused.error();
    if (*refused) continue;  // a rule was dropped: the ids changed, start over
    for (const Pattern& p : input.pcre) {
      auto compiled = compileSingle(p);
      if (!compiled.ok()) return compiled.error();  // checked by the parser: not expected
      dbs_->pcre.push_back(std::move(*compiled));
    }
    if (!options.cache_dir.empty()) {
      Status written = writeCache(options.cache_dir, path, *dbs_);
      if (!written.ok()) cache_note_ = "cache not written: " + written.message();
    }
    return {};
  }
}

std::vector<RuleHits> CompiledRuleSet::topRules(size_t n) const {
  std::vector<RuleHits> all;
  for (size_t i = 0; i < rules_.rules.size(); ++i) {
    uint64_t h = hits(i);
    if (h == 0) continue;
    const Rule& r = rules_.rules[i];
    all.push_back(RuleHits{r.sid, r.rev, r.action, r.msg, h});
  }
  auto order = [](const RuleHits& a, const RuleHits& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.sid < b.sid;
  };
  size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), order);
  all.resize(keep);
  return all;
}

}  // namespace vtps::filter
