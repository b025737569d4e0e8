#include "dataplane/filter/matcher.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "dataplane/filter/hyperscan_databases.h"

namespace vtps::filter {
namespace {

// A worker thread's Hyperscan scratch, grown for every rule set generation it has scanned with.
struct ThreadScratch {
  hs::ScratchPtr scratch;
  std::vector<uint64_t> ready_for;
};
thread_local ThreadScratch t_scratch;

// Generations remembered per thread before the list restarts (a restart only costs a re-check).
constexpr size_t kMaxRememberedGenerations = 16;

hs_scratch_t* scratchFor(const CompiledRuleSet& set) {
  ThreadScratch& ts = t_scratch;
  if (std::find(ts.ready_for.begin(), ts.ready_for.end(), set.generation()) != ts.ready_for.end()) {
    return ts.scratch.get();
  }
  const auto& dbs = set.databases();
  if (!ts.scratch) {
    if (!dbs.prototype) return nullptr;
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(dbs.prototype.get(), &clone) != HS_SUCCESS) return nullptr;
    ts.scratch.reset(clone);
  } else {
    // Grows the thread's scratch so that it also fits this rule set's databases.
    hs_scratch_t* s = ts.scratch.release();
    bool ok = true;
    for (const auto& db : dbs.prefilter) {
      if (db && ok) ok = hs_alloc_scratch(db.get(), &s) == HS_SUCCESS;
    }
    for (const auto& db : dbs.pcre) {
      if (ok) ok = hs_alloc_scratch(db.get(), &s) == HS_SUCCESS;
    }
    ts.scratch.reset(s);
    if (!ok) return nullptr;
  }
  if (ts.ready_for.size() >= kMaxRememberedGenerations) ts.ready_for.clear();
  ts.ready_for.push_back(set.generation());
  return ts.scratch.get();
}

int collectCandidate(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
                     unsigned int /*flags*/, void* ctx) {
  static_cast<std::vector<uint32_t>*>(ctx)->push_back(id);
  return 0;
}

int stopAtFirst(unsigned int /*id*/, unsigned long long /*from*/, unsigned long long to,
                unsigned int /*flags*/, void* ctx) {
  *static_cast<std::optional<uint64_t>*>(ctx) = to;
  return 1;
}

char lower(uint8_t c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// First start position p in [from, end - pattern.size()] where the pattern occurs.
std::optional<size_t> findPattern(std::span<const uint8_t> data, size_t from, size_t end,
                                  const ContentMatch& c) {
  const std::string& pat = c.pattern;
  if (end > data.size() || end < pat.size() || from > end - pat.size()) return std::nullopt;
  const uint8_t* base = data.data();
  if (!c.nocase) {
    const void* hit = memmem(base + from, end - from, pat.data(), pat.size());
    if (hit == nullptr) return std::nullopt;
    return static_cast<size_t>(static_cast<const uint8_t*>(hit) - base);
  }
  char first = lower(static_cast<uint8_t>(pat[0]));
  for (size_t p = from; p + pat.size() <= end; ++p) {
    if (lower(base[p]) != first) continue;
    size_t k = 1;
    while (k < pat.size() && lower(base[p + k]) == lower(static_cast<uint8_t>(pat[k])))
      ++k;
    if (k == pat.size()) return p;
  }
  return std::nullopt;
}

}  // namespace

struct SignatureMatcher::Buffers {
  std::array<std::span<const uint8_t>, kBufferKindCount> data{};
  uint64_t stream_offset = 0;
  std::span<const uint8_t> of(BufferKind k) const { return data[static_cast<size_t>(k)]; }
};

namespace {

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Verifies the matches of one rule in one buffer, in rule order, with backtracking.
class ChainVerifier {
 public:
  ChainVerifier(const CompiledRuleSet& set, hs_scratch_t* scratch, const Rule& rule,
                size_t rule_index, std::span<const uint8_t> data, uint64_t base)
      : dbs_(set.databases()),
        scratch_(scratch),
        rule_(rule),
        rule_index_(rule_index),
        data_(data),
        base_(base) {}

  bool verify(BufferKind buffer) {
    buffer_ = buffer;
    return step(next(0, true), 0);
  }
  bool exhausted() const { return budget_ < 0; }

 private:
  // Index of the first match of this buffer at or after `i` (inclusive) or after it.
  size_t next(size_t i, bool inclusive) const {
    for (size_t k = inclusive ? i : i + 1; k < rule_.matches.size(); ++k) {
      if (rule_.matches[k].buffer == buffer_) return k;
    }
    return rule_.matches.size();
  }

  bool step(size_t i, int64_t prev_end) {
    if (i >= rule_.matches.size()) return true;
    if (--budget_ < 0) return false;
    const PayloadMatch& m = rule_.matches[i];
    return m.is_pcre ? stepPcre(i, m, prev_end) : stepContent(i, m.content, prev_end);
  }

