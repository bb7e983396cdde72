// raw_jetstream: the raw NATS.c reference for Weft's JetStream figures.
//
//   raw_jetstream <nats-url> [events=200000] [window=4000] [batch=256]
//
// In a scratch file-storage stream (deleted first, so runs do not add up):
//   1. asynchronous publish of `events` messages of ~300 bytes (a CloudEvent
//      as JSON), each with a unique Nats-Msg-Id (dedupe on), at most `window`
//      PubAcks outstanding, until every PubAck arrived;
//   2. a durable pull consumer (explicit ack) reading them all with
//      Fetch(`batch`), acking each message.
// Prints events/s for each phase; the last line is machine-readable for
// scripts computing Weft/raw ratios. Plain NATS.c on purpose: nothing of
// Weft is measured here. Not a test.
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using steady = std::chrono::steady_clock;

const char* stream_name = "WEFT_BENCH_RAW";
const char* subject = "benchraw.auth.user.created";

std::atomic<long> publish_errors{0};

[[noreturn]] void die(const char* what, natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::fprintf(stderr, "raw_jetstream: %s: %s (%d) %s\n", what, natsStatus_GetText(s),
               static_cast<int>(jerr), nats_GetLastError(nullptr));
  std::exit(1);
}

void on_publish_error(jsCtx*, jsPubAckErr* pae, void*) {
  if (publish_errors.fetch_add(1) == 0)
    std::fprintf(stderr, "raw_jetstream: publish error: %s\n", pae->ErrText);
}

/// A ~300-byte CloudEvent, as the outbox would publish it.
std::string payload(long i) {
  char id[40];
  std::snprintf(id, sizeof id, "0190b6a0-%04lx-7000-8000-%012lx", (i >> 16) & 0xffff, i);
  std::string s = R"({"specversion":"1.0","id":")";
  s += id;
  s += R"(","source":"/weft/auth","type":"auth.user.created","time":"2024-06-01T12:00:00.000Z",)";
  s += R"("subject":"u-)" + std::to_string(i) + R"(","datacontenttype":"application/json",)";
  s += R"("data":{"user_id":"u-)" + std::to_string(i) + R"(","email":"user)" + std::to_string(i);
  s += R"(@example.com","roles":["user"]}})";
  if (s.size() < 300) // pad the email so the event is ~300 bytes in all
    s.insert(s.find("@example"), std::string(300 - s.size(), 'x'));
  return s;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: raw_jetstream <nats-url> [events=200000] [window=4000] "
                         "[batch=256]\n");
    return 2;
  }
  const std::string url = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 200000;
  const int window = argc > 3 ? std::atoi(argv[3]) : 4000;
  const int batch = argc > 4 ? std::atoi(argv[4]) : 256;

  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s != NATS_OK)
    die("connect", s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = window;
  jo.PublishAsync.ErrHandler = on_publish_error;
  jsCtx* js = nullptr;
  if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
    die("jetstream", s);

  jsErrCode jerr = static_cast<jsErrCode>(0);
  js_DeleteStream(js, stream_name, nullptr, &jerr); // a fresh stream per run
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {"benchraw.>"};
  sc.Name = stream_name;
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Duplicates = 120LL * 1000000000LL;
  if ((s = js_AddStream(nullptr, js, &sc, nullptr, &jerr)) != NATS_OK)
    die("add stream", s, jerr);

  std::string sample = payload(n);
  std::printf("raw NATS.c JetStream: %ld events of ~%zu bytes, file storage, unique "
              "Nats-Msg-Id, window %d, fetch batch %d\n",
              n, sample.size(), window, batch);

  // 1. Asynchronous publish with a window.
  auto t0 = steady::now();
  for (long i = 0; i < n; ++i) {
    auto data = payload(i);
    natsMsg* m = nullptr;
    natsMsg_Create(&m, subject, nullptr, data.data(), static_cast<int>(data.size()));
    auto id = "raw-" + std::to_string(i);
    natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
    natsMsgHeader_Set(m, "Content-Type", "application/cloudevents+json");
    if ((s = js_PublishMsgAsync(js, &m, nullptr)) != NATS_OK)
      die("publish", s);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK)
    die("publish complete", s);
  double pub_secs = std::chrono::duration<double>(steady::now() - t0).count();
  double pub_rate = static_cast<double>(n) / pub_secs;
  std::printf("  %-44s %9.0f events/s  (%.2f s, %ld errors)\n", "async publish, window", pub_rate,
              pub_secs, publish_errors.load());

  // 2. Pull fetch + ack of every message.
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = "bench";
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.MaxAckPending = 20000;
  if ((s = js_AddConsumer(nullptr, js, stream_name, &cc, nullptr, &jerr)) != NATS_OK)
    die("add consumer", s, jerr);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_name;
  so.Consumer = "bench";
  natsSubscription* sub = nullptr;
  if ((s = js_PullSubscribe(&sub, js, nullptr, nullptr, nullptr, &so, &jerr)) != NATS_OK)
    die("pull subscribe", s, jerr);
  long got = 0;
  t0 = steady::now();
  while (got < n) {
    natsMsgList list{};
    s = natsSubscription_Fetch(&list, sub, batch, 5000, &jerr);
    if (s != NATS_OK && s != NATS_TIMEOUT)
      die("fetch", s, jerr);
    if (s == NATS_TIMEOUT && list.Count == 0)
      die("fetch: nothing more after 5 s", s);
    for (int i = 0; i < list.Count; ++i)
      natsMsg_Ack(list.Msgs[i], nullptr);
    got += list.Count;
    natsMsgList_Destroy(&list);
  }
  natsConnection_Flush(nc);
  double fetch_secs = std::chrono::duration<double>(steady::now() - t0).count();
  double fetch_rate = static_cast<double>(n) / fetch_secs;
  std::printf("  %-44s %9.0f events/s  (%.2f s)\n", "pull Fetch + ack each", fetch_rate,
              fetch_secs);

  natsSubscription_Destroy(sub);
  js_DeleteStream(js, stream_name, nullptr, &jerr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  std::printf("raw_jetstream events=%ld publish=%.0f fetch_ack=%.0f\n", n, pub_rate, fetch_rate);
  return publish_errors.load() == 0 ? 0 : 1;
}
