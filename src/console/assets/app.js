// aslx console: the pages. Every call is a Step Functions (or CloudWatch Logs) API operation
// through POST /console/api; nothing is computed that the engine does not record. Text from
// definitions, inputs and histories reaches the page only through textContent.
"use strict";
(function () {
  const CSRF = (document.querySelector("meta[name=aslx-csrf]") || {}).content || "";
  const AUTH = ((document.querySelector("meta[name=aslx-auth]") || {}).content || "") === "on";
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  const ROLE = "arn:aws:iam::111111111111:role/aslx-console";
  let generation = 0; // bumped by each page change; pollers of an old page stop

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  // One API operation. Network failures throw ApiError with status 0.
  async function api(op, body, ns) {
    let r;
    try {
      r = await fetch("/console/api", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": (ns || "AWSStepFunctions.") + op, "X-Aslx-Csrf": CSRF },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      throw new ApiError(0, "NetworkError", "aslx serve cannot be reached: " + e.message);
    }
    const text = await r.text();
    let j = {};
    try { j = text ? JSON.parse(text) : {}; } catch (e) { j = { message: text }; }
    if (!r.ok) {
      if (r.status === 401 && AUTH) { location.reload(); }
      throw new ApiError(r.status, String(j.__type || "Error").split("#").pop(), j.message || j.Message || ("HTTP " + r.status));
    }
    return j;
  }
  const logsApi = (op, body) => api(op, body, "Logs_20140328.");

  async function all(op, body, member) {
    let out = [], token;
    for (let i = 0; i < 100; i++) {
      const r = await api(op, Object.assign({}, body, token ? { nextToken: token } : {}));
      out = out.concat(r[member] || []);
      token = r.nextToken;
      if (!token) break;
    }
    return out;
  }

  // h("div", {class: "x", onclick: f}, "text", child...): elements with text, never markup.
  function h(tag, props) {
    const e = document.createElement(tag);
    for (const k in props || {}) {
      const v = props[k];
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "value") e.value = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (let i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(e, ...children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach((x) => add(e, x));
      else e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  const pretty = (s) => { try { return JSON.stringify(typeof s === "string" ? JSON.parse(s) : s, null, 2); } catch (e) { return String(s); } };
  const date = (t) => (t === undefined || t === null) ? "" : new Date(typeof t === "number" ? (t > 1e11 ? t : t * 1000) : t).toISOString().replace("T", " ").replace("Z", " UTC");
  const ms = (t) => typeof t === "number" ? (t > 1e11 ? t : t * 1000) : Date.parse(t);
  const dur = (a, b) => { const d = b - a; return isNaN(d) ? "" : d < 1000 ? d.toFixed(0) + " ms" : (d / 1000).toFixed(3) + " s"; };
  const badge = (s) => h("span", { class: "badge " + s, text: s });
  const link = (href, text) => h("a", { href: href, text: text });
  const enc = encodeURIComponent;
  const banner = (kind, title, text) => h("div", { class: "banner " + kind, role: kind === "err" ? "alert" : "status" }, h("strong", { text: title }), text ? [" ", text] : null);

  function show(...nodes) {
    main.textContent = "";
    add(main, nodes);
  }
  function failPage(title, e) {
    show(h("h1", { text: title }), banner("err", e.code || "Error", e.message), h("p", {}, link("#/", "Back to state machines")));
  }

  // --- live connection -------------------------------------------------------------------
  const connection = {
    lost(attempt, e) {
      live.hidden = false;
      live.dataset.state = "reconnecting";
      live.textContent = "Connection to aslx serve lost (" + e.message + "); reconnecting, attempt " + attempt + "\u2026";
    },
    ok() { if (!live.hidden) { live.hidden = true; } live.dataset.state = "connected"; },
  };
  // Runs `step` every second while it returns true and the page is the same; on network
  // failure retries with backoff (1, 2, 4, 5 s), saying so.
  function poll(step) {
    const gen = generation;
    let attempt = 0;
    const tick = async () => {
      if (gen !== generation) return;
      let again = true;
      try { again = await step(); attempt = 0; connection.ok(); }
      catch (e) {
        if (e.status !== 0) { connection.ok(); throw e; }
        attempt++;
        connection.lost(attempt, e);
      }
      if (again && gen === generation) setTimeout(tick, attempt ? Math.min(5000, 1000 * Math.pow(2, attempt - 1)) : 1000);
    };
    setTimeout(tick, 1000);
  }

  // --- state machines ----------------------------------------------------------------------
  async function machinesPage() {
    const list = await all("ListStateMachines", { maxResults: 1000 }, "stateMachines");
    const infos = await Promise.all(list.slice(0, 100).map((m) => api("DescribeStateMachine", { stateMachineArn: m.stateMachineArn }).catch(() => ({}))));
    const rows = list.map((m, i) => h("tr", {},
      h("td", {}, link("#/machine/" + enc(m.stateMachineArn), m.name)),
      h("td", { text: m.type }),
      h("td", { text: date(m.creationDate) }),
      h("td", { text: (infos[i] && infos[i].revisionId) || "" })));
    show(h("div", { class: "row" }, h("h1", { class: "grow", text: "State machines (" + list.length + ")" }),
      h("button", { class: "primary", onclick: () => { location.hash = "#/create"; } }, "Create state machine")),
      h("div", { class: "panel" }, list.length ? h("table", { id: "machines" },
        h("thead", {}, h("tr", {}, h("th", { text: "Name" }), h("th", { text: "Type" }), h("th", { text: "Creation date" }), h("th", { text: "Revision" }))),
        h("tbody", {}, rows)) : h("p", { class: "muted", text: "No state machines yet." })));
  }

  // The create / edit form. `m` is the DescribeStateMachine answer when editing.
  function editorPage(m) {
    const editing = !!m;
    const name = h("input", { id: "sm-name", value: editing ? m.name : "", disabled: editing, "aria-describedby": "name-help" });
    const type = h("select", { id: "sm-type", disabled: editing }, h("option", { value: "STANDARD", text: "Standard" }), h("option", { value: "EXPRESS", text: "Express" }));
    if (editing) type.value = m.type;
    const defText = h("textarea", { id: "sm-definition", class: "def", spellcheck: "false", value: editing ? pretty(m.definition) : "" });
    const file = h("input", { type: "file", id: "sm-file", accept: ".json,.asl.json,application/json" });
    const lc = (m && m.loggingConfiguration) || {};
    const logLevel = h("select", { id: "sm-log-level" }, ["OFF", "ALL", "ERROR", "FATAL"].map((l) => h("option", { value: l, text: l })));
    logLevel.value = lc.level || "OFF";
    const oldGroup = ((lc.destinations || [])[0] || {}).cloudWatchLogsLogGroup;
    const logGroup = h("input", { id: "sm-log-group", value: oldGroup ? oldGroup.logGroupArn.replace(/^arn:aws:logs:[^:]*:[^:]*:log-group:/, "").replace(/:\*$/, "") : "" });
    const findings = h("div", { id: "findings", "aria-live": "polite" });
    const preview = h("div", { class: "graphbox", id: "preview" });
    let timer = null;
    const redraw = () => {
      let def;
      try { def = JSON.parse(defText.value); } catch (e) { return; }
      try { AslGraph.render(preview, def, {}); } catch (e) { preview.textContent = "Cannot draw: " + e.message; }
    };
    defText.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(redraw, 300); });
    file.addEventListener("change", () => {
      const f = file.files[0];
      if (f) f.text().then((t) => { defText.value = t; redraw(); });
    });
    const showFindings = (title, list, extra) => {
      findings.textContent = "";
      add(findings, banner(list.length || extra ? "err" : "ok", title, extra || ""));
      if (list.length) add(findings, h("ul", { class: "findings" }, list.map((d) => h("li", {},
        badge(d.severity || "ERROR"), " ", h("code", { text: d.location || "/" }), " ", h("strong", { text: d.code || "" }), ": ", d.message || ""))));
    };
    const validate = async () => {
      findings.textContent = "";
      let jsonError = "";
      try { JSON.parse(defText.value); } catch (e) { jsonError = "The definition is not JSON: " + e.message; }
      const r = await api("ValidateStateMachineDefinition", { definition: defText.value, type: type.value });
      const diags = r.diagnostics || [];
      if (r.result === "OK" && !jsonError) showFindings("The definition is valid.", diags.filter((d) => d.severity !== "ERROR"));
      else showFindings("The definition has errors.", diags, jsonError);
      return r.result === "OK" && !jsonError;
    };
    const submit = async (ev) => {
      ev.preventDefault();
      try {
        if (!(await validate())) return;
        const logging = logLevel.value === "OFF" ? { level: "OFF" } : { level: logLevel.value, includeExecutionData: true,
          destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:" + logGroup.value + ":*" } }] };
        if (editing) {
          await api("UpdateStateMachine", { stateMachineArn: m.stateMachineArn, definition: defText.value, loggingConfiguration: logging });
          location.hash = "#/machine/" + enc(m.stateMachineArn);
        } else {
          const r = await api("CreateStateMachine", { name: name.value, definition: defText.value, type: type.value, roleArn: ROLE, loggingConfiguration: logging });
          location.hash = "#/machine/" + enc(r.stateMachineArn);
        }
      } catch (e) { showFindings(e.code, [], e.message); }
    };
    show(h("h1", { text: editing ? "Edit " + m.name : "Create state machine" }),
      h("form", { id: "editor", onsubmit: submit },
        h("div", { class: "panel" },
          h("label", { for: "sm-name", text: "Name" }), name,
          h("p", { id: "name-help", class: "muted", text: "1–80 letters, digits, - and _." }),
          h("label", { for: "sm-type", text: "Type" }), type,
          h("label", { for: "sm-log-level", text: "Logging level (the execution log; EXPRESS executions are seen through it, with aslx serve --log-dir)" }), logLevel,
          h("label", { for: "sm-log-group", text: "Log group name" }), logGroup),
        h("div", { class: "panel" },
          h("label", { for: "sm-definition", text: "Definition (Amazon States Language, JSON)" }), defText,
          h("label", { for: "sm-file", text: "Or upload a file" }), file,
          h("div", { class: "row", style: "margin-top:10px" },
            h("button", { type: "button", id: "validate", onclick: () => validate().catch((e) => showFindings(e.code, [], e.message)) }, "Validate"),
            h("button", { type: "submit", class: "primary", id: "save" }, editing ? "Save" : "Create state machine")),
          findings),
        h("div", { class: "panel" }, h("h2", { text: "Preview" }), preview)));
    if (editing) redraw();
  }

  function graphPanel(def, fileName, onSelect) {
    const box = h("div", { class: "graphbox", id: "graph" });
    const bar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Graph" });
    const state = { view: null, dir: "TB" };
    const draw = (dir) => {
      state.dir = dir || state.dir;
      state.view = AslGraph.render(box, def, { direction: state.dir, onSelect: onSelect });
      window.aslxView = state.view;
      if (state.onDraw) state.onDraw(state.view);
    };
    AslGraph.toolbar(bar, () => state.view, draw, fileName);
    state.el = h("div", {}, bar, box);
    state.draw = draw;
    return state;
  }

  function tabs(names, panels) {
    const bar = h("div", { class: "tabs", role: "tablist" });
    const buttons = names.map((n, i) => h("button", { type: "button", role: "tab", id: "tab-" + n.toLowerCase().replace(/\W+/g, "-"), "aria-selected": i === 0 ? "true" : "false",
      onclick: () => select(i) }, n));
    const select = (i) => {
      buttons.forEach((b, j) => b.setAttribute("aria-selected", i === j ? "true" : "false"));
      panels.forEach((p, j) => { p.hidden = i !== j; });
      if (panels[i].onshow) panels[i].onshow();
    };
    add(bar, buttons);
    panels.forEach((p, j) => { p.setAttribute("role", "tabpanel"); p.hidden = j !== 0; });
    return h("div", {}, bar, panels);
  }

  function logGroupOf(m) {
    const d = (((m.loggingConfiguration || {}).destinations || [])[0] || {}).cloudWatchLogsLogGroup;
    return d ? d.logGroupArn.replace(/^arn:aws:logs:[^:]*:[^:]*:log-group:/, "").replace(/:\*$/, "") : null;
  }

  // EXPRESS executions of a machine, from its log group: {arn: [records]}. Other machines
  // may log to the same group: only this machine's executions are kept.
  async function expressRecords(m, filter) {
    const group = logGroupOf(m);
    if (!group) return null;
    const mine = m.stateMachineArn.replace(/:stateMachine:([^:]+).*$/, ":express:$1:");
    let events = [], token;
    for (let i = 0; i < 50; i++) {
      const r = await logsApi("FilterLogEvents", Object.assign({ logGroupName: group }, filter ? { filterPattern: '"' + filter + '"' } : {}, token ? { nextToken: token } : {}));
      events = events.concat(r.events || []);
      token = r.nextToken;
      if (!token) break;
    }
    const by = {};
    for (const e of events) {
      let rec; try { rec = JSON.parse(e.message); } catch (x) { continue; }
      if (typeof rec.execution_arn !== "string" || !rec.execution_arn.startsWith(mine)) continue;
      (by[rec.execution_arn] = by[rec.execution_arn] || []).push(rec);
    }
    return by;
  }

  async function machinePage(arn) {
    let m;
    try { m = await api("DescribeStateMachine", { stateMachineArn: arn }); }
    catch (e) { return failPage("State machine not found", e); }
    let def = {};
    try { def = JSON.parse(m.definition); } catch (e) { /* shown as text */ }
    const result = h("div", { id: "start-result", "aria-live": "polite" });
    const startForm = startPanel(m, result);
    const execs = h("div", { id: "executions" }, h("p", { class: "muted", text: "Loading executions\u2026" }));
    const g = graphPanel(def, m.name);
    const defPanel = h("div", {}, g.el, h("details", {}, h("summary", { text: "Definition (JSON)" }), h("pre", { id: "definition-json", text: pretty(m.definition) })));
    defPanel.onshow = () => g.draw();
    show(h("div", { class: "row" }, h("h1", { class: "grow", text: m.name }),
      h("button", { class: "primary", id: "start", onclick: () => { startForm.hidden = !startForm.hidden; if (!startForm.hidden) startForm.querySelector("textarea").focus(); } }, "Start execution"),
      h("button", { id: "edit", onclick: () => { location.hash = "#/edit/" + enc(arn); } }, "Edit"),
      h("button", { class: "danger", id: "delete", onclick: async () => {
        if (!confirm("Delete state machine " + m.name + "?")) return;
        try { await api("DeleteStateMachine", { stateMachineArn: arn }); location.hash = "#/"; } catch (e) { add(result, banner("err", e.code, e.message)); }
      } }, "Delete")),
      h("div", { class: "panel" }, h("dl", { class: "summary" },
        [["ARN", m.stateMachineArn], ["Type", m.type], ["Status", m.status], ["Creation date", date(m.creationDate)], ["Revision", m.revisionId || ""], ["Logging", (m.loggingConfiguration || {}).level || "OFF"]]
          .map(([k, v]) => [h("div", {}, h("dt", { text: k }), h("dd", { text: v }))]))),
      startForm, result,
      h("div", { class: "panel" }, tabs(["Executions", "Graph and definition"], [execs, defPanel])));
    const rows = [];
    if (m.type === "STANDARD") {
      const list = await all("ListExecutions", { stateMachineArn: arn, maxResults: 1000 }, "executions");
      for (const e of list) rows.push([e.executionArn, e.name, e.status, e.startDate, e.stopDate]);
    } else {
      const by = await expressRecords(m).catch(() => null);
      if (!by) {
        execs.textContent = "";
        add(execs, banner("info", "EXPRESS executions are seen through the execution log.", "Set a logging level and log group on this machine (Edit) and start aslx serve with --log-dir DIR; synchronous starts show their outcome at once."));
        return;
      }
      for (const arnE in by) {
        const recs = by[arnE];
        const end = recs.find((r) => /^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(r.type));
        const status = end ? { ExecutionSucceeded: "SUCCEEDED", ExecutionFailed: "FAILED", ExecutionTimedOut: "TIMED_OUT", ExecutionAborted: "ABORTED" }[end.type] : "RUNNING";
        rows.push([arnE, arnE.split(":")[7] || arnE, status, Number(recs[0].event_timestamp), end && Number(end.event_timestamp)]);
      }
    }
    rows.sort((a, b) => ms(b[3]) - ms(a[3]));
    execs.textContent = "";
    add(execs, rows.length ? h("table", { id: "execution-list" },
      h("thead", {}, h("tr", {}, ["Name", "Status", "Started", "End", "Duration"].map((t) => h("th", { text: t })))),
      h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, link("#/execution/" + enc(r[0]), r[1])), h("td", {}, badge(r[2])),
        h("td", { text: date(r[3]) }), h("td", { text: r[4] ? date(r[4]) : "" }), h("td", { text: r[4] ? dur(ms(r[3]), ms(r[4])) : "" })))))
      : h("p", { class: "muted", text: "No executions yet." }));
  }

  function startPanel(m, result) {
    const input = h("textarea", { id: "exec-input", spellcheck: "false", value: "{\n  \"Comment\": \"Insert your JSON here\"\n}", "aria-describedby": "input-check" });
    const check = h("p", { id: "input-check", class: "muted", "aria-live": "polite", text: "Valid JSON." });
    const name = h("input", { id: "exec-name", placeholder: "(generated)" });
    const sync = h("input", { type: "checkbox", id: "exec-sync", checked: m.type === "EXPRESS" });
    const go = h("button", { class: "primary", type: "submit", id: "exec-go" }, "Start execution");
    const recheck = () => {
      try { JSON.parse(input.value); check.textContent = "Valid JSON."; check.className = "muted"; go.disabled = false; }
      catch (e) { check.textContent = "Not JSON: " + e.message; check.className = "error"; go.disabled = true; }
    };
    input.addEventListener("input", recheck);
    const form = h("form", { class: "panel", id: "start-form", hidden: true, onsubmit: async (ev) => {
      ev.preventDefault();
      result.textContent = "";
      const body = { stateMachineArn: m.stateMachineArn, input: input.value };
      if (name.value) body.name = name.value;
      go.disabled = true;
      try {
        if (sync.checked) {
          const r = await api("StartSyncExecution", body);
          add(result, h("div", { class: "panel", id: "sync-result" }, h("h2", {}, "Execution ", badge(r.status)),
            h("p", { class: "muted", text: r.executionArn + " — " + dur(ms(r.startDate), ms(r.stopDate)) }),
            r.error ? banner("err", r.error, r.cause || "") : null,
            r.output !== undefined ? [h("h3", { text: "Output" }), h("pre", { text: pretty(r.output) })] : null));
        } else {
          const r = await api("StartExecution", body);
          location.hash = "#/execution/" + enc(r.executionArn);
        }
      } catch (e) { add(result, banner("err", e.code, e.message)); }
      finally { go.disabled = false; }
    } },
    h("h2", { text: "Start execution" }),
    h("label", { for: "exec-name", text: "Name (optional)" }), name,
    h("label", { for: "exec-input", text: "Input (JSON)" }), input, check,
    h("label", { for: "exec-sync" }, sync, " Synchronous (StartSyncExecution: EXPRESS only, the outcome shown at once)"),
    h("div", { class: "row", style: "margin-top:8px" }, go));
    return form;
  }

  // --- executions ---------------------------------------------------------------------------
  // An event of GetExecutionHistory or of the log, as {id, prev, type, ts, d}.
  function fromApi(e) {
    const key = Object.keys(e).find((k) => k.endsWith("EventDetails"));
    return { id: e.id, prev: e.previousEventId || 0, type: e.type, ts: ms(e.timestamp), d: key ? e[key] : {} };
  }
  function fromLog(r) {
    return { id: Number(r.id), prev: Number(r.previous_event_id || 0), type: r.type, ts: Number(r.event_timestamp), d: r.details || {} };
  }

  const FAILURE = /(Failed|TimedOut)$/;
  const CLOSE = /^(Map|Parallel)State(Succeeded|Failed|Aborted)$/;
  const OPEN = /^(Map|Parallel)StateEntered$/;
  const isFailure = (t) => FAILURE.test(t) && !/^Execution/.test(t) && !/^MapIteration/.test(t);

  // Owner state and Map-iteration context of every event (see the module note of graph.js).
  function analyse(events) {
    const byId = {};
    for (const e of events) byId[e.id] = e;
    for (const e of events) {
      const p = byId[e.prev];
      const t = e.type;
      if (/StateEntered$|StateExited$/.test(t) || /^MapIteration/.test(t)) e.owner = e.d.name;
      else if (/^(Map|Parallel)State/.test(t)) {
        let depth = 0, a = p;
        while (a) {
          if (CLOSE.test(a.type)) depth++;
          else if (OPEN.test(a.type)) { if (depth === 0) { e.owner = a.d.name; break; } depth--; }
          a = byId[a.prev];
        }
      } else e.owner = p && !/StateExited$/.test(p.type) ? p.owner : undefined;
      let ctx = p ? p.ctx : [];
      if (t === "MapIterationStarted") ctx = ctx.concat([[e.d.name, e.d.index]]);
      else if (/^MapIteration(Succeeded|Failed|Aborted)$/.test(t)) {
        const i = ctx.map((f) => f[0]).lastIndexOf(e.d.name);
        if (i >= 0) ctx = ctx.slice(0, i);
      }
      e.ctx = ctx;
      e.depth = ctx.length + (p ? (p.pdepth || 0) : 0);
    }
  }

  function included(e, picks) {
    return e.ctx.every((f) => picks[f[0]] === undefined || picks[f[0]] === f[1]);
  }

  // Status of each state (and one row per state entry) for the execution's `status`.
  function statuses(events, types, status, picks) {
    const st = {}, rows = [];
    const start = events.length ? events[0].ts : 0;
    for (const e of events) {
      if (!included(e, picks) || !e.owner) continue;
      const n = e.owner;
      if (/StateEntered$/.test(e.type)) {
        st[n] = { entered: true, exited: false, failed: false, errors: [] };
        rows.push({ name: n, type: types[n] || e.type.replace("StateEntered", ""), start: e.ts, after: e.ts - start, depth: e.ctx.length, entered: e, s: st[n], resource: "", iteration: e.ctx.map((f) => f[0] + " #" + f[1]).join(" / ") });
        continue;
      }
      const s = st[n];
      if (!s) continue;
      if (/StateExited$/.test(e.type)) { s.exited = true; s.exit = e; continue; }
      if (isFailure(e.type)) { s.failed = true; s.errors.push(e); }
      if (e.d.resource && rows.length) { for (let i = rows.length - 1; i >= 0; i--) if (rows[i].name === n) { rows[i].resource = e.d.resourceType ? e.d.resourceType + ":" + e.d.resource : e.d.resource; break; } }
    }
    const verdict = (n, s) => {
      if (s.exited) return s.failed ? "caught" : "succeeded";
      if (types[n] === "Fail") return "failed";
      if (status === "RUNNING") return "inprogress";
      if (s.failed) return "failed";
      return status === "SUCCEEDED" ? "succeeded" : "cancelled";
    };
    const out = {};
    for (const n in st) out[n] = verdict(n, st[n]);
    for (const r of rows) { r.status = verdict(r.name, r.s); r.end = r.s.exit ? r.s.exit.ts : null; }
    // Rows keep their own entry's outcome: a state entered again later was exited before.
    for (let i = 0; i < rows.length; i++) {
      const later = rows.slice(i + 1).find((r) => r.name === rows[i].name);
      if (later) { rows[i].status = "succeeded"; }
    }
    return { states: out, rows: rows };
  }

  function stateTypes(def, out) {
    out = out || {};
    if (!def || typeof def.States !== "object") return out;
    for (const n in def.States) {
      const s = def.States[n] || {};
      out[n] = s.Type;
      if (Array.isArray(s.Branches)) s.Branches.forEach((b) => stateTypes(b, out));
      if (s.ItemProcessor || s.Iterator) stateTypes(s.ItemProcessor || s.Iterator, out);
    }
    return out;
  }
  function stateDef(def, name) {
    if (!def || typeof def.States !== "object") return null;
    if (def.States[name]) return def.States[name];
    for (const n in def.States) {
      const s = def.States[n] || {};
      for (const b of (s.Branches || []).concat(s.ItemProcessor || s.Iterator ? [s.ItemProcessor || s.Iterator] : [])) {
        const f = stateDef(b, name);
        if (f) return f;
      }
    }
    return null;
  }

  // Loads an execution: description, definition and normalized events.
  async function loadExecution(arn) {
    if (/:express:/.test(arn)) {
      const parts = arn.split(":");
      const machineArn = parts.slice(0, 5).join(":") + ":stateMachine:" + parts[6];
      const m = await api("DescribeStateMachine", { stateMachineArn: machineArn });
      const by = await expressRecords(m, arn);
      const recs = by && by[arn];
      if (!recs || !recs.length) throw new ApiError(400, "ExecutionDoesNotExist", "No EXPRESS execution " + arn + " in the log of " + m.name + (by ? "" : " (it has no log group: see the machine's page)") + ".");
      const events = recs.map(fromLog).sort((a, b) => a.id - b.id);
      const end = events.find((e) => /^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.type));
      const started = events.find((e) => e.type === "ExecutionStarted") || { d: {}, ts: events[0].ts };
      const desc = { executionArn: arn, name: parts[7], stateMachineArn: machineArn, startDate: started.ts, input: started.d.input,
        status: end ? { ExecutionSucceeded: "SUCCEEDED", ExecutionFailed: "FAILED", ExecutionTimedOut: "TIMED_OUT", ExecutionAborted: "ABORTED" }[end.type] : "RUNNING" };
      if (end) { desc.stopDate = end.ts; desc.output = end.d.output; desc.error = end.d.error; desc.cause = end.d.cause; }
      return { desc: desc, definition: m.definition, events: events, express: true };
    }
    const [desc, forExec] = await Promise.all([
      api("DescribeExecution", { executionArn: arn }),
      api("DescribeStateMachineForExecution", { executionArn: arn }),
    ]);
    let events = [], token;
    for (let i = 0; i < 1000; i++) {
      const r = await api("GetExecutionHistory", Object.assign({ executionArn: arn, maxResults: 1000, includeExecutionData: true }, token ? { nextToken: token } : {}));
      events = events.concat((r.events || []).map(fromApi));
      token = r.nextToken;
      if (!token) break;
    }
    return { desc: desc, definition: forExec.definition, events: events, express: false };
  }

  async function executionPage(arn) {
    let x;
    try { x = await loadExecution(arn); }
    catch (e) {
      if (e.status === 0) return failPage("aslx serve cannot be reached", e);
      return failPage("Execution not found", { code: e.code, message: "There is no execution " + arn + " here: " + e.message });
    }
    let def = {};
    try { def = JSON.parse(x.definition); } catch (e) { /* drawn empty */ }
    const types = stateTypes(def);
    const picks = {};
    let selected = null;
    const summary = h("div", { class: "panel", id: "summary" });
    const errorBox = h("div", { id: "error-banner" });
    const details = h("div", { class: "details panel", id: "step-details" }, h("p", { class: "muted", text: "Select a state to see its input, output and events." }));
    const picker = h("div", { class: "row", id: "iterations" });
    const g = graphPanel(def, x.desc.name, (name) => { selected = name; g.view.select(name); renderDetails(); });
    const legend = h("div", { class: "legend", "aria-label": "Legend" },
      [["In progress", "#53C9ED"], ["Succeeded", "#2BD62E"], ["Failed", "#DE322F"], ["Caught error", "#FFA500"], ["Cancelled", "#DDDDDD"], ["Not reached", "#fff"]]
        .map(([t, c]) => h("span", {}, h("i", { style: "background:" + c }), t)));
    const graphTab = h("div", {}, legend, picker, h("div", { class: "graphwrap" }, h("div", { style: "flex:1;min-width:0" }, g.el), details));
    const tableTab = h("div", { id: "table-view" });
    const eventsTab = h("div", { id: "events-view" });
    const tokens = h("div", { id: "tokens" });
    let result = { states: {}, rows: [] };

    const renderSummary = () => {
      const d = x.desc;
      summary.textContent = "";
      const end = d.stopDate ? ms(d.stopDate) : Date.now();
      add(summary, h("dl", { class: "summary" },
        [["Execution status", badge(d.status)], ["Execution ARN", d.executionArn], ["State machine", link("#/machine/" + enc(d.stateMachineArn), d.stateMachineArn.split(":").pop())],
          ["Start time", date(d.startDate)], ["End time", d.stopDate ? date(d.stopDate) : "-"], ["Duration", dur(ms(d.startDate), end)],
          ["State transitions", String(x.events.filter((e) => /StateEntered$/.test(e.type)).length)]]
          .map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", {}, v)))),
        h("div", { class: "row", style: "margin-top:12px" },
          h("details", { class: "grow" }, h("summary", { text: "Input" }), h("pre", { id: "exec-input-view", text: pretty(d.input) })),
          h("details", { class: "grow", open: d.status === "SUCCEEDED" }, h("summary", { text: "Output" }), h("pre", { id: "exec-output", text: d.output !== undefined ? pretty(d.output) : "-" }))));
      errorBox.textContent = "";
      if (d.error || d.cause) add(errorBox, banner("err", d.error || "Error", d.cause || ""));
    };

    const renderPicker = () => {
      const maps = {};
      for (const e of x.events) if (e.type === "MapIterationStarted") (maps[e.d.name] = maps[e.d.name] || new Set()).add(e.d.index);
      const failedIt = {};
      for (const e of x.events) if (e.type === "MapIterationFailed" && failedIt[e.d.name] === undefined) failedIt[e.d.name] = e.d.index;
      picker.textContent = "";
      for (const name in maps) {
        if (picks[name] === undefined) picks[name] = failedIt[name] !== undefined ? failedIt[name] : 0;
        const id = "iter-" + name.replace(/\W+/g, "_");
        const sel = h("select", { id: id, onchange: () => { picks[name] = Number(sel.value); refresh(); } },
          Array.from(maps[name]).sort((a, b) => a - b).map((i) => h("option", { value: i, text: "Iteration #" + i + (failedIt[name] === i ? " (failed)" : "") })));
        sel.value = String(picks[name]);
        add(picker, h("label", { for: id }, "Map " + name + ": "), sel);
      }
    };

    const renderTable = () => {
      const total = Math.max(1, (x.desc.stopDate ? ms(x.desc.stopDate) : Date.now()) - ms(x.desc.startDate));
      const filter = h("select", { id: "table-filter", "aria-label": "Filter by status", onchange: () => renderRows() },
        ["all", "succeeded", "failed", "caught", "inprogress", "cancelled"].map((s) => h("option", { value: s, text: s === "all" ? "All statuses" : s })));
      const body = h("tbody", {});
      const renderRows = () => {
        body.textContent = "";
        for (const r of result.rows) {
          if (filter.value !== "all" && r.status !== filter.value) continue;
          const endT = r.end || (x.desc.stopDate ? ms(x.desc.stopDate) : Date.now());
          const left = Math.min(100, 100 * r.after / total), width = Math.max(0.5, Math.min(100 - left, 100 * (endT - r.start) / total));
          add(body, h("tr", { "data-state": r.name, "data-status": r.status },
            h("td", { style: "padding-left:" + (10 + 18 * r.depth) + "px" }, h("button", { type: "button", class: "linkish", text: r.name, onclick: () => { selected = r.name; renderDetails(); } }),
              r.iteration ? h("span", { class: "muted", text: " (" + r.iteration + ")" }) : null),
            h("td", { text: r.type }), h("td", {}, badge(r.status)), h("td", { text: r.resource || "-" }),
            h("td", { text: r.after + " ms" }), h("td", { text: r.end ? dur(r.start, r.end) : "-" }),
            h("td", {}, h("div", { class: "timeline" }, h("div", { class: "bar " + r.status, style: "left:" + left + "%;width:" + width + "%" })))));
        }
      };
      tableTab.textContent = "";
      add(tableTab, h("div", { class: "row" }, filter), h("table", {},
        h("thead", {}, h("tr", {}, ["Name", "Type", "Status", "Resource", "Started after", "Duration", "Timeline"].map((t) => h("th", { text: t })))), body));
      renderRows();
    };

    let eventLimit = 200;
    const eventFilter = h("select", { id: "event-filter", "aria-label": "Filter events", onchange: () => renderEvents() },
      [["all", "All events"], ["failures", "Failures"], ["states", "State entered and exited"], ["tasks", "Tasks"]].map(([v, t]) => h("option", { value: v, text: t })));
    const eventSearch = h("input", { id: "event-search", placeholder: "Search events", "aria-label": "Search events", oninput: () => renderEvents() });
    const renderEvents = () => {
      const f = eventFilter.value, q = eventSearch.value.toLowerCase();
      const list = x.events.filter((e) => (f === "all" || (f === "failures" && FAILURE.test(e.type)) || (f === "states" && /State(Entered|Exited)$/.test(e.type)) ||
        (f === "tasks" && /^(Task|Lambda|Activity)/.test(e.type))) && (!q || (e.type + " " + (e.owner || "") + " " + JSON.stringify(e.d)).toLowerCase().includes(q)));
      eventsTab.textContent = "";
      const t0 = x.events.length ? x.events[0].ts : 0;
      add(eventsTab, h("div", { class: "row" }, eventFilter, eventSearch, h("span", { class: "muted", text: list.length + " events" })),
        h("table", {}, h("thead", {}, h("tr", {}, ["ID", "Type", "Step", "Elapsed", "Details"].map((t) => h("th", { text: t })))),
          h("tbody", {}, list.slice(0, eventLimit).map((e) => h("tr", { class: FAILURE.test(e.type) ? "ev-failed" : /Succeeded$/.test(e.type) ? "ev-succeeded" : "" },
            h("td", { text: e.id }), h("td", { text: e.type }), h("td", { text: e.owner || "" }), h("td", { text: (e.ts - t0) + " ms" }),
            h("td", {}, h("details", {}, h("summary", { text: "Details" }), h("pre", { text: JSON.stringify(e.d, null, 2) }))))))),
        list.length > eventLimit ? h("button", { onclick: () => { eventLimit += 200; renderEvents(); } }, "Show more") : null);
    };

    const renderDetails = () => {
      if (!selected) return;
      const s = stateDef(def, selected) || {};
      const mine = x.events.filter((e) => e.owner === selected && included(e, picks));
      const entered = mine.filter((e) => /StateEntered$/.test(e.type)).pop();
      const exited = mine.filter((e) => /StateExited$/.test(e.type)).pop();
      const scheduled = mine.filter((e) => /Scheduled$/.test(e.type)).pop();
      const succeeded = mine.filter((e) => /^(Task|LambdaFunction|Activity)Succeeded$/.test(e.type)).pop();
      const failures = mine.filter((e) => isFailure(e.type));
      const flow = [["InputPath", s.InputPath], ["Parameters", s.Parameters || s.Arguments], ["ResultSelector", s.ResultSelector], ["ResultPath", s.ResultPath], ["OutputPath", s.OutputPath || s.Output]]
        .filter((f) => f[1] !== undefined);
      details.textContent = "";
      add(details, h("h2", {}, selected, " ", badge(result.states[selected] || "notreached")),
        h("p", { class: "muted", text: (s.Type || "") + (s.Resource ? " \u2014 " + s.Resource : "") }),
        h("h3", { text: "Input" }), h("pre", { id: "step-input", text: entered ? pretty(entered.d.input) : "-" }),
        flow.length ? [h("h3", { text: "Data flow" }), h("ol", {}, flow.map(([k, v]) => h("li", {}, h("strong", { text: k + ": " }), h("code", { text: typeof v === "string" ? v : JSON.stringify(v) }))))] : null,
        scheduled && scheduled.d.parameters ? [h("h3", { text: "Task parameters (after Parameters)" }), h("pre", { text: pretty(scheduled.d.parameters) })] : null,
        succeeded && succeeded.d.output ? [h("h3", { text: "Task result (before ResultSelector)" }), h("pre", { text: pretty(succeeded.d.output) })] : null,
        h("h3", { text: "Output" }), h("pre", { id: "step-output", text: exited ? pretty(exited.d.output) : "-" }),
        failures.length ? [h("h3", { text: "Errors and retries (" + failures.length + " attempt" + (failures.length > 1 ? "s" : "") + " failed)" }),
          h("ul", {}, failures.map((f) => h("li", {}, h("strong", { text: f.d.error || f.type }), " ", f.d.cause || "")))] : null,
        h("details", {}, h("summary", { text: "Definition of this state" }), h("pre", { text: JSON.stringify(s, null, 2) })),
        h("details", {}, h("summary", { text: "Events (" + mine.length + ")" }), h("ul", {}, mine.map((e) => h("li", { text: e.id + " " + e.type })))));
    };

    // Callback tokens of open .waitForTaskToken Tasks (found in their scheduled parameters)
    // and activity tasks not yet taken by a worker.
    const renderTokens = () => {
      tokens.textContent = "";
      if (x.desc.status !== "RUNNING") return;
      const items = [];
      for (const e of x.events) {
        const open = e.owner && result.states[e.owner] === "inprogress";
        if (!open) continue;
        if (e.type === "TaskScheduled" && /\.waitForTaskToken$/.test(e.d.resource || "")) {
          const found = new Set();
          const walk = (v) => {
            if (typeof v === "string") { if (/^[A-Za-z0-9_-]{32}$/.test(v)) found.add(v); else if (/^[\[{]/.test(v)) { try { walk(JSON.parse(v)); } catch (x2) { /* text */ } } }
            else if (v && typeof v === "object") Object.values(v).forEach(walk);
          };
          walk(e.d.parameters);
          found.forEach((t) => items.push(tokenForm(e.owner, t, () => refresh(true))));
        }
        if (e.type === "ActivityScheduled") items.push(h("p", {}, "State ", h("strong", { text: e.owner }), " waits for a worker of ", link("#/activities", e.d.resource), "."));
      }
      if (items.length) add(tokens, h("div", { class: "panel" }, h("h2", { text: "Waiting for a callback" }), items));
    };

    const refresh = async (reload) => {
      if (reload) {
        const fresh = await loadExecution(arn);
        x.desc = fresh.desc; x.events = fresh.events;
      }
      analyse(x.events);
      renderPicker();
      result = statuses(x.events, types, x.desc.status, picks);
      if (g.view) g.view.colour(result.states);
      renderSummary(); renderTable(); renderEvents(); renderDetails(); renderTokens();
      document.body.dataset.executionStatus = x.desc.status;
      stop.hidden = x.desc.status !== "RUNNING";
      return x.desc.status === "RUNNING";
    };
    g.onDraw = (v) => v.colour(result.states);
    const stop = h("button", { id: "stop", class: "danger", onclick: async () => {
      try { await api("StopExecution", { executionArn: arn }); await refresh(true); } catch (e) { add(errorBox, banner("err", e.code, e.message)); }
    } }, "Stop execution");
    show(h("div", { class: "row" }, h("h1", { class: "grow", text: x.desc.name }), x.express ? null : stop,
      h("button", { onclick: () => { location.hash = "#/machine/" + enc(x.desc.stateMachineArn); } }, "New execution")),
      errorBox, summary, tokens,
      h("div", { class: "panel" }, tabs(["Graph view", "Table view", "Events"], [graphTab, tableTab, eventsTab])));
    g.draw("TB");
    const running = await refresh(false);
    if (running) poll(() => refresh(true));
  }

  function tokenForm(state, token, after) {
    const out = h("textarea", { "aria-label": "Output for " + state, value: "{}", style: "min-height:60px" });
    const err = h("input", { "aria-label": "Error", placeholder: "Error" });
    const cause = h("input", { "aria-label": "Cause", placeholder: "Cause" });
    const msg = h("div", { "aria-live": "polite" });
    const send = async (op, body) => {
      msg.textContent = "";
      try { await api(op, Object.assign({ taskToken: token }, body)); add(msg, banner("ok", op === "SendTaskSuccess" ? "Success sent." : "Failure sent.")); after && after(); }
      catch (e) { add(msg, banner("err", e.code, e.message)); }
    };
    return h("div", { class: "token", "data-token": token },
      h("p", {}, "State ", h("strong", { text: state }), " waits on task token ", h("code", { text: token })),
      out, h("div", { class: "row" },
        h("button", { class: "primary send-success", onclick: () => {
          try { JSON.parse(out.value); } catch (e) { add(msg, banner("err", "Not JSON", e.message)); return; }
          send("SendTaskSuccess", { output: out.value });
        } }, "Send task success"),
        err, cause, h("button", { class: "danger send-failure", onclick: () => send("SendTaskFailure", { error: err.value || undefined, cause: cause.value || undefined }) }, "Send task failure")),
      msg);
  }

  // --- activities ---------------------------------------------------------------------------
  async function activitiesPage() {
    const list = await all("ListActivities", { maxResults: 1000 }, "activities");
    const name = h("input", { id: "activity-name", "aria-label": "New activity name" });
    const out = h("div", { id: "activity-task", "aria-live": "polite" });
    show(h("h1", { text: "Activities (" + list.length + ")" }),
      h("form", { class: "panel row", onsubmit: async (ev) => {
        ev.preventDefault();
        try { await api("CreateActivity", { name: name.value }); route(); } catch (e) { add(out, banner("err", e.code, e.message)); }
      } }, h("label", { for: "activity-name", text: "Name" }), name, h("button", { type: "submit" }, "Create activity")),
      out,
      h("div", { class: "panel" }, list.length ? h("table", {}, h("thead", {}, h("tr", {}, ["Name", "ARN", "Created", ""].map((t) => h("th", { text: t })))),
        h("tbody", {}, list.map((a) => h("tr", {}, h("td", { text: a.name }), h("td", { text: a.activityArn }), h("td", { text: date(a.creationDate) }),
          h("td", {}, h("button", { onclick: async (ev) => {
            const b = ev.target; b.disabled = true; out.textContent = "";
            add(out, h("p", { class: "muted", text: "Waiting up to 60 s for a task of " + a.name + "\u2026" }));
            try {
              const t = await api("GetActivityTask", { activityArn: a.activityArn, workerName: "aslx-console" });
              out.textContent = "";
              if (!t.taskToken) add(out, banner("info", "No task is waiting.", ""));
              else add(out, h("div", { class: "panel" }, h("h2", { text: "Task of " + a.name }), h("h3", { text: "Input" }), h("pre", { text: pretty(t.input) }), tokenForm(a.name, t.taskToken)));
            } catch (e) { out.textContent = ""; add(out, banner("err", e.code, e.message)); }
            b.disabled = false;
          } }, "Get task"), " ",
          h("button", { class: "danger", onclick: async () => { if (confirm("Delete activity " + a.name + "?")) { await api("DeleteActivity", { activityArn: a.activityArn }).catch(() => {}); route(); } } }, "Delete")))))) :
        h("p", { class: "muted", text: "No activities." })));
  }

  // --- routing ---------------------------------------------------------------------------------
  async function route() {
    generation++;
    connection.ok();
    const hash = location.hash.replace(/^#/, "") || "/";
    const [, page, rest] = hash.match(/^\/([^/]*)\/?(.*)$/) || [];
    const arg = rest ? decodeURIComponent(rest) : "";
    document.body.dataset.page = page || "machines";
    delete document.body.dataset.executionStatus;
    try {
      if (!page) await machinesPage();
      else if (page === "create") editorPage(null);
      else if (page === "edit") editorPage(await api("DescribeStateMachine", { stateMachineArn: arg }));
      else if (page === "machine") await machinePage(arg);
      else if (page === "execution") await executionPage(arg);
      else if (page === "activities") await activitiesPage();
      else show(h("h1", { text: "Not found" }), h("p", {}, "The console has no page " + hash + ". ", link("#/", "State machines")));
    } catch (e) {
      failPage(e.status === 0 ? "aslx serve cannot be reached" : "Something went wrong", e);
    }
    document.body.dataset.ready = String(generation);
  }

  const logout = document.getElementById("logout");
  if (AUTH) {
    logout.hidden = false;
    logout.addEventListener("click", async () => {
      await fetch("/console/logout", { method: "POST", credentials: "same-origin", headers: { "X-Aslx-Csrf": CSRF } }).catch(() => {});
      location.reload();
    });
  }
  window.addEventListener("hashchange", route);
  window.aslxConsole = { api: api, analyse: analyse, statuses: statuses };
  route();
})();
