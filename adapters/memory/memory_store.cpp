#include "adapters/memory/memory_store.hpp"

#include <chrono>
#include <exception>
#include <vector>

#include <caf/send.hpp>

#include "runtime/api_error.hpp"

namespace weft::memory {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}


} // namespace

/// One unit of work on the memory store; the caller holds the store's lock.
class memory_unit final : public unit_of_work, public memory_tables {
public:
  memory_unit(memory_store& s, bool writable) : store_(s), writable_(writable) {}

  store_kind kind() const override { return store_kind::memory; }

  void emit(events::envelope ev) override { events_.push_back(std::move(ev)); }

  caf::expected<std::optional<idempotency_record>>
  find_answer(std::string_view key, std::string_view operation) override {
    auto i = store_.answers_.find(std::pair{std::string{key}, std::string{operation}});
    if (i == store_.answers_.end() || i->second.expires_at <= unix_now())
      return std::optional<idempotency_record>{};
    return std::optional<idempotency_record>{i->second};
  }

  caf::error record_answer(const idempotency_record& r) override {
    auto k = std::pair{r.key, r.operation};
    auto i = store_.answers_.find(k);
    if (i != store_.answers_.end() && i->second.expires_at > unix_now())
      return api_error(api_errc::conflict, "idempotency key recorded by another request");
    std::optional<idempotency_record> before;
    if (i != store_.answers_.end())
      before = i->second;
    store_.answers_[k] = r;
    on_rollback([this, k, before] {
      if (before)
        store_.answers_[k] = *before;
      else
        store_.answers_.erase(k);
    });
    return {};
  }

  caf::expected<bool> record_delivery(std::string_view consumer,
                                      std::string_view event_key) override {
    auto k = std::pair{std::string{consumer}, std::string{event_key}};
    auto now = unix_now();
    if (!store_.deliveries_.emplace(k, now).second)
      return false;
    auto t = store_.deliveries_by_time_.emplace(now, k);
    on_rollback([this, k, t] {
      store_.deliveries_.erase(k);
      store_.deliveries_by_time_.erase(t);
    });
    return true;
  }

  caf::expected<int64_t> prune_deliveries(int64_t before, int64_t limit) override {
    int64_t n = 0;
    auto& by_time = store_.deliveries_by_time_;
    while (n < limit && !by_time.empty() && by_time.begin()->first < before) {
      auto i = by_time.begin();
      auto time = i->first;
      auto k = i->second;
      store_.deliveries_.erase(k);
      by_time.erase(i);
      on_rollback([this, time, k] {
        store_.deliveries_.emplace(k, time);
        store_.deliveries_by_time_.emplace(time, k);
      });
      ++n;
    }
    return n;
  }

  caf::expected<int64_t> prune_answers(int64_t limit) override {
    int64_t n = 0;
    auto now = unix_now();
    for (auto i = store_.answers_.begin(); i != store_.answers_.end() && n < limit;) {
      if (i->second.expires_at > now) {
        ++i;
        continue;
      }
      on_rollback([this, k = i->first, r = i->second] { store_.answers_[k] = r; });
      i = store_.answers_.erase(i);
      ++n;
    }
    return n;
  }

  void on_rollback(std::function<void()> undo) override { undo_.push_back(std::move(undo)); }

  /// Makes the changes final and hands the events to the relay.
  void commit() {
    undo_.clear();
    if (!events_.empty() && store_.relay_)
      caf::anon_send(store_.relay_, publish_atom::value, std::move(events_));
    events_.clear();
    run_commit_hooks(take_commit_hooks());
  }

  /// Undoes every change, newest first, and drops the events.
  void rollback() {
    for (auto i = undo_.rbegin(); i != undo_.rend(); ++i)
      (*i)();
    undo_.clear();
    events_.clear();
    drop_commit_hooks(0);
  }

  bool wrote() const { return !undo_.empty() || !events_.empty(); }
  bool writable() const { return writable_; }

protected:
  std::shared_ptr<void>& table(std::string_view name) override {
    auto i = store_.tables_.find(name);
    if (i == store_.tables_.end())
      i = store_.tables_.emplace(std::string{name}, nullptr).first;
    return i->second;
  }

private:
  memory_store& store_;
  bool writable_;
  std::vector<std::function<void()>> undo_;
  std::vector<events::envelope> events_;
};

/// A session: any number may share the store.
class memory_session final : public store_session {
public:
  explicit memory_session(std::shared_ptr<memory_store> s) : store_(std::move(s)) {}

  caf::error transact(const work_fn& work) override {
    std::lock_guard<std::mutex> guard{store_->mtx_};
    memory_unit unit{*store_, true};
    caf::error err;
    try {
      err = work(unit);
    } catch (const std::exception& e) {
      // Undo first: an exception must not leave half a change behind.
      unit.rollback();
      throw;
    }
    if (err)
      unit.rollback();
    else
      unit.commit();
    return err;
  }

  caf::error read(const work_fn& work) override {
    std::lock_guard<std::mutex> guard{store_->mtx_};
    memory_unit unit{*store_, false};
    auto err = work(unit);
    if (unit.wrote()) {
      unit.rollback();
      return api_error(api_errc::internal, "a read changed the store");
    }
    return err;
  }

private:
  std::shared_ptr<memory_store> store_;
};

memory_tables* tables_of(unit_of_work& w) {
  return dynamic_cast<memory_tables*>(&w);
}

memory_store::memory_store(event_relay_actor relay) : relay_(std::move(relay)) {
}

void memory_store::set_relay(event_relay_actor relay) {
  std::lock_guard<std::mutex> guard{mtx_};
  relay_ = std::move(relay);
}

std::shared_ptr<store_session> memory_store::open_session(std::string) {
  return std::make_shared<memory_session>(shared_from_this());
}

} // namespace weft::memory
