#!/usr/bin/env bash
# Dynamic security scan (DAST, issue #8): serve kcc on 127.0.0.1 with a throwaway SQLite
# database, log in as the demo coordinator and let wapiti attack the pages and forms it finds.
# Offline: only attack modules that need nothing but the target, and nothing is contacted
# beyond 127.0.0.1. Fails on any finding (except the false positives documented in step 5),
# on any anomaly and on any 5xx answer or traceback in the server's log.
#   scripts/security-scan.sh          (make security-scan; make test runs it last)
#   KCC_SCAN_MAX_ATTACK_SECONDS=600 scripts/security-scan.sh    (every module to the end)
# Report, wapiti's log and the server's log land in build/security-scan/.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
APP_PYTHON=".venv/bin/python"
# wapiti pins its own dependencies (httpx, sqlalchemy, ...), so it gets its own venv.
# 3.2.3 is the last release for Python 3.11 (3.2.4 and later need Python 3.12).
WAPITI_VERSION="3.2.3"
SCAN_VENV=".venv-scan"
WAPITI_STAMP="$SCAN_VENV/.installed-wapiti3-$WAPITI_VERSION"
OUT_DIR="build/security-scan"
# Attack modules that work without an external endpoint. Left out: ssrf, xxe, log4shell and
# spring4shell (they detect callbacks to wapiti3.ovh or a DNS endpoint), wapp, htp and nikto
# (they download their databases), takeover (DNS), ssl and https_redirect (plain HTTP here;
# TLS is the deployment's reverse proxy), brute_login_form and buster (password and path
# guessing: slow, and the rate limit and lock-out have their own tests), ldap, shellshock,
# cms, wp_enum and network_device (nothing of the kind in kcc), timesql (its time-based
# payloads know no SQLite, which has no sleep function; sql finds SQLite injections from error
# messages and boolean differences) and backup: it writes its file names over the first match
# in the whole URL, so for /questions/2 it asks DNS for hosts like 12.bak7.0.0.1 (and kcc
# serves files only from kcc/static).
MODULES="cookieflags,crlf,csp,csrf,exec,file,htaccess,http_headers,methods,permanentxss,redirect"
MODULES+=",sql,upload,xss"
# Parameters not worth a payload, so the time goes to free text (q, text, answer, note, body,
# subject, reason, names, phone numbers, e-mail addresses, query): CSRF tokens (a changed
# token only earns a 400), optimistic-lock versions, buttons, and choices, ids and dates that
# WTForms coerces or checks against a list. Escalation and review forms prefix their fields
# ("-" stands for no prefix).
SKIP_FIELDS="csrf_token version submit view state priority status channel caller_type sentiment
  page template template_id crisis_id topic_id municipality_id department_id assignee_id
  question_id date_from date_to preferred_contact contact_preference related_question_id
  answer_source_kind answer_source_id escalate callback_requested lookup_history
  notify_by_email mark_answered kind outcome is_active"
SKIP_PREFIXES="- claim- assign- transition- priority- followup- answer- email- retry- q1- q2- q3-"
# Bounds: the crawl stops after MAX_CRAWL_SECONDS, each attack module after
# MAX_ATTACK_SECONDS. With 20 s the cheap modules and sql cover everything, while exec, file,
# xss and permanentxss may stop partway (the summary names them); a full scan takes ~5 minutes.
MAX_CRAWL_SECONDS="${KCC_SCAN_MAX_CRAWL_SECONDS:-30}"
MAX_ATTACK_SECONDS="${KCC_SCAN_MAX_ATTACK_SECONDS:-20}"
DEMO_PASSWORD="security-scan-demo-password"

started=$SECONDS
step_started=$SECONDS
step() {
  echo "security-scan: $1 ($((SECONDS - step_started)) s)"
  step_started=$SECONDS
}

