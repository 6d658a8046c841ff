// The mock's dashboard: reads the control API every 1.5 s and draws what it answers; its buttons
// call the same API. Plain JavaScript, no library.
"use strict";

const PRESETS = ["pass", "underage", "spoof", "noFace", "multipleFaces"];
const TOKEN_KEY = "verifeyeControlToken";
const POLL_MS = 1500;

const $ = (id) => document.getElementById(id);
let openRequest = null; // the key of the journal row whose detail is shown
let faults = [];

// api calls the control API with the token kept for this tab, and answers the decoded JSON; a
// refusal throws an Error carrying the problem's detail.
async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["X-Mock-Control-Token"] = token;
  // The control API takes a change only as JSON, with or without a body.
  if (body !== undefined || method === "POST" || method === "PUT" || method === "PATCH") headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const data = await resp.json().catch(() => ({}));
  if (resp.status === 401 && body === undefined) {
    $("token-form").hidden = false;
  }
  if (!resp.ok) {
    const err = new Error(`${method} ${path}: ${resp.status} ${data.detail || data.title || ""}`);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function say(text) { $("status").textContent = text; }

// act runs a change, says how it went and redraws at once.
async function act(what, fn) {
  try {
    await fn();
    say(what + ": done");
  } catch (e) {
    say(what + ": " + e.message);
  }
  await refresh();
}

function idCell(tr, id) {
  const td = cell(tr, short(id), "id");
  td.title = id || "";
  return td;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fill(tableId, rows, draw, empty) {
  const tbody = $(tableId).querySelector("tbody");
  tbody.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    draw(tr, r);
    tbody.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(tr, empty, "empty");
    td.colSpan = $(tableId).querySelectorAll("thead th").length;
    tbody.appendChild(tr);
  }
}

const time = (t) => (t ? t.replace("T", " ").replace(/(\.\d{3})\d*/, "$1") : "");
const short = (id) => (id ? String(id).slice(0, 8) : "");
const statusClass = (s) => (s >= 500 ? "bad" : s >= 400 ? "warn" : "ok");

function selected() { return $("filter").value; }
function mine(item) { return !selected() || item.account === selected(); }

// accounts keeps the filter's choices: the tenants and every account seen in the data.
function accounts(tenants, ...lists) {
  const names = new Map();
  for (const t of tenants) names.set(t.accountId, t.name ? `${t.name} (${t.accountId})` : t.accountId);
  for (const list of lists) for (const item of list) if (item.account && !names.has(item.account)) names.set(item.account, item.account);
  const sel = $("filter");
  const keep = sel.value;
  const have = [...sel.options].map((o) => o.value).join("\n");
  const want = ["", ...names.keys()].join("\n");
  if (have === want) return;
  sel.replaceChildren(new Option("All accounts", ""));
  for (const [id, label] of names) sel.appendChild(new Option(label, id));
  sel.value = names.has(keep) ? keep : "";
}

function drawClock(c) {
  $("clock-now").textContent = time(c.now);
  $("clock-frozen").textContent = c.frozen ? "(frozen)" : "(running)";
}

function subjectFromFields() {
  const s = { live: $("subj-live").value === "true" };
  if ($("subj-age").value !== "") s.age = Number($("subj-age").value);
  if ($("subj-gender").value) s.gender = $("subj-gender").value;
  if ($("subj-faces").value !== "") s.faceCount = Number($("subj-faces").value);
  if ($("subj-face").value) s.face = $("subj-face").value;
  return s;
}

function complete(id, spec) {
  return act("Complete session " + short(id), async () => {
    const done = await api("POST", `/_mock/sessions/${id}/complete`, spec);
    say(`Session ${short(id)}: ${done.result.verificationResult}`);
  });
}

function drawWaiting(sessions) {
  const waiting = sessions.filter((s) => s.hosted && s.state === "pending");
  fill("waiting", waiting, (tr, s) => {
    tr.dataset.session = s.verificationSessionId;
    idCell(tr, s.verificationSessionId);
    cell(tr, s.account);
    idCell(tr, s.verificationId);
    cell(tr, time(s.created));
    const td = cell(tr, "");
    const pick = document.createElement("select");
    pick.setAttribute("aria-label", "Preset for session " + s.verificationSessionId);
    for (const p of PRESETS) pick.appendChild(new Option(p, p));
    const withPreset = document.createElement("button");
    withPreset.type = "button";
    withPreset.className = "complete-preset";
    withPreset.textContent = "Complete";
    withPreset.addEventListener("click", () => complete(s.verificationSessionId, { preset: pick.value }));
    const withSubject = document.createElement("button");
    withSubject.type = "button";
    withSubject.className = "complete-subject";
    withSubject.textContent = "Complete with subject";
    withSubject.addEventListener("click", () => complete(s.verificationSessionId, { subject: subjectFromFields() }));
    td.append(pick, " ", withPreset, " ", withSubject);
  }, "No hosted session is waiting.");
}

const requestKey = (r) => [r.requestId || "", r.time, r.method, r.path, r.status].join(" ");

function drawJournal(requests) {
  const rows = requests.slice().reverse(); // newest first
  fill("journal", rows, (tr, r) => {
    tr.dataset.status = r.status;
    tr.dataset.operation = r.operation || "";
    tr.dataset.account = r.account || "";
    cell(tr, time(r.time));
    const op = cell(tr, "");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    const name = r.operation || (r.path.startsWith("/verification/") ? "hosted page" : r.path === "/_mock/webhook-sink" ? "webhook sink" : "");
    open.textContent = name ? `${name} ` : "";
    open.append(Object.assign(document.createElement("small"), { textContent: `${r.method} ${r.path}` }));
    open.setAttribute("aria-label", `Show request ${r.method} ${r.path} at ${time(r.time)}`);
    open.addEventListener("click", () => { openRequest = requestKey(r); showRequest(r); });
    op.appendChild(open);
    cell(tr, r.account);
    // A cut response never reached its client whole: its status is only the one the mock tried.
    cell(tr, r.cut ? `cut (${r.status})` : r.status, "status " + (r.cut ? "bad" : statusClass(r.status)));
    cell(tr, r.durationMs === undefined ? "" : r.durationMs.toFixed(1) + " ms");
    const why = [r.cut ? "response cut: the client did not get it whole" : "", r.detail, r.warning ? "⚠ " + r.warning : ""].filter(Boolean).join(" · ");
    cell(tr, why, "why");
    if (openRequest === requestKey(r)) { tr.className = "open"; showRequest(r); }
  }, "No request yet.");
}

function showRequest(r) {
  $("journal-detail").hidden = false;
  const parts = [JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => k !== "requestBody" && k !== "responseBody")), null, 2)];
  for (const k of ["requestBody", "responseBody"]) {
    if (r[k] === undefined || r[k] === "") continue;
    let body = r[k];
    if (typeof body === "string") { try { body = JSON.parse(body); } catch (_) { /* shown as it is */ } }
    parts.push(`${k}:\n` + (typeof body === "string" ? body : JSON.stringify(body, null, 2)));
  }
  $("journal-detail-body").textContent = parts.join("\n\n");
}

