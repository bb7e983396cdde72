#!/usr/bin/env python3
"""The table of durable_bench.sh, from the outputs it left in $BENCH_WORK."""
import os
import re

work = os.environ["BENCH_WORK"]
events = int(os.environ.get("BENCH_EVENTS", "200000"))
rate = os.environ.get("BENCH_RATE", "1000")
conns = os.environ.get("BENCH_CONNECTIONS", "32")


def read(name):
    path = os.path.join(work, name)
    return open(path).read() if os.path.exists(path) else ""


def last_fields(text, prefix):
    """key=value pairs of the machine-readable line starting with `prefix`."""
    for line in reversed(text.splitlines()):
        if line.startswith(prefix + " "):
            return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    return {}


def wrk(text):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out = {"rps": float(rps.group(1)) if rps else None}
    for q in ("50", "99"):
        m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\b" % q, text, re.M)
        out["p" + q] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else None
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(bad.group(1)) if bad else 0
    return out


def verdict(ok):
    return "met" if ok else "MISSED"


def num(v, f="{:.0f}"):
    return "-" if v is None else f.format(v)


js = last_fields(read("raw_js.txt"), "raw_jetstream")
pg = last_fields(read("raw_pg.txt"), "raw_postgres")
runs = [(label, read("e2e_%s.txt" % key)) for key, label in
        (("fsync_on", "fsync on"), ("fsync_off", "fsync off"))]
runs = [(label, text) for label, text in runs if text]
pg_many = next((v for k, v in pg.items() if k.startswith("insert100_c") and k != "insert100_c1"), None)

print()
print("Durable delivery, one run, %d events of ~300 bytes (2 cores shared by every process)" % events)
print("%-52s %12s  %s" % ("measure", "figure", "note"))
print("-" * 100)
print("%-52s %12s  %s" % ("a. raw JetStream async publish (msg id)", num(js.get("publish")), "events/s"))
print("%-52s %12s  %s" % ("a. raw JetStream pull fetch + ack", num(js.get("fetch_ack")), "events/s"))
print("%-52s %12s  %s" % ("b. raw libpq INSERT x100, 1 connection", num(pg.get("insert100_c1")), "rows/s"))
print("%-52s %12s  %s" % ("b. raw libpq INSERT x100, 4 connections", num(pg_many), "rows/s"))
print("%-52s %12s  %s" % ("b. raw libpq COPY", num(pg.get("copy")), "rows/s"))

for label, text in runs:
    e = last_fields(text, "durable_e2e")
    e2e = e.get("e2e")
    print("%-52s %12s  %s" % ("c. Weft commit only (outbox, tx of 100) [%s]" % label,
                              num(e.get("commit")), "events/s the writers committed meanwhile"))
    print("%-52s %12s  %s" % ("c. Weft end to end, commit -> audit trail [%s]" % label, num(e2e),
                              "events/s; target >= 13,500: %s" % verdict(e2e is not None and e2e >= 13500)))
    cpu = re.search(r"CPU per event\s+(.*)", text)
    if cpu:
        print("%-52s %12s  %s" % ("c. CPU per event [%s]" % label, "", cpu.group(1).strip()))
    wpe = e.get("writes_per_event")
    print("%-52s %12s  %s" % ("c. row writes per event [%s]" % label, num(wpe, "{:.2f}"),
                              "Weft rows/s = %s" % num(e2e * wpe if e2e and wpe else None)))
    if e2e:
        ratios = []
        for name, ref in (("JS publish", js.get("publish")), ("JS fetch+ack", js.get("fetch_ack")),
                          ("INSERT x100 c1", pg.get("insert100_c1")), ("INSERT x100 c4", pg_many),
                          ("COPY", pg.get("copy"))):
            if ref:
                ratios.append("%s %.2f" % (name, e2e / ref))
        print("%-52s %12s  %s" % ("   ratios Weft/raw", "", ", ".join(ratios)))
    p99 = e.get("p99_ms")
    print("%-52s %12s  %s" % ("d. commit -> handler p50 at %s/s [%s]" % (rate, label), num(e.get("p50_ms"), "{:.1f} ms"), ""))
    print("%-52s %12s  %s" % ("d. commit -> handler p99 at %s/s [%s]" % (rate, label), num(p99, "{:.1f} ms"),
                              "target < 25 ms: %s" % verdict(p99 is not None and 0 < p99 < 25)))

w = wrk(read("wrk_keys.txt"))
ok = w["rps"] is not None and w["rps"] >= 2500 and w["p99"] is not None and w["p99"] < 30
print("%-52s %12s  %s" % ("e. POST /v1/auth/api-keys, -c%s" % conns, num(w["rps"]),
                          "req/s; target >= 2,500 with p99 < 30 ms: %s" % verdict(ok)))
print("%-52s %12s  %s" % ("e. latency p50 / p99", "%s / %s" % (num(w["p50"], "{:.1f}"), num(w["p99"], "{:.1f}")),
                          "ms; non-2xx %d" % w["non2xx"]))
d = dict(re.findall(r"(\w+)=([\d.]+)", read("drain.txt")))
if d:
    keys, at_end, final = int(d["keys"]), int(d["at_end"]), int(d["final"])
    drain_s = float(d["t_drained"]) - float(d["t_end"])
    backlog = keys - at_end
    print("%-52s %12s  %s" % ("e. events behind HTTP: in the trail at wrk's end", "%d/%d" % (at_end, keys), ""))
    note = ("no backlog: the pipeline kept up with HTTP" if backlog <= 0.01 * keys
            else "%s events/s" % num(backlog / drain_s if drain_s > 0 else None))
    if final < keys:
        note += ", NOT ALL ARRIVED (%d)" % final
    print("%-52s %12s  %s" % ("e. backlog at wrk's end drained in", "%.2f s" % drain_s, note))
    if w["rps"]:
        print("%-52s %12s  %s" % ("e. pipeline behind HTTP, whole run", num(keys / (float(os.environ.get("BENCH_SECONDS", "10")) + drain_s)),
                                  "events/s (keys / (wrk time + drain))"))
b = dict(re.findall(r"(\w+)=([\d.]+)", read("backlog.txt")))
if b:
    rows, got = int(b["rows"]), int(b["done"])
    secs = float(b["t_done"]) - float(b["t_committed"])
    batches = float(b.get("batches", 0))
    print("%-52s %12s  %s" % ("e. node drains %d outbox rows (relay->JS->inbox)" % rows,
                              num(rows / secs if got >= rows and secs > 0 else None),
                              "events/s in %.2f s, inbox batch %s on average%s"
                              % (secs, num(rows / batches if batches > 0 else None),
                                 "" if got >= rows else ", NOT ALL ARRIVED (%d)" % got)))
print()
for label, text in runs:
    block = text.split("row writes per event", 1)
    if len(block) > 1:
        print("Row writes per event [%s]%s" % (label, block[1].split("durable_e2e ", 1)[0].rstrip()))
print()
print("Figures from one run on a shared machine: compare ratios, not absolutes.")