if [ ! -x "$APP_PYTHON" ]; then
  echo "security-scan: $APP_PYTHON is missing; run make setup-test first" >&2
  exit 1
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/kcc-security-scan.XXXXXX")"
server_pid=""
install_pid=""
cleanup() {
  for pid in "$server_pid" "$install_pid"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"

# 1. wapiti in .venv-scan, once per version; it installs in the background during step 2.
if [ ! -f "$WAPITI_STAMP" ]; then
  echo "security-scan: installing wapiti3==$WAPITI_VERSION into $SCAN_VENV (in the background)"
  rm -rf "$SCAN_VENV"
  (
    "$PYTHON" -m venv "$SCAN_VENV" &&
      "$SCAN_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "wapiti3==$WAPITI_VERSION" &&
      touch "$WAPITI_STAMP"
  ) >"$OUT_DIR/install.log" 2>&1 &
  install_pid=$!
fi

# 2. The app: throwaway database and instance folder, demo data, a few questions.
free_port() {
  "$APP_PYTHON" -c 'import socket; print(socket.create_server(("127.0.0.1", 0)).getsockname()[1])'
}
port="$(free_port)"
closed_port="$(free_port)"  # nothing listens here: mail and payload callbacks go nowhere
base_url="http://127.0.0.1:$port"

export KCC_ENV=development FLASK_DEBUG=0
export KCC_INSTANCE_PATH="$work_dir/instance" KCC_MODEL_DIR="$work_dir/models"
export DATABASE_URL="sqlite:///$work_dir/kcc.sqlite"
SECRET_KEY="$("$APP_PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
export SECRET_KEY
export KCC_DEMO_PASSWORD="$DEMO_PASSWORD"
export SMTP_HOST=127.0.0.1 SMTP_PORT="$closed_port"
unset RATELIMIT_STORAGE_URI

# One interpreter runs the `flask db upgrade` and `flask seed-demo` commands and registers
# questions. No `train`: without active models intake falls back to the topics' descriptions.
if ! "$APP_PYTHON" - >"$OUT_DIR/setup.log" 2>&1 <<'PYTHON'; then
"""Migrate, load the demo data and register questions, so lists and the queue have content."""

import sys

from sqlalchemy import select

from kcc import create_app
from kcc.auth.models import User
from kcc.extensions import db
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality

app = create_app()
for command in (["db", "upgrade"], ["seed-demo"]):
    result = app.test_cli_runner().invoke(args=command)
    print(result.output)
    if result.exit_code != 0:
        sys.exit(f"flask {' '.join(command)} failed: {result.exception!r}")
with app.app_context():
    coordinator = db.session.execute(
        select(User).where(User.username == "coordinator")
    ).scalar_one()
    municipality = db.session.execute(select(Municipality).order_by(Municipality.id)).scalars()
    crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
    common = {"municipality_id": municipality.first().id, "crisis_id": crisis.id}
    samples = [
        QuestionInput(
            channel="telefoon",
            caller_type="inwoner",
            text="Wanneer wordt het leefgeld betaald?",
            answer="Elke twee weken op vrijdag.",
            **common,
        ),
        QuestionInput(
            channel="chat",
            caller_type="inwoner",
            text="Komt er een informatieavond over de opvang?",
            **common,
        ),
        # One escalation, with contact details: the queue and its item's forms. More would
        # repeat the same forms under other ids and only slow the scan down.
        QuestionInput(
            channel="telefoon",
            caller_type="pers",
            escalate=True,
            priority="hoog",
            text="Hoeveel mensen worden er opgevangen in de sporthal?",
            escalation_reason="Persvraag: de woordvoerder belt terug.",
            contact=ContactInput(
                name="J. Jansen", phone="06-12345678", preferred_contact="telefoon"
            ),
            **common,
        ),
    ]
    for data in samples:
        register_question(data, user_id=coordinator.id)
PYTHON
  echo "security-scan: setting up the app failed; last lines of $OUT_DIR/setup.log:" >&2
  tail -n 20 "$OUT_DIR/setup.log" >&2
  exit 1
fi
step "app database ready"

.venv/bin/flask --app kcc run --host 127.0.0.1 --port "$port" >"$OUT_DIR/server.log" 2>&1 &
server_pid=$!
"$APP_PYTHON" - "$base_url" <<'PYTHON'
"""Wait until /login answers (60 s at most)."""

import sys
import time
import urllib.request

deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1] + "/login", timeout=5) as response:
            if response.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("security-scan: the app did not answer on /login within 60 s")
    time.sleep(0.5)
