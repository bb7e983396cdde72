#include "adapters/nats/stream_tail.hpp"

#include <nats/nats.h>

#include <memory>

#include "adapters/nats/connection.hpp"
#include "events/routes.hpp"

namespace weft::nats {

caf::error tail_stream(const tail_options& opts, const std::atomic<bool>& stop,
                       const std::function<void(std::string_view)>& print) {
  natsConnection* nc = nullptr;
  auto s = natsConnection_ConnectTo(&nc, opts.url.c_str());
  if (s != NATS_OK)
    return unavailable("nats: cannot connect to " + opts.url + ": " + status_text(s));
  std::unique_ptr<natsConnection, void (*)(natsConnection*)> conn{nc, natsConnection_Destroy};
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, nullptr);
  if (s != NATS_OK)
    return unavailable("nats: no JetStream context: " + status_text(s));
  std::unique_ptr<jsCtx, void (*)(jsCtx*)> ctx{js, jsCtx_Destroy};
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = opts.stream.c_str();
  so.Ordered = true;
  if (!opts.after) {
    so.Config.DeliverPolicy = js_DeliverNew;
  } else {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = *opts.after + 1; // after that position, as SSE resumes
  }
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_SubscribeSync(&sub, js, "weft.>", nullptr, &so, &jerr);
  if (s != NATS_OK)
    return unavailable("nats: cannot read stream " + opts.stream + ": " + status_text(s, jerr));
  std::unique_ptr<natsSubscription, void (*)(natsSubscription*)> hold{sub, [](natsSubscription* x) {
    natsSubscription_Unsubscribe(x);
    natsSubscription_Destroy(x);
  }};
  while (!stop.load()) {
    natsMsg* m = nullptr;
    s = natsSubscription_NextMsg(&m, sub, 250);
    if (s == NATS_TIMEOUT)
      continue;
    if (s != NATS_OK)
      return unavailable("nats: reading stream " + opts.stream + ": " + status_text(s));
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> msg{m, natsMsg_Destroy};
    if (events::is_dead_letter_subject(events::unpartitioned_subject(natsMsg_GetSubject(m))))
      continue;
    print({natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))});
  }
  return {};
}

} // namespace weft::nats
