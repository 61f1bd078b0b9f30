// The teacher's page of `bc260y platform` (index.html): reads the JSON API every two
// seconds and draws the devices, the selected device's uplinks, downlinks and a timeline
// of its session (SVG), and posts the downlink form. The selected device is the page's
// #fragment, so a link can open one (http://127.0.0.1:8080/#869453051234566).
"use strict";

const REFRESH_MS = 2000;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(t) {
  return t ? new Date(t * 1000).toLocaleTimeString() : "";
}

function selected() {
  return decodeURIComponent(location.hash.slice(1));
}

async function getJSON(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

function showDevices(devices) {
  const body = document.querySelector("#devices tbody");
  body.replaceChildren();
  for (const d of devices) {
    const row = el("tr", {class: "device" + (d.imei === selected() ? " selected" : ""),
                          "data-imei": d.imei});
    row.append(el("td", {}, d.imei), el("td", {class: "state-" + d.state}, d.state),
               el("td", {}, clock(d.last_seen)), el("td", {}, String(d.lifetime)),
               el("td", {}, String(d.uplinks)), el("td", {}, String(d.downlinks)));
    row.addEventListener("click", () => { location.hash = encodeURIComponent(d.imei); });
    body.append(row);
  }
  document.getElementById("no-devices").hidden = devices.length > 0;
}

function showUplinks(uplinks) {
  const body = document.querySelector("#uplinks tbody");
  body.replaceChildren();
  for (const u of uplinks.slice().reverse()) {
    const row = el("tr", {class: "uplink"});
    const decoded = u.decoded ? Object.entries(u.decoded).map(([k, v]) => k + " = " + v).join(", ") : "";
    row.append(el("td", {}, clock(u.time)), el("td", {}, u.type), el("td", {class: "hex"}, u.hex),
               el("td", {}, decoded));
    body.append(row);
  }
}

function showDownlinks(downlinks) {
  const body = document.querySelector("#downlinks tbody");
  body.replaceChildren();
  for (const w of downlinks.slice().reverse()) {
    const row = el("tr", {class: "downlink"});
    row.append(el("td", {}, clock(w.time)), el("td", {class: "hex"}, w.hex), el("td", {}, w.state));
    body.append(row);
  }
}

// The session as the platform saw it: one lane each for the registration's events,
// uplinks and downlinks, on a common time axis. (Radio state and sleep happen on the
// module's side: the platform sees them only as the gaps between messages.)
const LANES = {
  register: 0, update: 0, observe: 0, deregister: 0, expire: 0,
  uplink: 1,
  queued: 2, downlink: 2, delivered: 2, write_failed: 2,
};
const COLOURS = {
  register: "#070", update: "#7a7", observe: "#09c", deregister: "#888", expire: "#b00",
  uplink: "#06c", queued: "#c90", downlink: "#c60", delivered: "#070", write_failed: "#b00",
};
const SVGNS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function showTimeline(events) {
  const box = document.getElementById("timeline");
  box.replaceChildren();
  const width = 800, left = 90, right = 20, laneH = 30, top = 10;
  const pic = svg("svg", {width: width, height: top + 3 * laneH + 25, role: "img",
                          "aria-label": "session timeline"});
  const names = ["session", "uplinks", "downlinks"];
  names.forEach((n, i) => {
    const y = top + i * laneH + laneH / 2;
    pic.append(svg("text", {x: 4, y: y + 4, "font-size": 12}, n));
    pic.append(svg("line", {x1: left, x2: width - right, y1: y, y2: y, stroke: "#ddd"}));
  });
  if (events.length) {
    const t0 = events[0].time, t1 = Math.max(events[events.length - 1].time, t0 + 1);
    const x = t => left + (t - t0) / (t1 - t0) * (width - left - right);
    let start = null;
    for (const e of events) { // registered stretches as bars under the session lane
      if (e.what === "register" && start === null) start = e.time;
      if ((e.what === "deregister" || e.what === "expire") && start !== null) {
        pic.append(svg("rect", {x: x(start), y: top + laneH / 2 + 6, width: Math.max(x(e.time) - x(start), 1),
                                height: 4, fill: "#9c9"}));
        start = null;
      }
    }
    if (start !== null) {
      pic.append(svg("rect", {x: x(start), y: top + laneH / 2 + 6, width: Math.max(x(t1) - x(start), 1),
                              height: 4, fill: "#9c9"}));
    }
    for (const e of events) {
      const lane = LANES[e.what] ?? 0;
      const dot = svg("circle", {cx: x(e.time), cy: top + lane * laneH + laneH / 2, r: 5,
                                 fill: COLOURS[e.what] || "#444", class: "event " + e.what});
      dot.append(svg("title", {}, clock(e.time) + " " + e.what + (e.detail ? " (" + e.detail + ")" : "")));
      pic.append(dot);
    }
    pic.append(svg("text", {x: left, y: top + 3 * laneH + 18, "font-size": 11}, clock(t0)));
    pic.append(svg("text", {x: width - right, y: top + 3 * laneH + 18, "font-size": 11,
                            "text-anchor": "end"}, clock(t1)));
  }
  box.append(pic);
}

async function refresh() {
  try {
    const devices = await getJSON("/api/devices");
    showDevices(devices);
    const imei = selected();
    const known = devices.some(d => d.imei === imei);
    document.getElementById("device").hidden = !known;
    if (known) {
      document.getElementById("device-imei").textContent = imei;
      const base = "/api/devices/" + encodeURIComponent(imei);
      const [uplinks, downlinks, events] = await Promise.all(
        [getJSON(base + "/uplinks"), getJSON(base + "/downlinks"), getJSON(base + "/events")]);
      showUplinks(uplinks);
      showDownlinks(downlinks);
      showTimeline(events);
    }
  } catch (err) {
    console.error(err);
  }
}

document.getElementById("send").addEventListener("submit", async ev => {
  ev.preventDefault();
  const result = document.getElementById("send-result");
  const hex = document.getElementById("send-hex").value.trim();
  const r = await fetch("/api/devices/" + encodeURIComponent(selected()) + "/downlinks",
                        {method: "POST", headers: {"Content-Type": "application/json"},
                         body: JSON.stringify({hex: hex})});
  const answer = await r.json();
  result.className = r.ok ? "" : "error";
  result.textContent = r.ok ? "queued" : answer.error;
  refresh();
});

window.addEventListener("hashchange", refresh);
refresh();
setInterval(refresh, REFRESH_MS);
