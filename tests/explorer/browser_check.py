#!/usr/bin/python3
"""Loads explorer pages in headless Chromium over the DevTools protocol and checks them.

Usage: browser_check.py CHECKS.json
CHECKS.json: {"chromium": PATH, "debug_port": N, "profile": DIR, "base": "http://127.0.0.1:P/explorer/",
              "pages": [{"route": "#/account/sc..", "page": "account", "errors_allowed": false,
                         "screenshot": OPTIONAL_PNG_PATH,
                         "expect": [{"selector": CSS, "attr": OPTIONAL, "equals": TEXT}
                                    | {"selector": CSS, "contains": TEXT}]}]}
For each page: no console error, no uncaught exception (unless errors_allowed, for pages that
show a refused request), every expectation met. Exit 0 when all pass, 1 otherwise, 77 when
python3-websocket is missing. Every step is time-bounded; Chromium is killed at the end.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

try:
    import websocket  # python3-websocket (Debian)
except ImportError:
    print("browser_check: python3-websocket is missing (apt-get install python3-websocket)")
    sys.exit(77)


class Cdp:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=10)
        self.next_id = 0
        self.events = []

    def call(self, method, params=None, timeout=15):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        end = time.time() + timeout
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return r.get("result", {}).get("value")

    def drain(self, seconds):
        """Collects events for `seconds`."""
        end = time.time() + seconds
        self.ws.settimeout(0.2)
        while time.time() < end:
            try:
                msg = json.loads(self.ws.recv())
                if "method" in msg:
                    self.events.append(msg)
            except websocket.WebSocketTimeoutException:
                pass
        self.ws.settimeout(10)


def errors_in(events):
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.error: " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            ent = p["entry"]
            out.append(f"log ({ent.get('source')}): {ent.get('text')} {ent.get('url', '')}")
    return out


def start_chromium(cfg):
    """Headless Chromium with its DevTools port on cfg["debug_port"], in its own session (so
    stop_chromium kills every process of it). Returns the process."""
    return subprocess.Popen(
        [cfg["chromium"], "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,1800",
         f"--remote-debugging-port={cfg['debug_port']}", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={cfg['profile']}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(cfg["profile"] + ".log"), "w"),
        start_new_session=True)


def attach(port, domains):
    """A Cdp session on Chromium's first page with `domains` enabled, or None when its DevTools
    port does not answer within 30 s."""
    target = None
    end = time.time() + 30
    while time.time() < end and target is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
                target = pages[0]["webSocketDebuggerUrl"] if pages else None
        except OSError:
            time.sleep(0.3)
    if target is None:
        return None
    cdp = Cdp(target)
    for domain in domains:
        cdp.call(domain)
    return cdp


def stop_chromium(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def main():
    cfg = json.load(open(sys.argv[1]))
    proc = start_chromium(cfg)
    failures = []
    try:
        cdp = attach(cfg["debug_port"], ("Page.enable", "Runtime.enable", "Log.enable"))
        if cdp is None:
            print("browser_check: chromium did not open its DevTools port")
            return 1
        for page in cfg["pages"]:
            url = cfg["base"] + page["route"]
            cdp.call("Page.navigate", {"url": "about:blank"})
            cdp.drain(0.2)
            cdp.events.clear()
            cdp.call("Page.navigate", {"url": url})
            loaded = False
            end = time.time() + 20
            while time.time() < end:
                state = cdp.evaluate("document.body && document.body.dataset.loaded ? document.body.dataset.page || 'x' : ''")
                if state:
                    loaded = True
                    break
                time.sleep(0.2)
            # Two polls of the tip, so live updates run too.
            cdp.drain(2.2)
            problems = []
            if not loaded:
                problems.append("the page did not finish loading in 20 s")
            if page.get("page"):
                shown = cdp.evaluate("document.body.dataset.page || ''")
                if shown != page["page"]:
                    problems.append(f"shows page '{shown}', expected '{page['page']}'")
            errs = errors_in(cdp.events)
            if errs and not page.get("errors_allowed"):
                problems.extend(errs)
            for exp in page.get("expect", []):
                sel = json.dumps(exp["selector"])
                attr = exp.get("attr")
                js = (f"(() => {{ const e = document.querySelector({sel}); if (!e) return null; "
                      f"return {('e.getAttribute(' + json.dumps(attr) + ')') if attr else 'e.textContent.trim()'}; }})()")
                got = cdp.evaluate(js)
                if got is None:
                    problems.append(f"no element {exp['selector']}")
                elif "equals" in exp and str(got) != str(exp["equals"]):
                    problems.append(f"{exp['selector']}{'@' + attr if attr else ''} is '{got}', expected '{exp['equals']}'")
                elif "contains" in exp and str(exp["contains"]) not in str(got):
                    problems.append(f"{exp['selector']} '{got[:200]}' lacks '{exp['contains']}'")
            if page.get("screenshot"):
                shot = cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
                import base64
                with open(page["screenshot"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                print(f"browser_check: screenshot of {page['route']} saved to {page['screenshot']}")
            status = "ok" if not problems else "FAILED"
            print(f"browser_check: {status} {page['route']} ({len(page.get('expect', []))} checks)")
            for p in problems:
                print("    " + p)
            if problems:
                failures.append(page["route"])
    finally:
        stop_chromium(proc)
    if failures:
        print("browser_check: failed pages: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
