#include <map>

#include "actors/entities/repo.hpp"
#include "adapters/memory/memory_store.hpp"
#include "runtime/api_error.hpp"

// Rows in the memory store, by id (UUIDv7: creation order), with an index
// per unique attribute; every change registers its undo with the unit.
namespace weft::entities {

namespace {

struct entity_table {
  std::map<std::string, nlohmann::json, std::less<>> rows;
  /// attribute -> value (as JSON text) -> id
  std::map<std::string, std::map<std::string, std::string>, std::less<>> unique;
};

/// Adds (or drops) `row`'s unique values to (from) the indexes.
void index(entity_table& d, const collection& c, const nlohmann::json& row, bool add) {
  for (const auto& a : c.entity.attributes) {
    if (!a.unique || !row.contains(a.name) || row[a.name].is_null())
      continue;
    auto& idx = d.unique[a.name];
    if (add)
      idx[row[a.name].dump()] = row["id"].get<std::string>();
    else
      idx.erase(row[a.name].dump());
  }
}

class memory_entity_repository final : public entity_repository {
public:
  memory_entity_repository(memory::memory_tables& t, const collection& c)
    : tables_(t), c_(c), d_(t.get<entity_table>("entities." + c.table)) {}

  caf::error insert(const nlohmann::json& row) override {
    if (auto err = taken(row))
      return err;
    auto id = row["id"].get<std::string>();
    d_.rows.emplace(id, row);
    index(d_, c_, row, true);
    tables_.on_rollback([d = &d_, c = &c_, id, row] {
      index(*d, *c, row, false);
      d->rows.erase(id);
    });
    return {};
  }

  caf::expected<std::optional<nlohmann::json>> find(std::string_view id) override {
    auto i = d_.rows.find(id);
    if (i == d_.rows.end())
      return std::optional<nlohmann::json>{};
    return std::optional<nlohmann::json>{i->second};
  }

  caf::error replace(const nlohmann::json& row) override {
    auto id = row["id"].get<std::string>();
    auto i = d_.rows.find(id);
    if (i == d_.rows.end())
      return api_error(api_errc::not_found, c_.entity.name + " " + id + " does not exist");
    auto old = i->second;
    index(d_, c_, old, false);
    if (auto err = taken(row)) {
      index(d_, c_, old, true);
      return err;
    }
    i->second = row;
    index(d_, c_, row, true);
    tables_.on_rollback([d = &d_, c = &c_, id, old, row] {
      index(*d, *c, row, false);
      d->rows[id] = old;
      index(*d, *c, old, true);
    });
    return {};
  }

  caf::expected<bool> remove(std::string_view id) override {
    auto i = d_.rows.find(id);
    if (i == d_.rows.end())
      return false;
    auto old = i->second;
    index(d_, c_, old, false);
    d_.rows.erase(i);
    tables_.on_rollback([d = &d_, c = &c_, old] {
      d->rows[old["id"].get<std::string>()] = old;
      index(*d, *c, old, true);
    });
    return true;
  }

  caf::expected<std::vector<nlohmann::json>>
  list(const nlohmann::json& equal, std::string_view after, size_t limit) override {
    std::vector<nlohmann::json> out;
    auto i = after.empty() ? d_.rows.begin() : d_.rows.upper_bound(after);
    for (; i != d_.rows.end() && out.size() < limit; ++i) {
      bool match = true;
      for (const auto& [k, v] : equal.items())
        match = match && i->second.value(k, nlohmann::json{}) == v;
      if (match)
        out.push_back(i->second);
    }
    return out;
  }

private:
  memory::memory_tables& tables_;
  const collection& c_;
  entity_table& d_;

  /// A conflict if a unique value of `row` belongs to another row.
  caf::error taken(const nlohmann::json& row) const {
    for (const auto& a : c_.entity.attributes) {
      if (!a.unique || !row.contains(a.name) || row[a.name].is_null())
        continue;
      auto idx = d_.unique.find(a.name);
      if (idx == d_.unique.end())
        continue;
      auto j = idx->second.find(row[a.name].dump());
      if (j != idx->second.end() && j->second != row["id"].get<std::string>())
        return api_error(api_errc::conflict, a.name + " is taken", "/" + a.name);
    }
    return {};
  }
};

} // namespace

std::unique_ptr<entity_repository> open_memory_repository(unit_of_work& w, const collection& c) {
  return std::make_unique<memory_entity_repository>(*memory::tables_of(w), c);
}

std::unique_ptr<entity_repository> open_repository(unit_of_work& w, const collection& c) {
  return w.kind() == store_kind::postgres ? open_pg_repository(w, c) : open_memory_repository(w, c);
}

} // namespace weft::entities
