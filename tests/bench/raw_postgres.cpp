// raw_postgres: the raw libpq reference for Weft's PostgreSQL figures.
//
//   raw_postgres <postgresql-url> [rows=200000] [connections=4]
//
// Inserts `rows` rows shaped like weft_outbox rows (uuid event id, type,
// subject, ~300-byte CloudEvent payload; same columns, defaults and indexes)
// into a scratch table, three ways, and prints rows/s for each:
//   1. multi-row INSERT, 100 rows per statement (a prepared statement with
//      400 parameters), one transaction per statement, one connection;
//   2. the same from `connections` connections at once (rows split evenly);
//   3. COPY FROM STDIN, one connection, one transaction.
// The last line is machine-readable for scripts computing Weft/raw ratios.
// Plain libpq on purpose: nothing of Weft is measured here. Not a test.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

constexpr int rows_per_insert = 100;
constexpr int columns = 4;

[[noreturn]] void die(const std::string& what, PGconn* c) {
  std::fprintf(stderr, "raw_postgres: %s: %s\n", what.c_str(), c ? PQerrorMessage(c) : "");
  std::exit(1);
}

PGconn* connect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK)
    die("connect", c);
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr); // DROP ... IF EXISTS chatter
  return c;
}

void exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    die(sql, c);
  PQclear(r);
}

struct row {
  std::string event_id, type, subject, payload;
};

std::string uuid(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20)
      s += '-';
    s += hex[rng() & 0xf];
  }
  s[14] = '7'; // version nibble, as Weft's UUIDv7 ids have
  return s;
}

// A CloudEvent of about 300 bytes, as the outbox stores it.
std::vector<row> make_rows(int n) {
  std::mt19937_64 rng{42};
  std::vector<row> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    row r;
    r.event_id = uuid(rng);
    r.type = "bench.item.created";
    r.subject = "item-" + std::to_string(i % 1000);
    r.payload = R"({"specversion":"1.0","id":")" + r.event_id
                + R"(","source":"/weft/bench","type":"bench.item.created","subject":")" + r.subject
                + R"(","time":"2024-05-01T12:00:00.000000Z","datacontenttype":"application/json",)"
                + R"("correlationid":"bench","data":{"n":)" + std::to_string(i)
                + R"(,"note":"the quick brown fox jumps over the lazy dog 0123456789"}})";
    out.push_back(std::move(r));
  }
  return out;
}

const char* schema = "DROP TABLE IF EXISTS raw_bench_outbox;"
                     "CREATE TABLE raw_bench_outbox ("
                     " id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE,"
                     " type text NOT NULL, subject text NOT NULL, payload text NOT NULL,"
                     " created_at timestamptz NOT NULL DEFAULT now(),"
                     " attempts int NOT NULL DEFAULT 0,"
                     " next_attempt_at timestamptz NOT NULL DEFAULT now(),"
                     " last_error text, published_at timestamptz, locked_until timestamptz);"
                     "CREATE INDEX ON raw_bench_outbox (id) WHERE published_at IS NULL;";

std::string insert_sql() {
  std::string sql = "INSERT INTO raw_bench_outbox (event_id, type, subject, payload) VALUES ";
  for (int i = 0; i < rows_per_insert; ++i) {
    int b = i * columns;
    sql += i ? ",(" : "(";
    for (int k = 1; k <= columns; ++k)
      sql += (k > 1 ? ",$" : "$") + std::to_string(b + k);
    sql += ")";
  }
  return sql;
}