function resultText(r) {
  if (!r) return "";
  const reasons = (r.failedReasons || []).map((f) => (typeof f === "string" ? f : f.reason || JSON.stringify(f)));
  const bits = [r.verificationResult];
  if (r.estimatedAge !== undefined && r.estimatedAge !== null) bits.push("age " + r.estimatedAge);
  if (reasons.length) bits.push(reasons.join(", "));
  return bits.join(" · ");
}

function drawSessions(sessions) {
  fill("sessions", sessions.slice().reverse(), (tr, s) => {
    tr.dataset.session = s.verificationSessionId;
    idCell(tr, s.verificationSessionId);
    cell(tr, s.account);
    cell(tr, s.hosted ? "hosted" : "API");
    cell(tr, s.state);
    cell(tr, resultText(s.result), "result");
    cell(tr, time(s.created));
  }, "No session.");
}

function drawVerifications(vs) {
  fill("verifications", vs, (tr, v) => {
    cell(tr, v.account);
    cell(tr, v.name);
    cell(tr, v.verificationId, "id");
    cell(tr, time(v.created));
  }, "No verification.");
}

function drawWebhooks(attempts) {
  fill("webhooks", attempts.slice().reverse(), (tr, a) => {
    tr.dataset.session = a.verificationSessionId;
    tr.dataset.delivered = a.delivered;
    cell(tr, time(a.time));
    idCell(tr, a.verificationSessionId);
    cell(tr, a.url);
    cell(tr, a.attempt);
    cell(tr, a.delivered ? `delivered (${a.status})` : `failed: ${a.error || a.status}`, a.delivered ? "ok" : "bad");
    cell(tr, a.durationMs === undefined ? "" : a.durationMs.toFixed(1) + " ms");
  }, "No webhook attempt.");
}

function describeSubject(q) {
  const what = q.preset ? q.preset : "";
  const subj = q.subject ? JSON.stringify(q.subject) : "";
  const aim = q.verificationId ? ` for verification ${q.verificationId}` : q.verificationSessionId ? ` for session ${q.verificationSessionId}` : "";
  return [what, subj].filter(Boolean).join(" ") + aim;
}

