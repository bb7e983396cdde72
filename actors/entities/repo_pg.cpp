#include <cstdio>
#include <functional>
#include <map>
#include <mutex>

#include "actors/entities/repo.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "runtime/api_error.hpp"

// A collection on PostgreSQL: the entity's table (`weft_e_<entity>`), one
// typed column per attribute, named as the attribute (quoted: camelCase
// stays). Rows go in with text parameters cast to the column's type and come
// out as one JSON object built by the server (dates as RFC 3339 in UTC,
// binary as base64). The statements of a table are built once and prepared
// on each session by name.
namespace weft::entities {

namespace {

using schema::scalar;

std::string sql_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

const char* element_sql(scalar s) {
  switch (s) {
    case scalar::string_type:
    case scalar::text: return "text";
    case scalar::integer: return "bigint";
    case scalar::float_type: return "double precision";
    case scalar::boolean: return "boolean";
    case scalar::uuid: return "uuid";
    case scalar::date: return "date";
    case scalar::date_time: return "timestamptz";
    case scalar::json: return "jsonb";
    case scalar::binary: return "bytea";
  }
  return "text";
}

/// Lists of JSON or of binary are kept as one jsonb value.
bool array_as_jsonb(const schema::attribute_type& t) {
  return t.array && (t.element == scalar::json || t.element == scalar::binary);
}

std::string column_sql(const schema::attribute_type& t) {
  if (array_as_jsonb(t))
    return "jsonb";
  return std::string{element_sql(t.element)} + (t.array ? "[]" : "");
}

/// information_schema.columns.udt_name of the column a type makes.
std::string udt_of(const schema::attribute_type& t) {
  static const std::map<std::string, std::string> names{
    {"text", "text"}, {"bigint", "int8"}, {"double precision", "float8"}, {"boolean", "bool"},
    {"uuid", "uuid"}, {"date", "date"}, {"timestamptz", "timestamptz"}, {"jsonb", "jsonb"},
    {"bytea", "bytea"}};
  if (array_as_jsonb(t))
    return "jsonb";
  auto base = names.at(element_sql(t.element));
  return t.array ? "_" + base : base;
}

/// The parameter `$n` as a value of `a`'s column.
std::string value_sql(const schema::attribute& a, int n) {
  auto p = "$" + std::to_string(n);
  if (array_as_jsonb(a.type))
    return p + "::jsonb";
  if (a.type.array)
    return "ARRAY(SELECT jsonb_array_elements_text(" + p + "::jsonb))::" + column_sql(a.type);
  if (a.type.element == scalar::binary)
    return "decode(" + p + ", 'base64')";
  return p + "::" + column_sql(a.type);
}

/// The column as a JSON value.
std::string json_sql(const schema::attribute& a) {
  auto col = sql_name(a.name);
  if (a.type.array)
    return "to_jsonb(" + col + ")";
  switch (a.type.element) {
    case scalar::date: return "to_char(" + col + ", 'YYYY-MM-DD')";
    case scalar::date_time:
      return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
    case scalar::binary: return "encode(" + col + ", 'base64')";
    default: return col;
  }
}

/// The whole row as one JSON object (jsonb_build_object takes at most 100
/// arguments: 40 attributes a call, joined with ||).
std::string row_json_sql(const schema::entity& e) {
  std::string out;
  for (size_t i = 0; i < e.attributes.size(); i += 40) {
    if (!out.empty())
      out += " || ";
    out += "jsonb_build_object(";
    for (size_t k = i; k < e.attributes.size() && k < i + 40; ++k) {
      if (k > i)
        out += ", ";
      out += "'" + e.attributes[k].name + "', " + json_sql(e.attributes[k]);
    }
    out += ")";
  }
  return "(" + out + ")::text";
}

/// The statements of one table.
struct table_sql {
  std::string insert_name, insert_sql;
  std::string find_name, find_sql;
  std::string replace_name, replace_sql;
  std::string remove_name, remove_sql;
  std::string select_list; ///< for listings, built per call

