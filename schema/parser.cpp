#include "schema/parser.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "schema/format.hpp"
#include "schema/relaxed_json.hpp"

namespace weft::schema {

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

bool identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// A piece of text and where its first character is in the file.
struct located {
  std::string_view text;
  position at;
};

/// Splits `line` (at `at`) into blank-separated words; a quoted word keeps
/// its quotes and may hold blanks.
std::vector<located> words_of(std::string_view line, position at) {
  std::vector<located> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i]))
      ++i;
    if (i >= line.size())
      break;
    size_t from = i;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"')
        ++i;
      if (i < line.size())
        ++i;
    } else {
      while (i < line.size() && !blank(line[i]))
        ++i;
    }
    out.push_back({line.substr(from, i - from), {at.line, at.column + static_cast<uint32_t>(from)}});
  }
  return out;
}

/// Where `%%` starts outside quotes; npos if nowhere.
size_t comment_start(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] == '"')
      quoted = !quoted;
    else if (!quoted && line[i] == '%' && line[i + 1] == '%')
      return i;
  }
  return std::string_view::npos;
}

/// The brace depth after `text`, starting at `depth` (quotes respected).
int brace_depth(std::string_view text, int depth) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return depth;
}

constexpr std::string_view annotations_known = "@service, @index, @unique, @default(value)";

/// A `@service` config being read over several `%%` lines.
struct open_config {
  service_binding binding;
  std::string text;
  std::vector<std::pair<size_t, position>> pieces; ///< offset in text -> file position
  int depth = 0;

  void add(std::string_view piece, position at) {
    if (!text.empty())
      text += '\n';
    pieces.emplace_back(text.size(), at);
    text += piece;
    depth = brace_depth(piece, depth);
  }

  position where(size_t offset) const {
    position p = pieces.front().second;
    size_t start = 0;
    for (auto& [off, at] : pieces)
      if (off <= offset) {
        start = off;
        p = at;
      }
    p.column += static_cast<uint32_t>(offset - start);
    return p;
  }
};

class parser {
public:
  parse_result run(std::string_view text) {
    uint32_t n = 0;
    size_t from = 0;
    while (from <= text.size()) {
      auto nl = text.find('\n', from);
      auto line = text.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from);
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      take(line, ++n);
      if (nl == std::string_view::npos)
        break;
      from = nl + 1;
    }
    if (config_)
      fail(config_->binding.at, "the config of this @service is not closed ('}' missing)");
    if (current_)
      fail(out_.schema.entities[*current_].at,
           "entity " + out_.schema.entities[*current_].name + " is not closed ('}' missing)");
    if (!saw_header_ && saw_content_)
      out_.legacy.push_back({{1, 1}, "no erDiagram header: not valid Mermaid (weft schema fmt adds it)"});
    check_relationships();
    for (auto& e : out_.schema.entities)
      add_implicit(e);
    if (out_.problems.empty())
      out_.schema.hash = hash_of(format_schema(out_.schema, true));
    std::stable_sort(out_.problems.begin(), out_.problems.end(), [](auto& a, auto& b) {
      return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
    });
    return std::move(out_);
  }

