#!/usr/bin/python3
"""Drives the explorer's bundle verifier page (#/verify) in headless Chromium over the DevTools
protocol, hands it files as a user would (DOM.setFileInputFiles on its file inputs) and checks
the verdict of each, that verifying fetched nothing, that the chain page works after it, and
that the page's scripts are served as JavaScript.

Usage: verify_page_check.py CHECKS.json
CHECKS.json: {"chromium": PATH, "debug_port": N, "profile": DIR, "base": "http://127.0.0.1:P/explorer/",
              "sdk": OPTIONAL_DIR_OF_THE_PYTHON_SDK (its verdict must equal the page's),
              "cases": [{"name": TEXT, "bundle": PATH, "genesis": PATH,
                         "outcome": "proven" | "failed" | "unreadable",
                         "reason": [TEXT, ...],            (each must be in the page's reason)
                         "fields": {CSS: TEXT, ...},       (an element's text must equal TEXT)
                         "screenshot": OPTIONAL_PNG_PATH}]}
Exit 0 when every case passes, 1 otherwise, 77 when python3-websocket is missing. Every step is
time-bounded; Chromium is killed at the end.
"""
import base64
import json
import os
import sys
import time
import urllib.request

try:
    import websocket  # python3-websocket (Debian)
except ImportError:
    print("verify_page_check: python3-websocket is missing (apt-get install python3-websocket)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_check import attach, errors_in, start_chromium, stop_chromium  # noqa: E402


def sdk_verdicts(sdk_dir, cases):
    """(outcome, reason) of the Python SDK's independent verifier for each case."""
    sys.path.insert(0, sdk_dir)
    from sharechain import proofs
    out = []
    for c in cases:
        with open(c["bundle"], "rb") as b, open(c["genesis"], "rb") as g:
            r = proofs.verify_bundle(b.read(), g.read())
        out.append((r.outcome, r.reason))
    return out


def text_of(cdp, selector):
    return cdp.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                        "return e ? e.textContent.trim() : null; })()")


def set_file(cdp, selector, path):
    root = cdp.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    if not node:
        raise RuntimeError(f"no element {selector}")
    cdp.call("DOM.setFileInputFiles", {"nodeId": node, "files": [os.path.abspath(path)]})


def run_case(cdp, case, current_genesis):
    """The page's (outcome, reason) once it has checked this case's files."""
    # The last verdict is forgotten first: two cases may give files of the same names.
    cdp.evaluate("(() => { const r = document.getElementById('verify-result'); if (r) r.dataset.files = ''; })()")
    if current_genesis != case["genesis"]:
        set_file(cdp, "#file-genesis", case["genesis"])
    set_file(cdp, "#file-bundle", case["bundle"])
    want = os.path.basename(case["bundle"]) + "|" + os.path.basename(case["genesis"])
    end = time.time() + 60
    while time.time() < end:
        state = cdp.evaluate("(() => { const r = document.getElementById('verify-result'); "
                             "return r ? [r.dataset.files || '', r.dataset.outcome || ''] : null; })()")
        if state and state[0] == want and state[1]:
            reason = text_of(cdp, "[data-field=reason]") or ""
            return state[1], reason
        time.sleep(0.1)
    raise TimeoutError(f"{case['name']}: the page gave no verdict in 60 s")


def main():
    cfg = json.load(open(sys.argv[1]))
    cases = cfg["cases"]
    failures = []
    expected_sdk = sdk_verdicts(cfg["sdk"], cases) if cfg.get("sdk") else None
    # The page's scripts are served as JavaScript (a browser may refuse them otherwise).
    for name in ("proto_schema.js", "bundle_check.js", "verify.js", "app.js"):
        with urllib.request.urlopen(cfg["base"] + name, timeout=5) as r:
            kind = r.headers.get("Content-Type", "")
        if not kind.startswith("text/javascript"):
            failures.append(name)
            print(f"verify_page_check: FAILED {name} is served as '{kind}'")
    proc = start_chromium(cfg)
    try:
        cdp = attach(cfg["debug_port"], ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable",
                                         "DOM.enable"))
        if cdp is None:
            print("verify_page_check: chromium did not open its DevTools port")
            return 1
        cdp.call("Page.navigate", {"url": cfg["base"] + "#/verify"})
        end = time.time() + 20
        while time.time() < end and cdp.evaluate("document.body && document.body.dataset.page || ''") != "verify":
            time.sleep(0.2)
        if cdp.evaluate("document.body.dataset.page") != "verify":
            print("verify_page_check: the verify page did not load in 20 s")
            return 1
        nav = cdp.evaluate("Array.from(document.querySelectorAll('header nav a')).map(a => a.textContent + ' ' + a.getAttribute('href'))")
        if "Verify a bundle #/verify" not in (nav or []):
            failures.append(f"the header has no 'Verify a bundle' link to #/verify: {nav}")
        # From here on the page must not ask anything of anyone: every file comes from the disk.
        cdp.drain(1.5)
        cdp.events.clear()
        genesis = None
        for i, case in enumerate(cases):
            problems = []
            outcome, reason = run_case(cdp, case, genesis)
            genesis = case["genesis"]
            if outcome != case["outcome"]:
                problems.append(f"outcome '{outcome}', expected '{case['outcome']}'")
            for words in case.get("reason", []):
                if words not in reason:
                    problems.append(f"the reason does not say '{words}'")
            for selector, want in case.get("fields", {}).items():
                got = text_of(cdp, selector)
                if got != str(want):
                    problems.append(f"{selector} is '{got}', expected '{want}'")
            if case.get("screenshot"):
                shot = cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
                with open(case["screenshot"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                print(f"verify_page_check: screenshot of {case['name']} saved to {case['screenshot']}")
            if expected_sdk is not None:
                sdk_outcome, sdk_reason = expected_sdk[i]
                if (outcome, reason) != (sdk_outcome, sdk_reason):
                    problems.append(f"the Python SDK says {sdk_outcome} '{sdk_reason}'")
            print(f"verify_page_check: {'ok' if not problems else 'FAILED'} {case['name']}: {outcome}"
                  + (f" ({reason[:160]})" if reason else ""))
            for p in problems:
                print("    " + p)
            if problems:
                failures.append(case["name"])
        cdp.drain(1.5)
        requests = [e["params"]["request"]["url"] for e in cdp.events
                    if e["method"] == "Network.requestWillBeSent"]
        if requests:
            failures.append("requests while verifying")
            print("verify_page_check: FAILED the page made requests while verifying: " + ", ".join(requests[:10]))
        else:
            print(f"verify_page_check: ok no request while verifying {len(cases)} files")
        errs = errors_in(cdp.events)
        if errs:
            failures.append("console errors")
            print("verify_page_check: FAILED console errors: " + "; ".join(errs[:10]))
        # Leaving the page: the chain page loads and the header follows the tip again.
        cdp.evaluate("location.hash = '#/'")
        badge = ""
        end = time.time() + 10
        while time.time() < end and not badge.startswith("height "):
            time.sleep(0.3)
            badge = cdp.evaluate("document.getElementById('tip-badge').textContent") or ""
        if cdp.evaluate("document.body.dataset.page") != "home" or not badge.startswith("height "):
            failures.append("leaving the verify page")
            print(f"verify_page_check: FAILED back on the chain page the header shows '{badge}'")
        else:
            print(f"verify_page_check: ok the chain page after it shows '{badge}'")
    finally:
        stop_chromium(proc)
    if failures:
        print("verify_page_check: failed: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
