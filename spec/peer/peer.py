#!/usr/bin/env python3
"""peer.py: an independent stand-in for the BC260Y-CN on a pseudo-terminal, for the specs
in spec/peer/. It shares no code with the library (Python, its own parsing), so the host
is tried against behaviour it did not write itself. It opens a pty, prints
"PATH <slave path>" on stdout and plays the module's side in one of these modes:

  session FILE [--book FILE]... [--start first-byte|after:CMD] [--gap S] [--timeout S]
      Plays a transcript as printed (spec/transcripts/*.txt: "> TEXT" the host sends,
      "< TEXT" the module prints, "#" comments). Each host line must be the session's next
      host line (compared ignoring case and double quotes); the module lines after it are
      printed up to its final result at once, the rest (URCs) --gap seconds apart. A host
      line that is not the next one ends the play with a failure naming the session line;
      so does any host line from the first "FOTA" URC until the reboot's banner (or a
      DOWNLOAD/END failure code), or while FOTA lines are still to be printed: the
      guide's DFOTA rule (5.3.3). The next host line arriving early, while only other
      URCs are left, is taken after them. Before the
      session's first host line and after its last, commands the guide does not print
      (the host's setup and teardown) are answered from the --book files (same format,
      answered in any order). Module lines before the session's first host line are
      printed on the host's first byte (--start first-byte) or after the book answered a
      command starting with CMD (--start after:CMD, e.g. the uplink that triggers DFOTA);
      from then on the book is closed. Two things a module does whatever the session:
      a bare AT (a probe) is answered OK wherever the host may speak, and so is AT+CMEE?
      ("+CMEE: 1", OK), the first of the host's resync probes after a command that timed
      out (docs/design.md, "Late answers": a wake-up AT lost to deep sleep is such a
      command; the guide prints neither the wake-up nor the resync); and while the
      session has "+QNBIOTEVENT: "EXIT DEEPSLEEP"" still to print the module is asleep:
      host bytes are lost and wake it (that line and the rest come at once).
      Besides the guide's sessions (spec/transcripts), spec/peer/sessions holds sessions
      of this module family's lines beyond the guide (bare text answers, no space after
      the colon, trailing spaces, values outside the guide's tables, lines inside
      answers), played the same way.
  chaos --seed N [--log FILE] [--late R] [--reboot R] [--hangup R] [--garbage R]
        [--error R] [--refuse R] [--downlink-every S] [--latency S] [--timeout S]
        [--probes-late R]
      A small module (init, register, NMGS, AT+QECHO=<token> answered "+QECHO: <token>")
      that, seeded, answers late (0.4..3 s), reboots instead of answering, hangs up (then
      prints "PATH <new path>" for the host to reopen), prints garbage lines, refuses
      uplinks with +CME ERROR: 159, answers ERROR, and pushes downlinks ("+NNMI: 4,<seq>")
      while registered. Rates are per command (0..1). Every decision goes to --log:
      "ECHO <token> ok|error|lost", "UL <hex> ok|refused|lost", "DL <seq>", "FAULT <kind>".
      With every rate 0 it is a calm module (the stalled-host and crowd specs).
      The host's resync probes (docs/design.md, "Late answers") are ordinary queries to
      it: AT+NMSTATUS? is answered with its line, the others with ERROR. --probes-late R
      makes it answer them as the module does (AT+CMEE? "+CMEE: 1", AT+CSCON? "+CSCON:
      0,1", AT+QSCLK? "+QSCLK: 0", AT+CSQ "+CSQ: 20,0", then OK) and answer each one late
      (0.4..6 s, past the host's timeout and the probe's) at rate R: a busy module
      blocking its AT port ("FAULT probe_late").

Exit status: 0 when the play completed and the host left, 1 with "FAIL: ..." on stderr
otherwise (a wrong host line, a timeout, the host leaving early). A session stops at the
first failure, closing the pty, so the host sees a hang-up rather than waiting.
"""
import os
import pty
import random
import select
import sys
import time
import tty

