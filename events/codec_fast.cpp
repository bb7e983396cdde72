#include "events/codec_fast.hpp"

#include <array>
#include <chrono>
#include <cstdint>

#include "events/ids.hpp"

namespace weft::events::fast {

namespace {

/// A recursive check of canonical JSON text (see is_canonical_json).
class canonical_scanner {
public:
  explicit canonical_scanner(std::string_view s) : s_(s) {}

  bool whole() { return value(0) && i_ == s_.size(); }

private:
  static constexpr int max_depth = 64;

  bool at(char ch) const { return i_ < s_.size() && s_[i_] == ch; }

  bool value(int depth) {
    if (i_ >= s_.size() || depth > max_depth)
      return false;
    switch (s_[i_]) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': return string(nullptr);
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word)
      return false;
    i_ += word.size();
    return true;
  }

  // dump() writes integers as they parse; floats it rewrites, so none here.
  bool number() {
    size_t start = i_;
    if (at('-'))
      ++i_;
    size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
      ++i_;
    size_t n = i_ - digits;
    if (n == 0 || n > 18 || (n > 1 && s_[digits] == '0'))
      return false;
    if (s_[start] == '-' && n == 1 && s_[digits] == '0') // -0 dumps as 0
      return false;
    return !(at('.') || at('e') || at('E'));
  }