PYTHON
step "app serving on $base_url"

# 3. Log in as the coordinator (CSRF token from the form) and hand the session to wapiti.
"$APP_PYTHON" - "$base_url" coordinator "$DEMO_PASSWORD" "$work_dir/cookies.json" <<'PYTHON'
"""Log in and write the session cookie in wapiti's JSON cookie format."""

import html.parser
import http.cookiejar
import json
import sys
import urllib.parse
import urllib.request

base_url, username, password, cookie_file = sys.argv[1:5]


class CsrfField(html.parser.HTMLParser):
    token = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "csrf_token":
            self.token = attributes.get("value")


jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
form = CsrfField()
form.feed(opener.open(base_url + "/login", timeout=30).read().decode("utf-8"))
if not form.token:
    sys.exit("security-scan: no csrf_token field on /login")
data = {"csrf_token": form.token, "username": username, "password": password}
response = opener.open(base_url + "/login", urllib.parse.urlencode(data).encode(), timeout=30)
if urllib.parse.urlsplit(response.url).path == "/login":
    sys.exit(f"security-scan: logging in as {username} failed")
# {domain: {path: {name: attributes}}}, as wapiti's wapitiCore/net/jsoncookie.py reads it.
cookies = {}
for cookie in jar:
    cookies.setdefault(cookie.domain, {}).setdefault(cookie.path, {})[cookie.name] = {
        "value": cookie.value,
        "expires": cookie.expires,
        "secure": cookie.secure,
        "port": None,
        "version": cookie.version,
    }
with open(cookie_file, "w", encoding="utf-8") as target:
    json.dump(cookies, target)
PYTHON
step "logged in as coordinator"

if [ -n "$install_pid" ]; then
  if ! wait "$install_pid"; then
    install_pid=""
    echo "security-scan: installing wapiti failed; last lines of $OUT_DIR/install.log:" >&2
    tail -n 30 "$OUT_DIR/install.log" >&2
    exit 1
  fi
  install_pid=""
  step "wapiti $WAPITI_VERSION installed in $SCAN_VENV (waited for it)"
fi

# 4. The scan, as that coordinator. Excluded: /logout (the crawler would end its own
# session), and pages that only repeat a form or view already crawled (the queue's state
# tabs and pages, the e-mail form prefilled from another template, a second template and a
# second question to escalate). wapiti sends no crash reports (--no-bugreport), payloads that
# name an external endpoint point at the closed local port instead of wapiti3.ovh, and the
# log4shell module (loaded though not run) resolves 127.0.0.1 instead of dns.wapiti3.ovh.
skip_args=()
for prefix in $SKIP_PREFIXES; do
  for field in $SKIP_FIELDS; do
    skip_args+=(--skip "${prefix#-}$field")
  done