function drawList(id, items, text, empty, remove) {
  const ul = $(id);
  ul.replaceChildren();
  items.forEach((item, i) => {
    const li = document.createElement("li");
    li.textContent = text(item) + " ";
    if (remove) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Remove";
      b.setAttribute("aria-label", "Remove " + text(item));
      b.addEventListener("click", () => remove(i));
      li.appendChild(b);
    }
    ul.appendChild(li);
  });
  if (items.length === 0) ul.appendChild(Object.assign(document.createElement("li"), { textContent: empty, className: "empty" }));
}

function describeFault(f) {
  const bits = [f.operation];
  if (f.status) bits.push("answers " + f.status);
  if (f.latency) bits.push("waits " + f.latency);
  if (f.count) bits.push(`next ${f.count} calls`);
  if (f.fraction) bits.push(`${Math.round(f.fraction * 100)}% of calls`);
  const when = Object.entries(f.requestHeaders || {}).map(([k, v]) => `${k}: ${v}`);
  if (when.length) bits.push("only calls with " + when.join(", "));
  return bits.join(", ");
}

// removeFault removes one fault by its id; the others, the page's or anyone's, stay.
function removeFault(i) {
  return act("Remove fault", () => api("DELETE", "/_mock/faults/" + faults[i].id));
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [clock, journal, holdings, hooks, subjects, fl, tenants] = await Promise.all([
      api("GET", "/_mock/clock"), api("GET", "/_mock/requests"), api("GET", "/_mock/sessions"),
      api("GET", "/_mock/webhooks"), api("GET", "/_mock/subjects"), api("GET", "/_mock/faults"), api("GET", "/_mock/tenants"),
    ]);
    $("token-form").hidden = true;
    faults = fl.faults || [];
    const requests = journal.requests || [];
    accounts(tenants.tenants || [], requests, holdings.sessions, holdings.verifications);
    drawClock(clock);
    drawWaiting(holdings.sessions.filter(mine));
    drawJournal(requests.filter(mine));
    drawSessions(holdings.sessions.filter(mine));
    drawVerifications(holdings.verifications.filter(mine));
    drawWebhooks((hooks.attempts || []).filter(mine));
    drawList("subjects", [...(subjects.queued || []), ...(subjects.aimed || [])], describeSubject, "No subject queued.");
    drawList("faults", faults, describeFault, "No fault.", removeFault);
    document.body.dataset.updated = clock.now;
    if ($("status").dataset.error) { say(""); delete $("status").dataset.error; }
  } catch (e) {
    say(e.status === 401 ? "The control token is missing or wrong." : "Cannot read the mock: " + e.message);
    $("status").dataset.error = "yes";
  } finally {
    refreshing = false;
  }
}

function onSubmit(id, what, fn) {
  $(id).addEventListener("submit", (ev) => { ev.preventDefault(); act(what, fn); });
}

function start() {
  for (const p of PRESETS) $("subject-preset").appendChild(new Option(p, p));
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    refresh();
  });
  onSubmit("clock-set", "Set clock", () => api("POST", "/_mock/clock", { set: $("clock-set-value").value.trim() }));
  onSubmit("clock-advance", "Advance clock", () => api("POST", "/_mock/clock", { advance: $("clock-advance-value").value.trim() }));
  $("clock-freeze").addEventListener("click", () => act("Freeze clock", () => api("POST", "/_mock/clock", { freeze: true })));
  $("clock-unfreeze").addEventListener("click", () => act("Unfreeze clock", () => api("POST", "/_mock/clock", { freeze: false })));
  onSubmit("subject-add", "Queue subject", () => api("POST", "/_mock/subjects", { preset: $("subject-preset").value }));
  $("subject-clear").addEventListener("click", () => act("Clear queue", () => api("DELETE", "/_mock/subjects")));
  onSubmit("fault-add", "Add fault", () => {
    const f = { operation: $("fault-op").value.trim() };
    if ($("fault-status").value) f.status = Number($("fault-status").value);
    if ($("fault-latency").value) f.latency = $("fault-latency").value.trim();
    if ($("fault-count").value) f.count = Number($("fault-count").value);
    if ($("fault-fraction").value) f.fraction = Number($("fault-fraction").value);
    return api("POST", "/_mock/faults", f);
  });
  $("filter").addEventListener("change", refresh);
  $("journal-detail-close").addEventListener("click", () => { openRequest = null; $("journal-detail").hidden = true; refresh(); });
  refresh();
  setInterval(refresh, POLL_MS);
}

start();
