"""browser_form.py: sends a downlink through the teacher's page in headless Chromium, as
a teacher would (spec/lua/platform_browser_spec.lua): opens URL (a device's page), waits
until the page shows that device, types HEX into the downlink form, submits it, and
prints what the page then says next to the form. Chromium is driven over its DevTools
protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, messages ending in a
NUL byte), with the standard library only.

    python3 browser_form.py URL HEX
"""
import fcntl
import json
import os
import subprocess
import sys
import tempfile

# The page's side, run in it: waits for the condition, never for a fixed time (the
# browser's run ends the wait after 30 s if the page never gets there).
SUBMIT = """
(async () => {
  const until = async (cond) => {
    for (let i = 0; i < 1500 && !cond(); i++) await new Promise(r => setTimeout(r, 20));
    if (!cond()) throw new Error("the page never got there");
  };
  await until(() => !document.getElementById("device").hidden);
  document.getElementById("send-hex").value = %s;
  document.getElementById("send").requestSubmit();
  const result = document.getElementById("send-result");
  await until(() => result.textContent !== "");
  return result.textContent;
})()
"""


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp()
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
        # no background networking, and no host name resolves: traffic stays on 127.0.0.1
        args = ["chromium", "--headless", "--disable-gpu", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile] + "--disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-default-apps --disable-domain-reliability --no-pings".split() + [
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")

        def fds():  # the pipe's ends at the numbers Chromium expects, kept across exec
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        # (close_fds would close 3 and 4 again after preexec_fn)
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.pending = b""
        self.next_id = 0
        self.events = []

    def receive(self):
        while b"\0" not in self.pending:
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium went away")
            self.pending += chunk
        raw, self.pending = self.pending.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self.receive()
            if answer.get("method"):
                self.events.append(answer)
            elif answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(method + ": " + json.dumps(answer["error"]))
                return answer["result"]

    def wait_event(self, method):
        while True:
            event = self.events.pop(0) if self.events else self.receive()
            if event.get("method") == method:
                return event

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        self.proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", self.profile], check=False)


def main():
    url, hexdigits = sys.argv[1], sys.argv[2]
    browser = Browser()
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable", {}, session)
        browser.call("Page.navigate", {"url": url}, session)
        browser.wait_event("Page.loadEventFired")
        result = browser.call("Runtime.evaluate", {"expression": SUBMIT % json.dumps(hexdigits),
                                                   "awaitPromise": True, "returnByValue": True},
                              session)
        if "exceptionDetails" in result:
            print("error: " + json.dumps(result["exceptionDetails"].get("exception", {}).get("description")))
            sys.exit(1)
        print(result["result"]["value"])
    finally:
        browser.close()


main()
