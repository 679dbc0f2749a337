# SPDX-License-Identifier: PostgreSQL
"""Checks of techmv's machine-readable output by real parsers, for
tests/cli.sh. Each mode reads files, prints what is wrong and exits 1, or
exits 0.

  list FILE.json PATH HAS_MORE [WANT.json]  a list page; values == WANT
  nul FILE.nul FILE.json                    -0 output == the JSON page
  status FILE.json KEY=VALUE...             a status object; VALUE is JSON
  prom FILE.prom METRIC=VALUE... [label:NAME=TEXT]
  same-time FILE.json FILE.prom             JSON and Prometheus agree
"""
import datetime
import json
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
errors = []


def err(msg):
    errors.append(msg)


def parse_time(s):
    if not isinstance(s, str) or not RFC3339.match(s):
        err(f"not an RFC 3339 UTC timestamp with milliseconds: {s!r}")
        return None
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def load_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # must be valid UTF-8
    if text.count("\n") != 1 or not text.endswith("\n"):
        err("JSON output is not exactly one line")
    return json.loads(text)


def mode_list(path, want_path, want_more, want_file=None):
    page = load_json(path)
    if set(page) != {"values", "has_more", "path", "cursor"}:
        err(f"keys {sorted(page)}")
    vals = page["values"]
    if not isinstance(vals, list) or not all(isinstance(v, str) for v in vals):
        err("values is not a list of strings")
    if not isinstance(page["has_more"], bool):
        err("has_more is not a boolean")
    if want_more != "any" and page["has_more"] != (want_more == "true"):
        err(f"has_more {page['has_more']}, want {want_more}")
    if page["path"] != want_path:
        err(f"path {page['path']!r}, want {want_path!r}")
    want_cursor = vals[-1] if vals else None
    if page["cursor"] != want_cursor:
        err(f"cursor {page['cursor']!r}, want {want_cursor!r}")
    if want_file:
        want = load_json(want_file) or []
        if vals != want:
            err(f"values differ from SQL: {len(vals)} vs {len(want)}; "
                f"first difference at "
                f"{next((i for i, (a, b) in enumerate(zip(vals, want)) if a != b), min(len(vals), len(want)))}")


def mode_nul(nul_path, json_path):
    with open(nul_path, "rb") as f:
        raw = f.read()
    if raw and not raw.endswith(b"\0"):
        err("-0 output does not end with a NUL")
    got = [v.decode("utf-8") for v in raw.split(b"\0")[:-1]]
    want = load_json(json_path)["values"]
    if got != want:
        err(f"-0 values differ from JSON: {got[:5]} vs {want[:5]}")


SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NUMBERS = {"rows", "total_bytes", "table_bytes", "index_bytes",
           "last_refresh_duration_ms", "last_refresh_age_s",
           "refresh_running_pid", "replay_lag_s", "replay_lag_bytes",
           "schema_installed", "schema_expected", "long_values",
           "last_failure_age_s", "failures_since_last_refresh",
           "pending_changes", "oldest_pending_age_s"}
BOOLS = {"healthy", "installed", "populated", "last_refresh_concurrently",
         "refresh_running", "is_standby", "named_statements",
         "needs_rebuild"}
TIMES = {"last_refresh_at", "last_failure_at"}
STRINGS = {"view", "database", "last_failure_sqlstate",
           "last_failure_message", "mode"}


def mode_status(path, *expect):
    st = load_json(path)
    for k, v in st.items():
        if not SNAKE.match(k):
            err(f"key {k!r} is not lowercase snake_case")
        if v is None:
            continue
        if k in NUMBERS:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                err(f"{k} is not a number: {v!r}")
            elif isinstance(v, float) and not math.isfinite(v):
                err(f"{k} is not finite")
        elif k in BOOLS and not isinstance(v, bool):
            err(f"{k} is not a boolean: {v!r}")
        elif k in TIMES:
            parse_time(v)
        elif k in STRINGS and not isinstance(v, str):
            err(f"{k} is not a string: {v!r}")
        elif k == "problems":
            if not (isinstance(v, list) and all(isinstance(p, str) for p in v)):
                err("problems is not a list of strings")
        elif k not in NUMBERS | BOOLS | TIMES | STRINGS:
            err(f"unexpected key {k!r}")
    missing = (NUMBERS | BOOLS | TIMES | STRINGS | {"problems"}) - set(st)
    if missing:
        err(f"missing keys {sorted(missing)}")
    if st.get("healthy") is not None and st["healthy"] != (st["problems"] == []):
        err("healthy disagrees with problems")
    for e in expect:
        k, _, v = e.partition("=")
        want = json.loads(v)
        if k.endswith("~"):  # the value contains the text
            k = k[:-1]
            if not isinstance(st.get(k), (str, list)) or not any(
                    want in p for p in ([st[k]] if isinstance(st[k], str) else st[k])):
                err(f"{k} = {st.get(k)!r} does not contain {want!r}")
        elif st.get(k, "absent") != want or type(st.get(k)) is not type(want):
            err(f"{k} = {st.get(k, 'absent')!r}, want {want!r}")


def mode_prom(path, *expect):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    samples = {}
    labels = {}
    for fam in text_string_to_metric_families(text):
        if not fam.name.startswith("techmv_"):
            err(f"metric {fam.name} lacks the techmv_ prefix")
        if fam.type != "gauge":
            err(f"{fam.name} is a {fam.type}, not a gauge")
        if not fam.documentation:
            err(f"{fam.name} has no HELP")
        for s in fam.samples:
            samples[s.name] = s.value
            labels[s.name] = s.labels
            if set(s.labels) - {"sqlstate"} != {"view", "database"}:
                err(f"{s.name} labels {sorted(s.labels)}")
    for line in text.splitlines():
        if line.startswith("# TYPE ") and not line.endswith(" gauge"):
            err(f"not a gauge: {line}")
    for e in expect:
        if e.startswith("label:"):
            k, _, v = e[6:].partition("=")
            for name, ls in labels.items():
                if ls.get(k) != v:
                    err(f"{name} label {k}={ls.get(k)!r}, want {v!r}")
            continue
        k, _, v = e.partition("=")
        if v == "absent":
            if k in samples:
                err(f"{k} has a sample: {samples[k]}")
        elif v == "present":
            if k not in samples:
                err(f"{k} has no sample")
        elif samples.get(k) != float(v):
            err(f"{k} = {samples.get(k)}, want {v}")
    if not labels:
        err("no samples")


def mode_same_time(json_path, prom_path):
    st = load_json(json_path)
    with open(prom_path, encoding="utf-8") as f:
        fams = {s.name: s.value for fam in text_string_to_metric_families(f.read())
                for s in fam.samples}
    t = parse_time(st["last_refresh_at"])
    p = fams.get("techmv_last_refresh_timestamp_seconds")
    if t is None or p is None:
        err("no last refresh in both outputs")
    elif abs(t.timestamp() - p) > 0.001:
        err(f"last refresh: JSON {t.timestamp()} vs Prometheus {p}")
    if fams.get("techmv_rows") != st["rows"]:
        err(f"rows: JSON {st['rows']} vs Prometheus {fams.get('techmv_rows')}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        {"list": mode_list, "nul": mode_nul, "status": mode_status,
         "prom": mode_prom, "same-time": mode_same_time}[mode](*args)
    except Exception as e:  # a parser's refusal is the finding
        err(f"{type(e).__name__}: {e}")
    for e in errors:
        print(f"# {mode}: {e}")
    sys.exit(1 if errors else 0)


main()
