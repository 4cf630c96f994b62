"""Headless Chromium for the browser tests (the try-it page, the report, the website), driven over the DevTools
protocol with websocket-client: no Selenium or Playwright download needed, only the Debian `chromium` package."""
import base64, json, os, subprocess, time, urllib.request
from pathlib import Path

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome") if os.path.exists(p)), None)

class Browser:
    "Headless Chromium driven over the DevTools protocol: navigate, evaluate, collect console errors, screenshot."
    def __init__(self, profile: Path, window: str = "1280,900"):
        import websocket
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
                 f"--window-size={window}", "about:blank"]
        self.proc = subprocess.Popen([CHROMIUM, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(150):
            if port_file.exists() and port_file.read_text().strip(): break
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        self.ws = websocket.create_connection(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.n, self.events = 0, []
        for d in ("Page", "Runtime", "Log"): self.call(f"{d}.enable")
    def _recv(self):
        msg = json.loads(self.ws.recv())
        if "method" in msg: self.events.append(msg)
        return msg
    def call(self, method, **params):
        self.n += 1; self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == self.n:
                if "error" in msg: raise RuntimeError(msg["error"])
                return msg["result"]
    def js(self, expr):
        return self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)["result"].get("value")
    def goto(self, url, timeout=30):
        "Navigate and wait for the load event; return the console errors and exceptions this page raised."
        self.events.clear()
        self.call("Page.navigate", url=url)
        t0 = time.time()
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            if time.time() - t0 > timeout: raise TimeoutError(url)
            self._recv()
        time.sleep(0.3); self.js("1")  # let late scripts (search, MathJax) report
        return self.errors()
    def errors(self):
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown": out.append(p["exceptionDetails"].get("exception", {}).get("description") or p["exceptionDetails"].get("text"))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"): out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error": out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out
    def screenshot(self, path: Path):
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
    def close(self):
        try: self.ws.close()
        finally: self.proc.terminate(); self.proc.wait(20)