  table_sql(const collection& c, const std::string& tag) {
    const auto& attrs = c.entity.attributes;
    std::string cols, values, sets;
    size_t id_param = 1; // the row's parameters follow its attributes; id may be declared anywhere
    for (size_t i = 0; i < attrs.size(); ++i) {
      if (attrs[i].name == "id")
        id_param = i + 1;
      cols += (i ? ", " : "") + sql_name(attrs[i].name);
      values += (i ? ", " : "") + value_sql(attrs[i], static_cast<int>(i + 1));
      sets += (i ? ", " : "") + sql_name(attrs[i].name) + " = " + value_sql(attrs[i], static_cast<int>(i + 1));
    }
    auto t = sql_name(c.table);
    select_list = row_json_sql(c.entity);
    insert_name = "entities_insert_" + tag; // short: names are cut at 63 bytes
    insert_sql = "INSERT INTO " + t + " (" + cols + ") VALUES (" + values + ")";
    find_name = "entities_find_" + tag; // short: names are cut at 63 bytes
    find_sql = "SELECT " + select_list + " FROM " + t + " WHERE \"id\" = $1::uuid";
    replace_name = "entities_replace_" + tag; // short: names are cut at 63 bytes
    // The row is rewritten whole.
    replace_sql = "UPDATE " + t + " SET " + sets + " WHERE \"id\" = $" + std::to_string(id_param) + "::uuid";
    remove_name = "entities_remove_" + tag; // short: names are cut at 63 bytes
    remove_sql = "DELETE FROM " + t + " WHERE \"id\" = $1::uuid";
  }
};

/// Built once per table shape, for the life of the process (prepared
/// statements point at these strings). The shape (columns and types) is in
/// the key and, hashed, in the statement names: a session that prepared a
/// table's statements for one schema never runs them for another.
const table_sql& sql_of(const collection& c) {
  std::string shape = c.table;
  for (const auto& a : c.entity.attributes)
    shape += "|" + a.name + ":" + udt_of(a.type);
  static std::mutex mtx;
  static std::map<std::string, std::unique_ptr<table_sql>> built;
  std::lock_guard<std::mutex> lk{mtx};
  auto& slot = built[shape];
  if (!slot) {
    char tag[17];
    std::snprintf(tag, sizeof tag, "%016zx", std::hash<std::string>{}(shape));
    slot = std::make_unique<table_sql>(c, tag);
  }
  return *slot;
}

/// A JSON value as a text parameter (null: SQL NULL).
pg::param param_of(const nlohmann::json& v) {
  if (v.is_null())
    return pg::param{std::nullopt};
  if (v.is_string())
    return pg::param{std::string_view{v.get_ref<const std::string&>()}};
  return pg::param{std::string_view{v.dump()}}.to_owned();
}

/// A unique violation as the attribute it is about (`weft_e_user_email_key`).
caf::error conflict_of(const collection& c, const caf::error& err) {
  if (!pg::is_unique_violation(err))
    return err;
  auto name = pg::constraint(err);
  for (const auto& a : c.entity.attributes)
    if (name == c.table + "_" + a.name + "_key")
      return api_error(api_errc::conflict, a.name + " is taken", "/" + a.name);
  return api_error(api_errc::conflict, c.entity.name + " conflicts with another");
}

class pg_entity_repository final : public entity_repository {
public:
  pg_entity_repository(pg::connection& conn, const collection& c) : conn_(conn), c_(c), sql_(sql_of(c)) {}

  caf::error insert(const nlohmann::json& row) override {
    auto ps = params(row);
    auto r = conn_.exec_prepared({sql_.insert_name.c_str(), sql_.insert_sql.c_str()}, ps);
    return r ? caf::error{} : conflict_of(c_, r.error());
  }

  caf::expected<std::optional<nlohmann::json>> find(std::string_view id) override {
    if (!events::is_uuid(id))
      return std::optional<nlohmann::json>{};
    auto r = conn_.exec({sql_.find_name.c_str(), sql_.find_sql.c_str()}, id);
    if (!r)
      return std::move(r.error());
    if (r->rows() == 0)
      return std::optional<nlohmann::json>{};
    return std::optional<nlohmann::json>{nlohmann::json::parse(r->text(0, 0))};
  }

  caf::error replace(const nlohmann::json& row) override {
    auto ps = params(row);
    auto r = conn_.exec_prepared({sql_.replace_name.c_str(), sql_.replace_sql.c_str()}, ps);
    return r ? caf::error{} : conflict_of(c_, r.error());
  }

  caf::expected<bool> remove(std::string_view id) override {
    if (!events::is_uuid(id))
      return false;
    auto r = conn_.exec({sql_.remove_name.c_str(), sql_.remove_sql.c_str()}, id);
    if (!r)
      return std::move(r.error());
    return r->affected() > 0;
  }

  caf::expected<std::vector<nlohmann::json>>
  list(const nlohmann::json& equal, std::string_view after, size_t limit) override {
    // Filters vary per call: built here, parsed by the server each time.
    std::vector<pg::param> ps;
    std::string where = "\"id\" > $1::uuid";
    ps.push_back(pg::param{after.empty() ? std::string_view{"00000000-0000-0000-0000-000000000000"} : after});
    for (const auto& [k, v] : equal.items()) {
      const auto* a = c_.entity.find(k);
      if (a == nullptr)
        continue;
      ps.push_back(param_of(v));
      where += " AND " + sql_name(k) + " = " + value_sql(*a, static_cast<int>(ps.size()));
    }
    ps.push_back(pg::param{static_cast<int64_t>(limit)});
    auto sql = "SELECT " + sql_.select_list + " FROM " + sql_name(c_.table) + " WHERE " + where
               + " ORDER BY \"id\" LIMIT $" + std::to_string(ps.size());
    auto r = conn_.exec_params(sql, ps);
    if (!r)
      return std::move(r.error());
    std::vector<nlohmann::json> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back(nlohmann::json::parse(r->text(i, 0)));
    return out;
  }

private:
  pg::connection& conn_;
  const collection& c_;
  const table_sql& sql_;