  bool stepContent(size_t i, const ContentMatch& c, int64_t prev_end) {
    auto n = static_cast<int64_t>(data_.size());
    int64_t lo = 0;
    int64_t hi = n;
    if (c.relative()) {
      lo = prev_end + c.distance.value_or(0);
      if (c.within) hi = lo + *c.within;
    } else {
      lo = static_cast<int64_t>(c.offset.value_or(0)) - static_cast<int64_t>(base_);
      if (c.depth) hi = lo + *c.depth;
    }
    lo = std::max<int64_t>(lo, 0);
    hi = std::min<int64_t>(hi, n);
    if (hi < lo) hi = lo;
    size_t following = next(i, false);
    auto pos = findPattern(data_, static_cast<size_t>(lo), static_cast<size_t>(hi), c);
    if (c.negated) return !pos && step(following, prev_end);
    bool depends = following < rule_.matches.size() && isRelative(rule_.matches[following]);
    while (pos) {
      if (step(following, static_cast<int64_t>(*pos + c.pattern.size()))) return true;
      if (!depends || --budget_ < 0) return false;
      pos = findPattern(data_, *pos + 1, static_cast<size_t>(hi), c);
    }
    return false;
  }

  bool stepPcre(size_t i, const PayloadMatch& m, int64_t prev_end) {
    size_t k = 0;
    for (size_t j = 0; j < i; ++j)
      k += rule_.matches[j].is_pcre ? 1 : 0;
    const hs_database_t* db = dbs_.pcre[dbs_.pcre_base[rule_index_] + k].get();
    size_t from = m.pcre.relative ? static_cast<size_t>(std::clamp<int64_t>(
                                        prev_end, 0, static_cast<int64_t>(data_.size())))
                                  : 0;
    std::optional<uint64_t> end;
    auto sub = data_.subspan(from);
    // hs_scan needs a non-null pointer even for an empty span.
    static const char kEmpty = 0;
    const char* ptr = sub.empty() ? &kEmpty : reinterpret_cast<const char*>(sub.data());
    hs_error_t rc =
        hs_scan(db, ptr, static_cast<unsigned>(sub.size()), 0, scratch_, &stopAtFirst, &end);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) return false;
    size_t following = next(i, false);
    if (m.pcre.negated) return !end && step(following, prev_end);
    if (!end) return false;
    return step(following, static_cast<int64_t>(from + *end));
  }

  static bool isRelative(const PayloadMatch& m) {
    return m.is_pcre ? m.pcre.relative : m.content.relative();
  }

  const CompiledRuleSet::Databases& dbs_;
  hs_scratch_t* scratch_;
  const Rule& rule_;
  size_t rule_index_;
  std::span<const uint8_t> data_;
  uint64_t base_;
  BufferKind buffer_ = BufferKind::kStream;
  int budget_ = SignatureMatcher::kVerifyBudget;
};

bool headerMatches(const Rule& r, const FlowTraits& f, bool to_server) {
  if (r.flow == FlowDirection::kToServer && !to_server) return false;
  if (r.flow == FlowDirection::kToClient && to_server) return false;
  if (r.protocol == RuleProtocol::kHttp && !f.http) return false;
  if (r.protocol == RuleProtocol::kTls && !f.tls) return false;
  uint32_t src = to_server ? f.client_ip : f.server_ip;
  uint32_t dst = to_server ? f.server_ip : f.client_ip;
  uint16_t sport = to_server ? f.client_port : f.server_port;
  uint16_t dport = to_server ? f.server_port : f.client_port;
  auto forward = [&](uint32_t s, uint16_t sp, uint32_t d, uint16_t dp) {
    return r.source.contains(s) && r.source_ports.contains(sp) && r.destination.contains(d) &&
           r.destination_ports.contains(dp);
  };
  return forward(src, sport, dst, dport) || (r.bidirectional && forward(dst, dport, src, sport));
}

}  // namespace

SignatureMatcher::SignatureMatcher(std::shared_ptr<const CompiledRuleSet> rules)
    : rules_(std::move(rules)) {}

bool SignatureMatcher::scan(BufferKind kind, std::span<const uint8_t> data) {
  const hs_database_t* db = rules_->databases().prefilter[static_cast<size_t>(kind)].get();
  if (db == nullptr || data.empty()) return true;
  hs_scratch_t* scratch = scratchFor(*rules_);
  if (scratch == nullptr) {
    ++stats_.scan_errors;
    return false;
  }
  ++stats_.scans;
  hs_error_t rc =
      hs_scan(db, reinterpret_cast<const char*>(data.data()), static_cast<unsigned>(data.size()), 0,
              scratch, &collectCandidate, &candidates_);
  if (rc != HS_SUCCESS) ++stats_.scan_errors;
  return rc == HS_SUCCESS;
}

