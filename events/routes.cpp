#include "events/routes.hpp"

#include <algorithm>
#include <cctype>

namespace weft::events {

namespace {

constexpr std::string_view dlq_prefix = "weft.dlq.";

// Walks the `.`-separated tokens of a subject without allocating.
class tokens {
public:
  explicit tokens(std::string_view s) : rest_(s) {}

  /// Next token (may be empty for `a..b`); false when none is left.
  bool next(std::string_view& tok) {
    if (done_)
      return false;
    auto dot = rest_.find('.');
    if (dot == std::string_view::npos) {
      tok = rest_;
      done_ = true;
    } else {
      tok = rest_.substr(0, dot);
      rest_ = rest_.substr(dot + 1);
    }
    return true;
  }

  bool done() const { return done_; }

private:
  std::string_view rest_;
  bool done_ = false;
};

} // namespace

std::string subject_for_type(std::string_view type) {
  std::string out;
  out.reserve(subject_prefix.size() + type.size());
  out += subject_prefix;
  out += type;
  return out;
}

std::string type_for_subject(std::string_view subject) {
  // Dead-letter subjects carry failed deliveries, not an event type.
  if (!subject.starts_with(subject_prefix) || is_dead_letter_subject(subject))
    return {};
  return std::string{subject.substr(subject_prefix.size())};
}

std::string dead_letter_subject(std::string_view service) {
  std::string out{dlq_prefix};
  out += service;
  return out;
}

bool is_dead_letter_subject(std::string_view subject) {
  return subject.size() > dlq_prefix.size() && subject.starts_with(dlq_prefix);
}

uint32_t partition_of(std::string_view aggregate, uint32_t partitions) {
  if (partitions <= 1)
    return 0;
  uint32_t h = 2166136261u;
  for (unsigned char ch : aggregate) {
    h ^= ch;
    h *= 16777619u;
  }
  return h % partitions;
}

std::string partitioned_subject(std::string_view subject, uint32_t partition) {
  if (!subject.starts_with(subject_prefix))
    return std::string{subject};
  auto k = std::to_string(partition);
  std::string out;
  out.reserve(subject.size() + k.size() + 2);
  out += subject_prefix;
  out += 'p';
  out += k;
  out += '.';
  out += subject.substr(subject_prefix.size());
  return out;
}

std::string unpartitioned_subject(std::string_view wire) {
  if (!wire.starts_with(subject_prefix))
    return std::string{wire};
  auto rest = wire.substr(subject_prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot < 2 || rest[0] != 'p')
    return std::string{wire};
  for (size_t i = 1; i < dot; ++i)
    if (rest[i] < '0' || rest[i] > '9')
      return std::string{wire};
  std::string out{subject_prefix};
  out += rest.substr(dot + 1);
  return out;
}

std::string partition_filter(std::string_view filter, uint32_t partition) {
  if (filter.empty())
    return partitioned_subject("weft.>", partition);
  if (!filter.starts_with(subject_prefix))
    return {};
  return partitioned_subject(filter, partition);
}

bool valid_type_pattern(std::string_view p) {
  if (p == "*")
    return true;
  if (p.ends_with(".*"))
    p.remove_suffix(2);
  if (p.empty() || p.size() > 255 || p.front() == '.' || p.back() == '.'
      || p.find("..") != std::string_view::npos)
    return false;
  return std::all_of(p.begin(), p.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}

bool type_matches(std::string_view pattern, std::string_view type) {
  if (pattern == "*")
    return true;
  if (pattern.ends_with(".*"))
    return type.starts_with(pattern.substr(0, pattern.size() - 1)); // with the dot
  return pattern == type;
}

bool subject_matches(std::string_view filter, std::string_view subject) {
  if (filter.empty() || subject.empty())
    return false;
  tokens f{filter};
  tokens s{subject};
  std::string_view ft;
  std::string_view st;
  while (f.next(ft)) {
    if (ft == ">")
      // `>` must be last and needs at least one more subject token.
      return f.done() && s.next(st) && !st.empty();
    if (!s.next(st) || st.empty())
      return false;
    if (ft != "*" && ft != st)
      return false;
  }
  return s.done(); // every subject token consumed
}

bool valid_subject_filter(std::string_view filter) {
  if (filter.empty())
    return false;
  tokens f{filter};
  std::string_view tok;
  while (f.next(tok)) {
    if (tok.empty())
      return false;
    if (tok == ">" && !f.done())
      return false;
    // A wildcard must be a whole token: `a*` or `>b` are not filters.
    if (tok.size() > 1 && tok.find_first_of("*>") != std::string_view::npos)
      return false;
    if (tok.find_first_of(" \t\r\n") != std::string_view::npos)
      return false;
  }
  return true;
}

} // namespace weft::events