done
"$SCAN_VENV/bin/wapiti" \
  --url "$base_url/" --scope folder \
  --module "$MODULES" \
  --cookie "$work_dir/cookies.json" \
  --exclude "$base_url/logout" \
  --exclude "$base_url/queue?*page=*" --exclude "$base_url/queue?default*" \
  --exclude "$base_url/queue/*?template=*" \
  --exclude "$base_url/queue/templates/2" --exclude "$base_url/queue/escalate/2" \
  "${skip_args[@]}" \
  --scan-force paranoid --tasks 1 \
  --max-scan-time "$MAX_CRAWL_SECONDS" --max-attack-time "$MAX_ATTACK_SECONDS" \
  --flush-session --store-session "$work_dir/wapiti-session" \
  --store-config "$work_dir/wapiti-config" \
  --no-bugreport --external-endpoint "http://127.0.0.1:$closed_port/" --dns-endpoint 127.0.0.1 \
  --verbose 1 --format json --output "$OUT_DIR/report.json" \
  >"$OUT_DIR/wapiti.log" 2>&1 || {
    echo "security-scan: wapiti failed; last lines of $OUT_DIR/wapiti.log:" >&2
    tail -n 30 "$OUT_DIR/wapiti.log" >&2
    exit 1
  }
step "wapiti finished"

# 5. Judge the report (while the app still runs: CSRF findings are re-checked against it).
status=0
"$APP_PYTHON" - "$OUT_DIR" "$base_url" "$work_dir/cookies.json" <<'PYTHON' || status=$?
"""Print every finding; exit 1 unless all are documented false positives.

Failing: every vulnerability and every anomaly (a 500 or a timeout) wapiti reports, any 5xx
status or traceback in the server's log (also from the crawl, which wapiti does not judge),
and a crawl too small to have been logged in. Informational "additionals" are counted but do
not fail: with these modules that is "HTTP Methods", Flask answering OPTIONS on every route.

Ignored, and why:
- "Secure Flag cookie" on kcc_session: the scan runs KCC_ENV=development over plain HTTP, which
  sets SESSION_COOKIE_SECURE=False on purpose; production sets Secure and config.py refuses
  to start without it. (HSTS is not checked over plain HTTP by wapiti; kcc leaves it to the
  TLS proxy, see docs/privacy.md section 6.)
- "Lack of anti CSRF token" on forms whose token field carries a Flask-WTF form prefix
  ("claim-csrf_token"): wapiti only knows fixed names such as "csrf_token", so it neither sees
  the token nor tests it. Each such form is re-sent here with a forged token and must be
  refused with kcc's 400 page for a failed CSRF check; otherwise the finding stands.
- "Lack of anti CSRF token" on the public FAQ vote (/faq/<crisis>/vraag/<id>/nuttig): it is
  token-less by design (public pages set no session cookie so they stay cacheable); a forged
  vote can do nothing a visitor cannot, and votes are rate-limited per address.
"""

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

out_dir, base_url, cookie_path = sys.argv[1:4]
with open(f"{out_dir}/report.json", encoding="utf-8") as source:
    report = json.load(source)
with open(cookie_path, encoding="utf-8") as source:
    cookies = json.load(source)
cookie_header = "; ".join(
    f"{name}={attributes['value']}"
    for paths in cookies.values()
    for names in paths.values()
    for name, attributes in names.items()
)
# kcc/errors.py handle_csrf_error: the text of the page for a missing or wrong CSRF token.
CSRF_REFUSAL_TEXT = "Het formulier is verlopen of onvolledig verstuurd"


def parse_request(raw):
    """Method, path and form fields from wapiti's http_request text."""
    head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
    method, target = head.split("\n", 1)[0].split(" ")[:2]
    return method, urllib.parse.urlsplit(target).path, urllib.parse.parse_qsl(body.strip())