private:
  parse_result out_;
  std::optional<size_t> current_;       ///< the entity being read
  std::optional<size_t> last_attribute_;
  std::optional<open_config> config_;
  bool saw_header_ = false;
  bool saw_content_ = false;

  void fail(position at, std::string message) {
    out_.problems.push_back({at, std::move(message)});
  }

  entity* current() { return current_ ? &out_.schema.entities[*current_] : nullptr; }

  void take(std::string_view raw, uint32_t line_no) {
    size_t lead = 0;
    while (lead < raw.size() && blank(raw[lead]))
      ++lead;
    auto line = raw.substr(lead);
    while (!line.empty() && blank(line.back()))
      line.remove_suffix(1);
    position at{line_no, static_cast<uint32_t>(lead + 1)};
    if (line.starts_with("%%")) {
      comment_line(line.substr(2), {at.line, at.column + 2});
      return;
    }
    if (config_) {
      fail(config_->binding.at, "the config of this @service is not closed before line "
                                  + std::to_string(line_no) + " ('}' missing)");
      config_.reset();
    }
    if (line.empty())
      return;
    if (!saw_content_ && !saw_header_ && line == "erDiagram") {
      saw_header_ = true;
      return;
    }
    if (line.starts_with("erDiagram")) {
      fail(at, saw_header_ ? "a second erDiagram header" : "erDiagram must be alone on its line");
      return;
    }
    saw_content_ = true;
    if (current_) {
      if (line == "}") {
        current_.reset();
        last_attribute_.reset();
        return;
      }
      attribute_line(line, at);
      return;
    }
    if (line.ends_with("{")) {
      entity_start(line, at);
      return;
    }
    if (relationship_line(line, at))
      return;
    fail(at, "expected an entity (Name {), a relationship (A ||--o{ B : label) or a %% line");
  }

  void entity_start(std::string_view line, position at) {
    auto name = line.substr(0, line.size() - 1);
    while (!name.empty() && blank(name.back()))
      name.remove_suffix(1);
    if (!identifier(name)) {
      fail(at, "an entity name is a letter then letters, digits or _, got '" + std::string{name} + "'");
      name = "?";
    }
    for (auto& e : out_.schema.entities)
      if (e.name == name)
        fail(at, "entity " + std::string{name} + " is declared twice (first at line "
                   + std::to_string(e.at.line) + ")");
    entity e;
    e.name = std::string{name};
    e.at = at;
    out_.schema.entities.push_back(std::move(e));
    current_ = out_.schema.entities.size() - 1;
    last_attribute_.reset();
  }

  void attribute_line(std::string_view line, position at) {
    std::string_view trailing;
    position trailing_at{};
    if (auto c = comment_start(line); c != std::string_view::npos) {
      trailing = line.substr(c + 2);
      trailing_at = {at.line, at.column + static_cast<uint32_t>(c) + 2};
      line = line.substr(0, c);
      while (!line.empty() && blank(line.back()))
        line.remove_suffix(1);
    }
    auto words = words_of(line, at);
    if (words.size() < 2) {
      fail(at, "an attribute line is: type name [PK|FK|UK] [\"comment\"]");
      return;
    }
    attribute a;
    a.at = words[1].at;
    auto type = parse_type(words[0].text);
    if (!type)
      fail(words[0].at, "unknown type '" + std::string{words[0].text} + "'" + type_hint(words[0].text));
    else
      a.type = *type;
    a.name = std::string{words[1].text};
    if (!identifier(a.name))
      fail(words[1].at, "an attribute name is a letter then letters, digits or _, got '" + a.name + "'");
    size_t i = 2;
    // Keys: PK, FK, UK, comma-separated, with or without blanks.
    for (; i < words.size() && words[i].text.front() != '"'; ++i) {
      size_t from = 0;
      auto w = words[i].text;
      while (from < w.size()) {
        auto comma = w.find(',', from);
        auto key = w.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
        if (key == "PK")
          a.primary_key = true;
        else if (key == "FK")
          a.foreign_key = true;
        else if (key == "UK")
          a.unique = true;
        else if (!key.empty())
          fail({words[i].at.line, words[i].at.column + static_cast<uint32_t>(from)},
               "unknown key '" + std::string{key} + "': PK, FK or UK");
        if (comma == std::string_view::npos)
          break;
        from = comma + 1;
      }
    }
    if (i < words.size()) {
      auto c = words[i].text;
      if (c.size() < 2 || c.back() != '"')
        fail(words[i].at, "the comment is not closed ('\"' missing)");
      else
        a.comment = std::string{c.substr(1, c.size() - 2)};
      if (i + 1 < words.size())
        fail(words[i + 1].at, "nothing may follow the comment");
    }
    auto& e = *current();
    for (auto& other : e.attributes)
      if (other.name == a.name)
        fail(a.at, "attribute " + a.name + " is declared twice in " + e.name + " (first at line "
                     + std::to_string(other.at.line) + ")");
    check_reserved(a);
    e.attributes.push_back(std::move(a));
    last_attribute_ = e.attributes.size() - 1;
    if (!trailing.empty()) {
      out_.legacy.push_back({trailing_at, "an annotation at the end of an attribute line is not valid "
                                          "Mermaid (weft schema fmt moves it to its own %% line)"});
      annotations(trailing, trailing_at, true);
    }
  }

  /// The implicit attributes keep their meaning when declared.
  void check_reserved(const attribute& a) {
    if (a.name == "id" && !(a.type == attribute_type{scalar::uuid, false}))
      fail(a.at, "id is the entity's identifier (UUIDv7): declare it as UUID id PK, or leave it out");
    if ((a.name == "created_at" || a.name == "updated_at")
        && !(a.type == attribute_type{scalar::date_time, false}))
      fail(a.at, a.name + " is kept by Weft: declare it as DateTime, or leave it out");
  }

  static std::string type_hint(std::string_view word) {
    std::string lower;
    for (char c : word)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int s = 0; s <= static_cast<int>(scalar::binary); ++s) {
      std::string name{name_of(static_cast<scalar>(s))};
      std::string ln;
      for (char c : name)
        ln += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (ln == lower)
        return "; did you mean " + name + "?";
    }
    return "; the types are String, Text, Integer, Float, Boolean, UUID, Date, DateTime, JSON, "
           "Binary and Array[T]";
  }

  void comment_line(std::string_view text, position at) {
    size_t lead = 0;
    while (lead < text.size() && blank(text[lead]))
      ++lead;
    text = text.substr(lead);
    at.column += static_cast<uint32_t>(lead);
    if (config_) {
      config_->add(text, at);
      if (config_->depth <= 0)
        close_config();
      return;
    }
    if (!text.starts_with("@"))
      return; // a plain comment
    if (!current_) {
      fail(at, "an annotation belongs inside an entity's braces");
      return;
    }
    annotations(text, at, false);
  }

  /// One or more annotations on a `%%` line (or after an attribute: `trailing`).
  void annotations(std::string_view text, position at, bool trailing) {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && blank(text[i]))
        ++i;
      if (i >= text.size())
        return;
      position here{at.line, at.column + static_cast<uint32_t>(i)};
      if (text[i] != '@') {
        fail(here, "expected an annotation (" + std::string{annotations_known} + ")");
        return;
      }
      size_t from = ++i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
        ++i;
      auto name = text.substr(from, i - from);
      if (name == "service") {
        if (trailing) {
          fail(here, "@service goes on its own %% line inside the entity");
          return;
        }
        service(text.substr(i), {at.line, at.column + static_cast<uint32_t>(i)}, here);
        return; // the config runs to the end of the line
      }
      if (name == "index" || name == "unique") {
        if (auto* a = annotated(here, name)) {
          (name == "index" ? a->indexed : a->unique) = true;
        }
        continue;
      }
      if (name == "default") {
        if (i >= text.size() || text[i] != '(') {
          fail(here, "@default takes its value in parentheses: @default(0)");
          return;
        }
        auto r = read_relaxed_json(text.substr(i + 1));
        if (!r.ok()) {
          fail({at.line, at.column + static_cast<uint32_t>(i + 1 + r.error_at)},
               "@default: " + r.error);
          return;
        }
        size_t close = i + 1 + r.end;
        while (close < text.size() && blank(text[close]))
          ++close;
        if (close >= text.size() || text[close] != ')') {
          fail({at.line, at.column + static_cast<uint32_t>(close)}, "@default: ')' was expected");
          return;
        }
        if (auto* a = annotated(here, name))
          a->default_value = std::move(r.value);
        i = close + 1;
        continue;
      }
      fail(here, "unknown annotation @" + std::string{name} + "; known: " + std::string{annotations_known});
      return;
    }
  }

  attribute* annotated(position at, std::string_view name) {
    if (!last_attribute_) {
      fail(at, "@" + std::string{name} + " applies to the attribute above it, and there is none");
      return nullptr;
    }
    return &current()->attributes[*last_attribute_];
  }

  void service(std::string_view rest, position at, position annotation_at) {
    size_t i = 0;
    while (i < rest.size() && blank(rest[i]))
      ++i;
    size_t from = i;
    while (i < rest.size() && !blank(rest[i]) && rest[i] != '{')
      ++i;
    auto kind = rest.substr(from, i - from);
    position kind_at{at.line, at.column + static_cast<uint32_t>(from)};
    service_binding b;
    b.at = annotation_at;
    std::vector<std::string_view> parts;
    for (size_t p = 0; p <= kind.size();) {
      auto dot = kind.find('.', p);
      parts.push_back(kind.substr(p, dot == std::string_view::npos ? std::string_view::npos : dot - p));
      if (dot == std::string_view::npos)
        break;
      p = dot + 1;
    }
    bool well_formed = parts.size() == 3
                       && std::all_of(parts.begin(), parts.end(), [](auto p) { return identifier(p); });
    if (!well_formed) {
      fail(kind.empty() ? at : kind_at,
           "@service names <type>.<method>.<provider>, e.g. crud.rest.weft"
             + (kind.empty() ? std::string{} : ", got '" + std::string{kind} + "'"));
      return;
    }
    b.type = std::string{parts[0]};
    b.method = std::string{parts[1]};
    b.provider = std::string{parts[2]};
    while (i < rest.size() && blank(rest[i]))
      ++i;
    if (i >= rest.size()) {
      current()->services.push_back(std::move(b));
      return;
    }
    if (rest[i] != '{') {
      fail({at.line, at.column + static_cast<uint32_t>(i)},
           "the config of @service is an object in braces: { key: value }");
      return;
    }
    config_.emplace();
    config_->binding = std::move(b);
    config_->add(rest.substr(i), {at.line, at.column + static_cast<uint32_t>(i)});
    if (config_->depth <= 0)
      close_config();
  }

  void close_config() {
    auto c = std::move(*config_);
    config_.reset();
    auto r = read_relaxed_json(c.text);
    if (!r.ok()) {
      fail(c.where(r.error_at), "@service " + c.binding.kind() + "." + c.binding.provider
                                  + " config: " + r.error);
      return;
    }
    size_t end = r.end;
    while (end < c.text.size() && std::isspace(static_cast<unsigned char>(c.text[end])))
      ++end;
    if (end < c.text.size()) {
      fail(c.where(end), "nothing may follow the config of @service");
      return;
    }
    c.binding.config = std::move(r.value);
    c.binding.config_text = c.text;
    current()->services.push_back(std::move(c.binding));
  }

  bool relationship_line(std::string_view line, position at) {
    auto words = words_of(line, at);
    if (words.size() < 5 || words[3].text != ":")
      return looks_like_relationship(words) && (fail(at, "a relationship is: A ||--o{ B : label"), true);
    auto card = words[1].text;
    auto side = [](std::string_view s, bool left) {
      static const std::vector<std::string_view> lefts{"|o", "||", "}o", "}|"};
      static const std::vector<std::string_view> rights{"o|", "||", "o{", "|{"};
      auto& set = left ? lefts : rights;
      return std::find(set.begin(), set.end(), s) != set.end();
    };
    bool valid_card = card.size() == 6 && side(card.substr(0, 2), true)
                      && (card.substr(2, 2) == "--" || card.substr(2, 2) == "..")
                      && side(card.substr(4, 2), false);
    if (!valid_card) {
      fail(words[1].at, "unknown relationship '" + std::string{card}
                          + "': e.g. ||--o{ (one to many), ||--|| (one to one), }o--o{");
      return true;
    }
    relationship r;
    r.left = std::string{words[0].text};
    r.right = std::string{words[2].text};
    r.cardinality = std::string{card};
    r.at = at;
    auto label_from = words[4].at.column - at.column;
    auto label = line.substr(label_from);
    if (label.size() >= 2 && label.front() == '"' && label.back() == '"')
      label = label.substr(1, label.size() - 2);
    r.label = std::string{label};
    out_.schema.relationships.push_back(std::move(r));
    return true;
  }

  static bool looks_like_relationship(const std::vector<located>& words) {
    return words.size() >= 2 && words[1].text.find("--") != std::string_view::npos;
  }

  void check_relationships() {
    for (auto& r : out_.schema.relationships)
      for (auto* name : {&r.left, &r.right})
        if (out_.schema.find(*name) == nullptr)
          fail(r.at, "relationship " + r.left + " " + r.cardinality + " " + r.right
                       + " names entity " + *name + ", which is not declared");
  }

  static void add_implicit(entity& e) {
    if (e.find("id") == nullptr) {
      attribute id;
      id.name = "id";
      id.type = {scalar::uuid, false};
      id.primary_key = true;
      id.implicit = true;
      id.at = e.at;
      e.attributes.insert(e.attributes.begin(), std::move(id));
    }
    for (const char* name : {"created_at", "updated_at"}) {
      if (e.find(name) != nullptr)
        continue;
      attribute t;
      t.name = name;
      t.type = {scalar::date_time, false};
      t.implicit = true;
      t.at = e.at;
      e.attributes.push_back(std::move(t));
    }
  }

  static std::string hash_of(const std::string& canonical) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(canonical.data()),
                       canonical.size());
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < 8; ++i) { // 16 hex digits name a version well enough
      out += hex[digest[i] >> 4];
      out += hex[digest[i] & 15];
    }
    return out;
  }
};

} // namespace

parse_result parse_schema(std::string_view text) {
  return parser{}.run(text);
}

std::string to_string(std::string_view file, const problem& p) {
  return std::string{file} + ":" + std::to_string(p.at.line) + ":" + std::to_string(p.at.column)
         + ": " + p.message;
}

} // namespace weft::schema