  /// A string as dump() escapes it; `raw` (if given) gets its text when it
  /// has no escape at all, else the scan fails.
  bool string(std::string_view* raw) {
    size_t start = ++i_;
    while (i_ < s_.size()) {
      auto ch = static_cast<unsigned char>(s_[i_]);
      if (ch == '"') {
        if (raw != nullptr)
          *raw = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (ch < 0x20 || ch >= 0x80)
        return false;
      if (ch == '\\') {
        if (raw != nullptr || ++i_ >= s_.size())
          return false;
        switch (s_[i_]) {
          case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't': break;
          case 'u':
            if (!short_u_escape())
              return false;
            break;
          default: return false; // e.g. "\/": dump() writes '/'
        }
      }
      ++i_;
    }
    return false;
  }

  /// `\u00xx` (lower-case hex) of a control character without a short form.
  bool short_u_escape() {
    if (i_ + 4 >= s_.size() || s_[i_ + 1] != '0' || s_[i_ + 2] != '0')
      return false;
    auto hex = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    int hi = hex(s_[i_ + 3]), lo = hex(s_[i_ + 4]);
    if (hi < 0 || lo < 0 || hi > 1)
      return false;
    int code = hi * 16 + lo;
    if (code == 0x08 || code == 0x09 || code == 0x0a || code == 0x0c || code == 0x0d)
      return false;
    i_ += 4;
    return true;
  }

  bool object(int depth) {
    ++i_;
    if (at('}')) {
      ++i_;
      return true;
    }
    std::string_view previous;
    for (bool first = true;; first = false) {
      std::string_view key;
      if (!at('"') || !string(&key) || (!first && !(previous < key)) || !at(':'))
        return false;
      previous = key;
      ++i_;
      if (!value(depth))
        return false;
      if (at('}')) {
        ++i_;
        return true;
      }
      if (!at(','))
        return false;
      ++i_;
    }
  }

  bool array(int depth) {
    ++i_;
    if (at(']')) {
      ++i_;
      return true;
    }
    for (;;) {
      if (!value(depth))
        return false;
      if (at(']')) {
        ++i_;
        return true;
      }
      if (!at(','))
        return false;
      ++i_;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

/// Appends `s` as a JSON string escaped as dump() does; false for non-ASCII.
bool append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto ch = static_cast<unsigned char>(c);
    if (ch >= 0x80)
      return false;
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case 0x08: out += "\\b"; break;
      case 0x09: out += "\\t"; break;
      case 0x0a: out += "\\n"; break;
      case 0x0c: out += "\\f"; break;
      case 0x0d: out += "\\r"; break;
      default:
        if (ch < 0x20) {
          out += "\\u00";
          out += hex[ch >> 4];
          out += hex[ch & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return true;
}

struct member {
  std::string_view key;
  std::string envelope::*field; ///< null: data
  bool required;
};

// In dump() order: nlohmann::json keeps object keys sorted.
constexpr std::array<member, 12> members{{
  {"causationid", &envelope::causationid, false},
  {"correlationid", &envelope::correlationid, false},
  {"data", nullptr, false},
  {"datacontenttype", &envelope::datacontenttype, false},
  {"dataversion", &envelope::dataversion, false},
  {"id", &envelope::id, true},
  {"source", &envelope::source, true},
  {"specversion", &envelope::specversion, true},
  {"subject", &envelope::subject, false},
  {"time", &envelope::time, false},
  {"traceparent", &envelope::traceparent, false},
  {"type", &envelope::type, true},
}};

constexpr size_t data_member = 2;
static_assert(members[data_member].field == nullptr);

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// The end of the JSON value starting at `i` (syntax checked later, if kept).
size_t skip_value(std::string_view s, size_t i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      else
        continue;
      if (depth == 0 && !in_string)
        return i + 1;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0)
        return i; // the end of the enclosing object
      if (depth == 0)
        return i + 1;
    } else if (depth == 0 && (c == ',' || is_ws(c))) {
      return i;
    }
  }
  return i;
}

} // namespace

bool is_canonical_json(std::string_view s) {
  return canonical_scanner{s}.whole();
}

std::optional<std::string> encode(const envelope& ev) {
  bool has_data = !ev.data.empty() && ev.data != "null";
  if (has_data && !is_canonical_json(ev.data))
    return std::nullopt;
  std::string out;
  out.reserve(64 + ev.data.size() + ev.id.size() + ev.source.size() + ev.type.size()
              + ev.time.size() + ev.subject.size() + ev.datacontenttype.size()
              + ev.correlationid.size() + ev.causationid.size() + ev.traceparent.size()
              + ev.dataversion.size());
  out += '{';
  bool first = true;
  for (const auto& m : members) {
    if (m.field == nullptr ? !has_data : (!m.required && (ev.*m.field).empty()))
      continue;
    if (!first)
      out += ',';
    first = false;
    out += '"';
    out += m.key;
    out += "\":";
    if (m.field == nullptr)
      out += ev.data;
    else if (!append_string(out, ev.*m.field))
      return std::nullopt;
  }
  out += '}';
  return out;
}

std::optional<envelope> decode(std::string_view s) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && is_ws(s[i]))
      ++i;
  };
  skip_ws();
  if (i >= s.size() || s[i] != '{')
    return std::nullopt;
  ++i;
  envelope ev;
  uint32_t seen = 0;
  skip_ws();
  bool empty = i < s.size() && s[i] == '}';
  if (empty)
    ++i;
  while (!empty) {
    skip_ws();
    // A key: plain ASCII, no escapes.
    if (i >= s.size() || s[i] != '"')
      return std::nullopt;
    size_t k = ++i;
    while (i < s.size() && s[i] != '"' && s[i] != '\\' && static_cast<unsigned char>(s[i]) >= 0x20
           && static_cast<unsigned char>(s[i]) < 0x80)
      ++i;
    if (i >= s.size() || s[i] != '"')
      return std::nullopt;
    auto key = s.substr(k, i - k);
    ++i;
    skip_ws();
    if (i >= s.size() || s[i] != ':')
      return std::nullopt;
    ++i;
    skip_ws();
    size_t idx = 0;
    while (idx < members.size() && members[idx].key != key)
      ++idx;
    if (idx == members.size() || (seen & (1u << idx)) != 0)
      return std::nullopt; // an extension, data_base64 or a repeated key
    seen |= 1u << idx;
    const auto& m = members[idx];
    if (m.field == nullptr) {
      size_t end = skip_value(s, i);
      auto data = s.substr(i, end - i);
      if (!is_canonical_json(data))
        return std::nullopt;
      ev.data = std::string{data};
      i = end;
    } else {
      // A string without escapes (null, other types and escapes: general path).
      if (i >= s.size() || s[i] != '"')
        return std::nullopt;
      size_t v = ++i;
      while (i < s.size() && s[i] != '"' && s[i] != '\\'
             && static_cast<unsigned char>(s[i]) >= 0x20 && static_cast<unsigned char>(s[i]) < 0x80)
        ++i;
      if (i >= s.size() || s[i] != '"')
        return std::nullopt;
      ev.*m.field = std::string{s.substr(v, i - v)};
      ++i;
    }
    skip_ws();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') {
      ++i;
      break;
    }
    return std::nullopt;
  }
  skip_ws();
  if (i != s.size())
    return std::nullopt;
  for (size_t idx = 0; idx < members.size(); ++idx)
    if (members[idx].required && ((seen & (1u << idx)) == 0 || (ev.*members[idx].field).empty()))
      return std::nullopt;
  if (ev.specversion != "1.0")
    return std::nullopt;
  std::chrono::system_clock::time_point t;
  if (!ev.time.empty() && !parse_rfc3339(ev.time, t))
    return std::nullopt;
  if ((seen & (1u << data_member)) == 0)
    ev.data = "null";
  return ev;
}

} // namespace weft::events::fast