// Rows [from, to) in statements of 100 rows (to - from is a multiple of 100).
void insert_range(const std::string& url, const std::vector<row>& rows, size_t from, size_t to) {
  PGconn* c = connect(url);
  PGresult* p = PQprepare(c, "ins", insert_sql().c_str(), 0, nullptr);
  if (PQresultStatus(p) != PGRES_COMMAND_OK)
    die("prepare", c);
  PQclear(p);
  std::vector<const char*> values(rows_per_insert * columns);
  for (size_t i = from; i < to; i += rows_per_insert) {
    for (int k = 0; k < rows_per_insert; ++k) {
      const row& r = rows[i + k];
      values[k * columns + 0] = r.event_id.c_str();
      values[k * columns + 1] = r.type.c_str();
      values[k * columns + 2] = r.subject.c_str();
      values[k * columns + 3] = r.payload.c_str();
    }
    PGresult* res = PQexecPrepared(c, "ins", static_cast<int>(values.size()), values.data(),
                                   nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
      die("insert", c);
    PQclear(res);
  }
  PQfinish(c);
}

double run_inserts(const std::string& url, const std::vector<row>& rows, int connections) {
  size_t per = rows.size() / connections / rows_per_insert * rows_per_insert;
  auto start = steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    size_t from = t * per;
    size_t to = t == connections - 1 ? rows.size() : from + per;
    threads.emplace_back([&, from, to] { insert_range(url, rows, from, to); });
  }
  for (auto& t : threads)
    t.join();
  return std::chrono::duration<double>(steady::now() - start).count();
}

// COPY's text format: tab-separated, backslash escapes (payloads have none
// of \t \n \\, checked anyway).
double run_copy(const std::string& url, const std::vector<row>& rows) {
  PGconn* c = connect(url);
  auto start = steady::now();
  PGresult* r = PQexec(c, "COPY raw_bench_outbox (event_id, type, subject, payload) FROM STDIN");
  if (PQresultStatus(r) != PGRES_COPY_IN)
    die("COPY", c);
  PQclear(r);
  std::string buf;
  for (size_t i = 0; i < rows.size(); ++i) {
    const row& x = rows[i];
    buf += x.event_id + '\t' + x.type + '\t' + x.subject + '\t';
    for (char ch : x.payload) {
      if (ch == '\\' || ch == '\t' || ch == '\n')
        buf += '\\';
      buf += ch;
    }
    buf += '\n';
    if (buf.size() > (1 << 16) || i + 1 == rows.size()) {
      if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1)
        die("PQputCopyData", c);
      buf.clear();
    }
  }
  if (PQputCopyEnd(c, nullptr) != 1)
    die("PQputCopyEnd", c);
  r = PQgetResult(c);
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    die("COPY end", c);
  PQclear(r);
  double secs = std::chrono::duration<double>(steady::now() - start).count();
  PQfinish(c);
  return secs;
}

long count(PGconn* c) {
  PGresult* r = PQexec(c, "SELECT count(*) FROM raw_bench_outbox");
  long n = std::atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  return n;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: raw_postgres <postgresql-url> [rows=200000] [connections=4]\n");
    return 2;
  }
  std::string url = argv[1];
  int n = argc > 2 ? std::atoi(argv[2]) : 200000;
  int conns = argc > 3 ? std::atoi(argv[3]) : 4;
  n = std::max(rows_per_insert, n / rows_per_insert * rows_per_insert);
  conns = std::max(1, conns);

  auto rows = make_rows(n);
  size_t bytes = 0;
  for (const auto& r : rows)
    bytes += r.payload.size();
  PGconn* admin = connect(url);
  std::printf("raw libpq: %d outbox-shaped rows, payload %zu bytes on average\n", n,
              bytes / rows.size());

  auto report = [&](const char* label, double secs) {
    long got = count(admin);
    if (got != n)
      std::fprintf(stderr, "raw_postgres: %s stored %ld rows, expected %d\n", label, got, n);
    double rate = n / secs;
    std::printf("  %-44s %9.0f rows/s  (%.2f s)\n", label, rate, secs);
    return rate;
  };
  exec(admin, schema);
  double one = report("multi-row INSERT x100, 1 connection", run_inserts(url, rows, 1));
  exec(admin, schema);
  std::string label = "multi-row INSERT x100, " + std::to_string(conns) + " connections";
  double many = report(label.c_str(), run_inserts(url, rows, conns));
  exec(admin, schema);
  double copy = report("COPY FROM STDIN, 1 connection", run_copy(url, rows));
  exec(admin, "DROP TABLE raw_bench_outbox");
  PQfinish(admin);
  std::printf("raw_postgres rows=%d insert100_c1=%.0f insert100_c%d=%.0f copy=%.0f\n", n, one,
              conns, many, copy);
  return 0;
}