FINALS = ("OK", "ERROR", "+CME ERROR", "+CMS ERROR")
# The host's resync probes, answered as the module does (chaos --probes-late).
PROBE_ANSWERS = {"AT+CMEE?": "+CMEE: 1", "AT+CSCON?": "+CSCON: 0,1", "AT+QSCLK?": "+QSCLK: 0",
                 "AT+CSQ": "+CSQ: 20,0"}


def is_final(line):
    return any(line == f or line.startswith(f + ":") for f in FINALS)


def norm(cmd):
    """A command as a session compares it: quotes and case aside, and AT+NMGS's type 0
    written out is the uplink the guide's sessions print with no type (its default)."""
    c = cmd.replace('"', "").upper()
    if c.startswith("AT+NMGS=") and c.count(",") == 2 and c.endswith(",0"):
        c = c[:-2]
    return c


def fail(msg):
    sys.stderr.write("FAIL: " + msg + "\n")
    sys.stderr.flush()
    sys.exit(1)


class Pty:
    """The master end of a fresh pty; the slave is raw and closed until the host opens it."""

    def __init__(self):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(self.master, False)
        self.connected = False  # the host's first byte came
        self.buf = b""
        print("PATH " + self.path, flush=True)

    def write(self, data):
        view = data
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.master], [], 0.05)
            except OSError:
                return False  # the host is gone
        return True

    def lines(self, timeout):
        """Waits up to timeout for input; returns (list of complete lines, first_bytes,
        gone). gone: the host closed its end after having talked to us."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return [], False, False
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return [], False, False
        except OSError:
            data = b""
        if not data:
            # No slave open: before the host's first byte it is still opening; after,
            # it left unless it reopens within a second (a close-and-reopen).
            if not self.connected:
                time.sleep(0.02)
                return [], False, False
            for _ in range(50):
                time.sleep(0.02)
                r, _, _ = select.select([self.master], [], [], 0)
                if r:
                    try:
                        data = os.read(self.master, 65536)
                        if data:
                            break
                    except OSError:
                        pass
            else:
                return [], False, True
        first = not self.connected
        self.connected = True
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"\r")
            if i < 0:
                break
            line = self.buf[:i].replace(b"\n", b"").replace(b"\0", b"")
            self.buf = self.buf[i + 1:]
            if line:
                out.append(line.decode("latin-1"))
        return out, first, False

    def close(self):
        try:
            os.close(self.master)
        except OSError:
            pass


def frame(lines):
    return "".join("\r\n" + l + "\r\n" for l in lines).encode("latin-1")


# ---------------------------------------------------------------------------------------
# session mode

def parse_transcript(path):
    steps = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            if line.startswith("> "):
                steps.append(("host", line[2:], n))
            elif line.startswith("< "):
                steps.append(("module", line[2:], n))
            else:
                fail("%s:%d: a line must start with '> ', '< ' or '#'" % (path, n))
    return steps


def parse_book(path):
    book, key = {}, None
    for kind, text, n in parse_transcript(path):
        if kind == "host":
            key = norm(text)
            book[key] = []
        elif key is None:
            fail("%s:%d: a module line before any host line" % (path, n))
        else:
            book[key].append(text)
    return book


def split_answer(lines):
    """(answer lines up to and including the final result, URCs after it)."""
    for i, l in enumerate(lines):
        if is_final(l):
            return lines[:i + 1], lines[i + 1:]
    return [], lines


def run_session(args):
    path = args.pop(0)
    books, start, gap, timeout = [], None, 0.1, 90.0
    while args:
        opt = args.pop(0)
        if opt == "--book":
            books.append(parse_book(args.pop(0)))
        elif opt == "--start":
            start = args.pop(0)
        elif opt == "--gap":
            gap = float(args.pop(0))
        elif opt == "--timeout":
            timeout = float(args.pop(0))
        else:
            fail("session: unknown option " + opt)
    book = {}
    for b in books:
        book.update(b)
    steps = parse_transcript(path)
    name = os.path.basename(path)
    first_host = next((i for i, s in enumerate(steps) if s[0] == "host"), len(steps))
    leading = [s for s in steps[:first_host]]
    if leading and not start:
        fail("%s starts with module lines: say when to print them (--start)" % name)
    p = Pty()
    cursor = 0 if leading else first_host
    begun = False          # the session's own play has begun: the book is closed
    queue = []             # (due time, line, session line number) still to print
    deadline = time.monotonic() + timeout

    def where():
        pending = [q for q in queue if q[2] is not None]
        if pending:
            return "line %d (%s, still to print)" % (pending[0][2], pending[0][1])
        if cursor < len(steps):
            return "line %d (host: %s)" % (steps[cursor][2], steps[cursor][1])
        return "the end"

    def play_until_host(from_index, immediate):
        """Queues the module lines from from_index up to the next host line."""
        i, t = from_index, time.monotonic() + 0.005
        block = []
        while i < len(steps) and steps[i][0] == "module":
            block.append(steps[i])
            i += 1
        answer, _ = split_answer([s[1] for s in block])
        for k, s in enumerate(block):
            if k >= len(answer) and not immediate:
                t += gap
            queue.append((t, s[1], s[2]))
        return i

    def stop(msg):
        p.close()
        fail("%s: %s" % (name, msg))

    # DFOTA: from the first FOTA URC printed until the reboot's banner, or a failure code,
    # the host must be silent.
    state = {"fota": False}

    def say(text):
        p.write(frame([text]))
        if '"FOTA"' in text.replace(" ", ""):
            state["fota"] = True
            code = text.replace(" ", "").rsplit(",", 1)[-1]
            if ('"DOWNLOAD",' in text.replace(" ", "") or '"END",' in text.replace(" ", "")) \
                    and code.isdigit() and code != "0":
                state["fota"] = False
        elif state["fota"] and text in ("+CPIN: READY", "RDY"):
            state["fota"] = False

    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            say(queue.pop(0)[1])
        if now > deadline:
            stop("timed out after %g s at %s" % (timeout, where()))
        wait = min(0.05, max(0.0, queue[0][0] - now)) if queue else 0.05
        lines, first, gone = p.lines(wait)
        if first and leading and start == "first-byte" and cursor == 0:
            cursor = play_until_host(0, True)
            while queue:
                say(queue.pop(0)[1])
        for line in lines:
            if any("EXIT DEEPSLEEP" in q[1] for q in queue if q[2] is not None):
                # Asleep: the bytes are lost, and they wake the module (EXIT DEEPSLEEP and
                # what follows it come now).
                t = time.monotonic()
                for k, q in enumerate(queue):
                    if q[2] is not None and q[0] > t:
                        queue[k] = (t, q[1], q[2])
                        t += gap
                continue
            key = norm(line)
            session_queued = [q for q in queue if q[2] is not None]
            if state["fota"] or any('"FOTA"' in q[1] for q in session_queued):
                stop("host sent %r during DFOTA: from the first FOTA URC to the reboot the "
                     "guide's host sends nothing (5.3.3); at %s" % (line, where()))
            if session_queued:
                # Early, but only URCs are left to print (an RRC release, say): print them
                # first, then take the line as if it came after them.
                if not (cursor < len(steps) and key == norm(steps[cursor][1])):
                    stop("host sent %r; the session expects at %s" % (line, where()))
                for q in session_queued:
                    say(q[1])
                queue[:] = [q for q in queue if q[2] is None]
            if key == "AT":
                p.write(frame(["OK"]))  # a probe: answered wherever the host may speak
                continue
            if key == "AT+CMEE?":
                # The host's resync probe after a timed-out command (its wake-up AT was lost
                # while the module slept): a module answers it with its marker, anywhere the
                # host may speak. Only this one: the others go out only when it times out.
                p.write(frame(["+CMEE: 1", "OK"]))
                continue
            if cursor < len(steps) and steps[cursor][0] == "host" and key == norm(steps[cursor][1]):
                begun = True
                cursor = play_until_host(cursor + 1, False)
            elif (not begun or cursor >= len(steps)) and key in book:
                answer, urcs = split_answer(book[key])
                p.write(frame(answer))
                t = time.monotonic()
                for u in urcs:
                    t += gap
                    queue.append((t, u, None))  # the book's URCs: the host may talk meanwhile
                if start and start.startswith("after:") and cursor == 0 and leading \
                        and key.startswith(norm(start[6:])):
                    begun = True
                    cursor = play_until_host(0, False)
            elif cursor >= len(steps):
                stop("host sent %r after the session's end (not in the book)" % line)
            else:
                stop("host sent %r; the session expects at %s" % (line, where()))
        if gone:
            p.close()
            if any(q[2] is not None for q in queue) or cursor < len(steps):
                fail("%s: the host left at %s" % (name, where()))
            print("DONE", flush=True)
            return 0


# ---------------------------------------------------------------------------------------
# chaos mode: a small module with seeded faults

class Chaos:
    def __init__(self, args):
        self.opt = {"seed": 1, "log": None, "late": 0.0, "reboot": 0.0, "hangup": 0.0,
                    "garbage": 0.0, "error": 0.0, "refuse": 0.0, "downlink-every": 0.0,
                    "latency": 0.005, "timeout": 120.0, "probes-late": 0.0}
        while args:
            o = args.pop(0)
            if not o.startswith("--") or o[2:] not in self.opt:
                fail("chaos: unknown option " + o)
            v = args.pop(0)
            self.opt[o[2:]] = v if o == "--log" else float(v)
        self.rng = random.Random(int(self.opt["seed"]))
        self.logf = open(self.opt["log"], "w") if self.opt["log"] else None
        self.faults = {}
        self.registered = False
        self.seq = 0
        self.pending = []          # host lines not yet answered (a module answers in order)
        self.answer_at = None      # when the head of pending gets its answer
        self.plan = None           # the head's fate: "answer" | "late" | "reboot" | "hangup"
        self.quiet_until = 0.0     # no downlink before this (a fault is about to happen)
        self.next_dl = time.monotonic() + 0.2
        self.urcs = []             # (due, bytes)

    def log(self, s):
        if self.logf:
            self.logf.write(s + "\n")
            self.logf.flush()

    def fault(self, kind):
        self.faults[kind] = self.faults.get(kind, 0) + 1
        self.log("FAULT " + kind)

    def answer(self, line):
        """The module's answer to one command: list of lines (final last) and URCs."""
        up = line.upper()
        r = self.rng
        if up in ("AT", "ATE0", "AT+CMEE=1", "AT+CSCON=1", "AT+QSCLK=0", "AT+QSTOP"):
            if up == "AT+QSTOP":
                self.opt["downlink-every"] = 0.0
            return ["OK"], []
        if up == "ATI":
            return ["Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02", "OK"], []
        if up == "AT+CGSN=1":
            return ["+CGSN: 869453051234566", "OK"], []
        if up == "AT+NNMI?":
            return ["+NNMI: 1", "OK"], []
        if up == "AT+CGPADDR?":
            return ['+CGPADDR: 0,"10.46.118.23"', "OK"], []
        if self.opt["probes-late"] > 0 and up in PROBE_ANSWERS:
            return [PROBE_ANSWERS[up], "OK"], []
        if up == "AT+NMSTATUS?":
            return ["+NMSTATUS: " + ("REGISTERED_AND_OBSERVED" if self.registered
                                     else "DEREGISTERED"), "OK"], []
        if up.startswith("AT+NCDPOPEN="):
            self.registered = True
            return ["OK"], ["+QLWEVTIND: 0", "+QLWEVTIND: 3"]
        if up == "AT+NCDPCLOSE":
            self.registered = False
            return ["OK"], []
        if up.startswith("AT+QECHO="):
            token = line[9:]
            if r.random() < self.opt["error"]:
                self.log("ECHO %s error" % token)
                return ["ERROR"], []
            self.log("ECHO %s ok" % token)
            return ["+QECHO: " + token, "OK"], []
        if up.startswith("AT+NMGS="):
            parts = line[8:].split(",")
            data = parts[1].replace('"', "") if len(parts) > 1 else ""
            if not self.registered or r.random() < self.opt["refuse"]:
                self.log("UL %s refused" % data.upper())
                return ["+CME ERROR: 159"], []
            self.log("UL %s ok" % data.upper())
            return ["OK"], []
        return ["ERROR"], []

    def decide(self):
        """The fate of the command at the head of the queue."""
        r, o = self.rng, self.opt
        x = r.random()
        now = time.monotonic()
        if self.pending[0].upper() == "AT+QSTOP":
            x = 1.0  # the host's end of the run is never faulted
        # Before a reboot or a hang-up no downlink for 0.3 s, so the host has read every
        # downlink sent before it (one lost in the fault is the fault's, not the host's).
        if x < o["reboot"]:
            self.plan, self.answer_at = "reboot", now + 0.3
            self.quiet_until = self.answer_at
        elif x < o["reboot"] + o["hangup"]:
            self.plan, self.answer_at = "hangup", now + 0.3
            self.quiet_until = self.answer_at
        elif x < o["reboot"] + o["hangup"] + o["late"]:
            self.plan, self.answer_at = "late", now + r.uniform(0.4, 3.0)
        elif (self.pending[0].upper() in PROBE_ANSWERS or self.pending[0].upper() == "AT+NMSTATUS?") \
                and r.random() < o["probes-late"]:
            self.plan, self.answer_at = "probe_late", now + r.uniform(0.4, 6.0)
        else:
            self.plan, self.answer_at = "answer", now + o["latency"]
        if r.random() < o["garbage"]:
            # A burst of line noise before the answer: no CR/LF-framed word a host knows.
            self.fault("garbage")
            junk = bytes(r.choice(b"\x00\xff\x01\x7fxyz#&%=") for _ in range(r.randint(1, 40)))
            self.urcs.append((now, b"\r\n" + junk + b"\r\n"))

    def lost(self, line):
        up = line.upper()
        if up.startswith("AT+QECHO="):
            self.log("ECHO %s lost" % line[9:])
        elif up.startswith("AT+NMGS="):
            parts = line[8:].split(",")
            self.log("UL %s lost" % (parts[1].replace('"', "").upper() if len(parts) > 1 else ""))

    def run(self):
        p = Pty()
        deadline = time.monotonic() + self.opt["timeout"]
        while time.monotonic() < deadline:
            now = time.monotonic()
            while self.urcs and self.urcs[0][0] <= now:
                p.write(self.urcs.pop(0)[1])
            if self.pending and self.answer_at is None:
                self.decide()
            if self.pending and self.answer_at <= now:
                line = self.pending.pop(0)
                plan, self.answer_at = self.plan, None
                if plan == "reboot":
                    self.fault("reboot")
                    self.lost(line)
                    for l in self.pending:
                        self.lost(l)
                    self.pending, self.registered, self.urcs = [], False, []
                    p.write(frame(["RDY", "+CFUN: 1", "+CPIN: READY"]))
                elif plan == "hangup":
                    self.fault("hangup")
                    self.lost(line)
                    for l in self.pending:
                        self.lost(l)
                    self.pending, self.registered, self.urcs = [], False, []
                    p.close()
                    p = Pty()
                else:
                    if plan in ("late", "probe_late"):
                        self.fault(plan)
                    answer, urcs = self.answer(line)
                    p.write(frame(answer))
                    t = time.monotonic()
                    for u in urcs:
                        t += 0.02
                        self.urcs.append((t, frame([u])))
            if self.registered and self.opt["downlink-every"] > 0 and now >= self.next_dl \
                    and now >= self.quiet_until and not self.urcs:
                self.seq += 1
                self.log("DL %d" % self.seq)
                p.write(frame(["+NNMI: 4,%08X" % self.seq]))
                self.next_dl = now + self.rng.uniform(0.5, 1.5) * self.opt["downlink-every"]
            wait = 0.01
            if self.answer_at is not None:
                wait = max(0.0, min(wait, self.answer_at - now))
            lines, _, gone = p.lines(wait)
            for l in lines:
                if l.upper().startswith("AT"):
                    self.pending.append(l)
            if gone:
                p.close()
                self.log("END " + " ".join("%s=%d" % kv for kv in sorted(self.faults.items())))
                return 0
        p.close()
        fail("chaos: the host was still there after %g s" % self.opt["timeout"])


def main(argv):
    if len(argv) < 2 or argv[1] not in ("session", "chaos"):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "session":
        if len(argv) < 3:
            fail("session: which transcript?")
        return run_session(argv[2:])
    return Chaos(argv[2:]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