  std::vector<pg::param> params(const nlohmann::json& row) const {
    std::vector<pg::param> ps;
    for (const auto& a : c_.entity.attributes) {
      auto i = row.find(a.name);
      ps.push_back(i == row.end() ? pg::param{std::nullopt} : param_of(*i).to_owned());
    }
    return ps;
  }
};

} // namespace

std::unique_ptr<entity_repository> open_pg_repository(unit_of_work& w, const collection& c) {
  return std::make_unique<pg_entity_repository>(*pg::connection_of(w), c);
}

caf::expected<std::vector<std::string>> sync_tables(unit_of_work& w, const catalog& cat,
                                                    bool allow_destructive) {
  auto& conn = *pg::connection_of(w);
  std::vector<std::string> done;
  // One node migrates at a time; the others wait for it, then find nothing to do.
  if (auto r = conn.exec("SELECT pg_advisory_xact_lock(hashtext('weft.entities.schema'))"); !r)
    return std::move(r.error());
  std::vector<std::string> refused;
  std::map<std::string, bool> seen; // two collections of one entity share its table
  for (const auto& c : cat.collections) {
    if (c.provider == "memory" || seen[c.table]) // memory collections have no table
      continue;
    seen[c.table] = true;
    auto t = sql_name(c.table);
    auto cols = conn.exec("SELECT column_name, udt_name FROM information_schema.columns"
                          " WHERE table_schema = current_schema() AND table_name = $1",
                          c.table);
    if (!cols)
      return std::move(cols.error());
    std::map<std::string, std::string> have;
    for (int i = 0; i < cols->rows(); ++i)
      have[std::string{cols->text(i, 0)}] = std::string{cols->text(i, 1)};
    std::vector<std::string> ddl;
    if (have.empty()) {
      std::string body;
      for (const auto& a : c.entity.attributes)
        body += std::string{body.empty() ? "" : ", "} + sql_name(a.name) + " " + column_sql(a.type)
                + (a.name == "id" ? " PRIMARY KEY" : "");
      ddl.push_back("CREATE TABLE " + t + " (" + body + ")");
      done.push_back("created table " + c.table + " (" + c.entity.name + ")");
    } else {
      for (const auto& a : c.entity.attributes) {
        auto i = have.find(a.name);
        if (i == have.end()) {
          ddl.push_back("ALTER TABLE " + t + " ADD COLUMN " + sql_name(a.name) + " " + column_sql(a.type));
          done.push_back("added column " + c.table + "." + a.name);
        } else if (i->second != udt_of(a.type)) {
          if (!allow_destructive) {
            refused.push_back(c.entity.name + "." + a.name + " is " + i->second + " in the database, "
                              + to_string(a.type) + " (" + udt_of(a.type) + ") in the schema");
            continue;
          }
          ddl.push_back("ALTER TABLE " + t + " ALTER COLUMN " + sql_name(a.name) + " TYPE "
                        + column_sql(a.type) + " USING " + sql_name(a.name) + "::text::" + column_sql(a.type));
          done.push_back("retyped column " + c.table + "." + a.name);
        }
      }
      for (const auto& [name, udt] : have) {
        if (c.entity.find(name) != nullptr)
          continue;
        if (!allow_destructive) {
          refused.push_back(c.entity.name + "." + name + " is in the database, not in the schema (dropped)");
          continue;
        }
        ddl.push_back("ALTER TABLE " + t + " DROP COLUMN " + sql_name(name));
        done.push_back("dropped column " + c.table + "." + name);
      }
    }
    for (const auto& a : c.entity.attributes) {
      if (a.unique)
        ddl.push_back("CREATE UNIQUE INDEX IF NOT EXISTS " + sql_name(c.table + "_" + a.name + "_key")
                      + " ON " + t + " (" + sql_name(a.name) + ")");
      if (a.indexed)
        ddl.push_back("CREATE INDEX IF NOT EXISTS " + sql_name(c.table + "_" + a.name + "_idx") + " ON "
                      + t + " (" + sql_name(a.name) + ")");
    }
    for (const auto& statement : ddl)
      if (auto r = conn.exec(statement); !r)
        return std::move(r.error());
  }
  if (!refused.empty()) {
    std::string what;
    for (const auto& r : refused)
      what += (what.empty() ? "" : "; ") + r;
    return api_error(api_errc::conflict,
                     "the schema drops or retypes columns that hold data: " + what
                       + " (weft schema migrate --allow-destructive applies it)");
  }
  return done;
}

} // namespace weft::entities