def csrf_refused_with_forged_token(finding):
    """Re-send a form with its prefixed CSRF token forged; True when kcc refuses it."""
    method, path, fields = parse_request(finding["http_request"])
    token_fields = [name for name, _ in fields if name.endswith("-csrf_token")]
    if method != "POST" or not token_fields:
        return False
    forged = [(name, "forged" if name in token_fields else value) for name, value in fields]
    request = urllib.request.Request(
        base_url + path,
        data=urllib.parse.urlencode(forged).encode(),
        headers={"Cookie": cookie_header},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode("utf-8", "replace")
    return status == 400 and CSRF_REFUSAL_TEXT in body


ANONYMOUS_VOTE = re.compile(r"^/faq/[^/]+/vraag/\d+/nuttig$")


def describe(category, item):
    parameter = f" [{item['parameter']}]" if item.get("parameter") else ""
    return f"{category}: {item['method']} {item['path']}{parameter}: {item['info']}"


failures, ignored, checked_forms = [], [], {}
for category, items in report["vulnerabilities"].items():
    for item in items:
        line = describe(category, item)
        if category == "Secure Flag cookie" and item["info"].endswith(": kcc_session"):
            ignored.append(line + " (development serves plain HTTP)")
        elif category == "Cross Site Request Forgery" and ANONYMOUS_VOTE.match(item["path"]):
            # The public "was dit antwoord nuttig?" form: no session, no account, nothing personal,
            # so a forged request can do no more than any visitor (rate-limited per address).
            ignored.append(line + " (anonymous FAQ vote: no session to forge a request with)")
        elif category == "Cross Site Request Forgery" and item["info"] == "Lack of anti CSRF token":
            fields = parse_request(item["http_request"])[2]
            key = (item["path"], tuple(sorted(name for name, _ in fields)))
            if key not in checked_forms:
                checked_forms[key] = csrf_refused_with_forged_token(item)
            if checked_forms[key]:
                ignored.append(line + " (prefixed token; a forged one is refused)")
            else:
                failures.append(line)
        else:
            failures.append(line)
for category, items in report["anomalies"].items():
    failures.extend(describe(category, item) for item in items)

# kcc logs every request (kcc/observability.py) and every unhandled exception with its
# traceback; werkzeug logs what fails outside Flask as "Error on request".
error_answers, exceptions = Counter(), Counter()
with open(f"{out_dir}/server.log", encoding="utf-8", errors="replace") as source:
    in_traceback = False
    for line in source:
        answer = re.search(r" request method=(\S+) path=(\S+) status=(5\d\d) ", line)
        if answer:
            error_answers[" ".join(answer.groups())] += 1
        if line.startswith("Traceback") or "Error on request" in line:
            in_traceback = True
        elif in_traceback and line.strip() and not line.startswith(" "):
            exceptions[line.strip().split(" request_id=")[0]] += 1
            in_traceback = False
failures.extend(f"server answered {key} ({count}x)" for key, count in error_answers.items())
failures.extend(f"server raised {key} ({count}x)" for key, count in exceptions.items())

with open(f"{out_dir}/wapiti.log", encoding="utf-8", errors="replace") as source:
    wapiti_log = source.read()
capped = re.findall(r"Max attack time was reached for module (\w+)", wapiti_log)
infos = report["infos"]
print(
    f"security-scan: {infos['version']} crawled {infos['crawled_pages_nbr']} pages and forms"
    + (" (stopped at the time limit)" if "Max scan time was reached" in wapiti_log else "")
)
if capped:
    print(f"security-scan: stopped at the time limit before the last resource: {', '.join(capped)}")
if infos["crawled_pages_nbr"] < 20:
    failures.append("the crawl reached fewer than 20 pages and forms: did the login hold?")
print(f"security-scan: {len(set(failures))} findings")
for line in sorted(set(failures)):
    print(f"  {line}")
print(f"security-scan: {len(set(ignored))} ignored as false positives (see the script)")
for line in sorted(set(ignored)):
    print(f"  {line}")
informational = {name: len(items) for name, items in report["additionals"].items() if items}
print(f"security-scan: {sum(informational.values())} informational (not failing)")
for category, count in sorted(informational.items()):
    print(f"  {category}: {count}")
sys.exit(1 if failures else 0)
PYTHON
step "report checked"
if [ "$status" -ne 0 ]; then
  echo "security-scan: FAILED; report and logs in $OUT_DIR/ ($((SECONDS - started)) s)" >&2
  exit "$status"
fi
echo "security-scan: passed; report and logs in $OUT_DIR/ ($((SECONDS - started)) s)"