void SignatureMatcher::verifyCandidates(const FlowTraits& flow, bool to_server,
                                        const Buffers& buffers, std::vector<uint32_t>& matched,
                                        std::vector<uint32_t>* defer_body) {
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  stats_.candidates += candidates_.size();
  hs_scratch_t* scratch = candidates_.empty() ? nullptr : scratchFor(*rules_);
  for (uint32_t index : candidates_) {
    const Rule& rule = rules_->rules()[index];
    if (!headerMatches(rule, flow, to_server)) continue;
    if (defer_body != nullptr && rule.needs_body) {
      defer_body->push_back(index);
      continue;
    }
    if (scratch == nullptr) {
      ++stats_.scan_errors;
      return;
    }
    std::array<bool, kBufferKindCount> done{};
    bool ok = true;
    for (size_t i = 0; ok && i < rule.matches.size(); ++i) {
      auto kind = static_cast<size_t>(rule.matches[i].buffer);
      if (done[kind]) continue;
      done[kind] = true;
      ChainVerifier v(*rules_, scratch, rule, index, buffers.data[kind],
                      rule.matches[i].buffer == BufferKind::kStream ? buffers.stream_offset : 0);
      ok = v.verify(rule.matches[i].buffer);
      if (v.exhausted()) ++stats_.budget_exhausted;
    }
    if (ok) matched.push_back(index);
  }
  candidates_.clear();
}

void SignatureMatcher::matchStream(const FlowTraits& flow, bool to_server,
                                   std::span<const uint8_t> window, uint64_t stream_offset,
                                   std::vector<uint32_t>& matched) {
  if (!rules_->hasUnit(InspectionUnit::kStream)) return;
  candidates_.clear();
  scan(BufferKind::kStream, window);
  Buffers b;
  b.data[static_cast<size_t>(BufferKind::kStream)] = window;
  b.stream_offset = stream_offset;
  verifyCandidates(flow, to_server, b, matched, nullptr);
}

void SignatureMatcher::matchHttpHeaders(const FlowTraits& flow, bool to_server,
                                        const HttpMessage& m, std::vector<uint32_t>& matched) {
  auto& deferred = deferred_[to_server ? 0 : 1];
  deferred.clear();
  if (!rules_->hasUnit(InspectionUnit::kHttp)) return;
  candidates_.clear();
  Buffers b;
  auto set = [&](BufferKind k, std::string_view s) {
    b.data[static_cast<size_t>(k)] = bytesOf(s);
    scan(k, bytesOf(s));
  };
  set(BufferKind::kHttpHeader, m.headers);
  if (m.request) {
    set(BufferKind::kHttpMethod, m.method);
    set(BufferKind::kHttpUri, m.uri);
    set(BufferKind::kHttpUriRaw, m.uri_raw);
    set(BufferKind::kHttpHost, m.host);
  }
  verifyCandidates(flow, to_server, b, matched, &deferred);
}

void SignatureMatcher::matchHttpBody(const FlowTraits& flow, bool to_server, const HttpMessage& m,
                                     std::vector<uint32_t>& matched) {
  if (!rules_->hasUnit(InspectionUnit::kHttp)) return;
  candidates_.clear();
  BufferKind body = m.request ? BufferKind::kHttpRequestBody : BufferKind::kHttpResponseBody;
  scan(body, bytesOf(m.body));
  const auto& deferred = deferred_[to_server ? 0 : 1];
  candidates_.insert(candidates_.end(), deferred.begin(), deferred.end());
  Buffers b;
  b.data[static_cast<size_t>(BufferKind::kHttpHeader)] = bytesOf(m.headers);
  if (m.request) {
    b.data[static_cast<size_t>(BufferKind::kHttpMethod)] = bytesOf(m.method);
    b.data[static_cast<size_t>(BufferKind::kHttpUri)] = bytesOf(m.uri);
    b.data[static_cast<size_t>(BufferKind::kHttpUriRaw)] = bytesOf(m.uri_raw);
    b.data[static_cast<size_t>(BufferKind::kHttpHost)] = bytesOf(m.host);
  }
  b.data[static_cast<size_t>(body)] = bytesOf(m.body);
  verifyCandidates(flow, to_server, b, matched, nullptr);
}

void SignatureMatcher::matchTlsSni(const FlowTraits& flow, std::string_view sni,
                                   std::vector<uint32_t>& matched) {
  if (!rules_->hasUnit(InspectionUnit::kTlsSni) || sni.empty()) return;
  candidates_.clear();
  scan(BufferKind::kTlsSni, bytesOf(sni));
  Buffers b;
  b.data[static_cast<size_t>(BufferKind::kTlsSni)] = bytesOf(sni);
  verifyCandidates(flow, true, b, matched, nullptr);
}

}  // namespace vtps::filter
