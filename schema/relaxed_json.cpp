#include "schema/relaxed_json.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace weft::schema {

namespace {

constexpr int max_depth = 32;

/// A recursive-descent reader; the first problem stops it.
class reader {
public:
  explicit reader(std::string_view text) : s_(text) {}

  relaxed_result run() {
    relaxed_result r;
    skip_blanks();
    r.value = value(0);
    r.error = error_;
    r.error_at = error_at_;
    r.end = i_;
    return r;
  }

private:
  std::string_view s_;
  size_t i_ = 0;
  std::string error_;
  size_t error_at_ = 0;

  bool failed() const { return !error_.empty(); }

  nlohmann::json fail(std::string what) {
    if (!failed()) {
      error_ = std::move(what);
      error_at_ = i_;
    }
    return nullptr;
  }

  void skip_blanks() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
  }

  static bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  }

  static bool ident_char(char c) {
    return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  }

  std::string identifier() {
    size_t from = i_;
    while (i_ < s_.size() && ident_char(s_[i_]))
      ++i_;
    return std::string{s_.substr(from, i_ - from)};
  }

  nlohmann::json value(int depth) {
    if (depth > max_depth)
      return fail("nested too deeply");
    if (i_ >= s_.size())
      return fail("a value was expected, the text ended");
    char c = s_[i_];
    if (c == '{')
      return object(depth);
    if (c == '[')
      return array(depth);
    if (c == '"' || c == '\'')
      return string_value();
    if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)))
      return number();
    if (ident_start(c)) {
      auto at = i_;
      auto word = identifier();
      if (word == "true")
        return true;
      if (word == "false")
        return false;
      if (word == "null")
        return nullptr;
      i_ = at;
      return fail("unexpected word '" + word + "': strings are quoted");
    }
    return fail(std::string{"unexpected '"} + c + "'");
  }

  nlohmann::json object(int depth) {
    ++i_; // {
    auto out = nlohmann::json::object();
    for (;;) {
      skip_blanks();
      if (i_ >= s_.size())
        return fail("'}' was expected, the text ended");
      if (s_[i_] == '}') {
        ++i_;
        return out;
      }
      std::string key;
      const size_t key_at = i_;
      if (s_[i_] == '"' || s_[i_] == '\'') {
        auto k = string_value();
        if (failed())
          return nullptr;
        key = k.get<std::string>();
      } else if (ident_start(s_[i_])) {
        key = identifier();
      } else {
        return fail(std::string{"a key was expected, got '"} + s_[i_] + "'");
      }
      skip_blanks();
      if (i_ >= s_.size() || s_[i_] != ':')
        return fail("':' was expected after key '" + key + "'");
      ++i_;
      skip_blanks();
      auto v = value(depth + 1);
      if (failed())
        return nullptr;
      if (out.contains(key)) {
        i_ = key_at;
        return fail("key '" + key + "' appears twice");
      }
      out[key] = std::move(v);
      skip_blanks();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ >= s_.size())
        return fail("'}' was expected, the text ended");
      if (s_[i_] == '}')
        continue;
      return fail("',' or '}' was expected");
    }
  }

  nlohmann::json array(int depth) {
    ++i_; // [
    auto out = nlohmann::json::array();
    for (;;) {
      skip_blanks();
      if (i_ >= s_.size())
        return fail("']' was expected, the text ended");
      if (s_[i_] == ']') {
        ++i_;
        return out;
      }
      auto v = value(depth + 1);
      if (failed())
        return nullptr;
      out.push_back(std::move(v));
      skip_blanks();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ >= s_.size())
        return fail("']' was expected, the text ended");
      if (s_[i_] == ']')
        continue;
      return fail("',' or ']' was expected");
    }
  }

  nlohmann::json string_value() {
    char quote = s_[i_++];
    std::string out;
    while (i_ < s_.size() && s_[i_] != quote) {
      char c = s_[i_++];
      if (c == '\n')
        return fail("a string does not end on its line");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size())
        break;
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '"': case '\'': case '\\': case '/': out += e; break;
        default:
          --i_;
          return fail(std::string{"unknown escape '\\"} + e + "'");
      }
    }
    if (i_ >= s_.size())
      return fail("a string was not closed");
    ++i_; // the closing quote
    return out;
  }

  nlohmann::json number() {
    size_t from = i_;
    if (s_[i_] == '+' || s_[i_] == '-')
      ++i_;
    bool real = false;
    while (i_ < s_.size()
           && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' || s_[i_] == 'e'
               || s_[i_] == 'E'
               || ((s_[i_] == '-' || s_[i_] == '+') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E')))) {
      real = real || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E';
      ++i_;
    }
    std::string text{s_.substr(from, i_ - from)};
    if (text.front() == '+')
      text.erase(0, 1);
    if (!real) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc{} && p == text.data() + text.size())
        return v;
    }
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) {
      i_ = from;
      return fail("'" + text + "' is not a number");
    }
    return d;
  }
};

} // namespace

relaxed_result read_relaxed_json(std::string_view text) {
  return reader{text}.run();
}

} // namespace weft::schema
