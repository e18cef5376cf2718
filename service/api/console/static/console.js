// The console's behaviour: plain JavaScript, no build step, nothing from elsewhere.
// Every text comes from the message catalogue the page carries (#messages); the API key
// lives in sessionStorage only and goes out as `Authorization: Bearer` on /v1 calls.
"use strict";

(() => {
  const M = JSON.parse(document.getElementById("messages").textContent);
  const PHRASES = JSON.parse(document.getElementById("phrases").textContent).map(([p, r]) => [new RegExp(p, "g"), r]);
  const LANG = document.documentElement.lang;
  const KEY = "enmusubi.apiKey";
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  const UPLOAD_TYPES = { yaml: "application/yaml", yml: "application/yaml", zip: "application/zip", xlsx: XLSX };
  const FILES = ["report.html", "report.md", "result.xlsx", "assignments.csv", "unfilled.csv",
    "municipalities.csv", "partners.csv", "result.json", "map.svg"];
  const $ = (id) => document.getElementById(id);
  const state = { run: null, result: null, shortlists: undefined, stream: null };

  const t = (key, values = {}) => (M[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
  const detail = (text) => PHRASES.reduce((s, [pattern, replacement]) => s.replace(pattern, replacement), text || "");
  const yen = (v) => (v === null || v === undefined ? t("no_limit") : "¥" + Math.round(v).toLocaleString("en-US"));
  const num = (v, digits = 3) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));
  const signed = (v, digits = 3) => (v > 0 ? "+" : "") + Number(v).toFixed(digits);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "onclick") node.addEventListener("click", value);
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  const cell = (value, numeric = false) => el("td", numeric ? { class: "n" } : {}, value);
  const fill = (tbody, rows) => tbody.replaceChildren(...rows);
  const announce = (text, isError = false) => {
    $("announce").textContent = text;
    $("announce").className = isError ? "announce error" : "announce";
  };

  class ApiError extends Error {
    constructor(status, detail) {
      super(t("console.error", { status, detail }));
      this.status = status;
    }
  }

  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    const key = sessionStorage.getItem(KEY);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(path, { ...options, headers });
    if (!response.ok) {
      let text = response.statusText;
      try {
        const body = await response.json();
        text = Array.isArray(body.detail) ? body.detail.map((d) => `${d.path || ""}: ${d.msg}`).join("; ") : body.detail;
      } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, text);
    }
    return response;
  }
  const postJson = (path, body) => api(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  }).then((r) => r.json());

  // --- signing in -------------------------------------------------------------------------------------------------

  function showApp(signedIn) {
    $("signin-section").hidden = signedIn;
    $("app").hidden = !signedIn;
    $("signout").hidden = !signedIn;
    if (signedIn) loadRuns();
  }

  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
    try {
      await api("/v1/runs?limit=1");
      sessionStorage.setItem(KEY, key);
      $("api-key").value = "";
      announce(t("console.signed_in"));
      showApp(true);
      $("problem-file").focus();
    } catch (error) {
      sessionStorage.removeItem(KEY);
      announce(error.status === 401 ? t("console.bad_key") : error.message, true);
    }
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    if (state.stream) state.stream.abort();
    showApp(false);
    $("run").hidden = true;
    $("api-key").focus();
  });
  for (const link of document.querySelectorAll(".langs a")) {  // keep the open run across the switch
    link.addEventListener("click", () => {
      if (state.run) link.href = `?lang=${link.dataset.lang}#run=${state.run}`;
    });
  }

  // --- runs ---------------------------------------------------------------------------------------------------------

  async function loadRuns() {
    try {
      const page = await (await api("/v1/runs?limit=10")).json();
      fill($("runs").tBodies[0], page.runs.map((run) => el("tr", {},
        cell(run.name || run.id), cell(t(`status.${run.status}`)),
        cell(new Date(run.created_at).toLocaleString(LANG)),
        el("td", {}, el("button", { type: "button", class: "small", onclick: () => openRun(run.id) }, t("console.open"))))));
    } catch (error) {
      announce(error.message, true);
    }
  }
  $("refresh").addEventListener("click", loadRuns);

  $("upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("problem-file").files[0];
    if (!file) return;
    const name = $("run-name").value.trim() || file.name;
    const limit = $("time-limit").value;
    const extension = file.name.split(".").pop().toLowerCase();
    announce(t("console.working"));
    try {
      let accepted;
      if (extension === "json") {
        let problem;
        try { problem = JSON.parse(await file.text()); } catch (error) { throw new ApiError(422, `${file.name}: ${error.message}`); }
        const body = { name, problem };
        if (limit) body.time_limit_seconds = Number(limit);
        accepted = await postJson("/v1/runs", body);
      } else {
        const query = new URLSearchParams({ name });
        if (limit) query.set("time_limit_seconds", limit);
        const response = await api(`/v1/runs?${query}`, {
          method: "POST", headers: { "Content-Type": UPLOAD_TYPES[extension] || file.type || "application/octet-stream" },
          body: await file.arrayBuffer(),
        });
        accepted = await response.json();
      }
      announce("");
      await openRun(accepted.id);
      loadRuns();
    } catch (error) {
      announce(error.message, true);
    }
  });

  // --- one run: progress, then the allocation ---------------------------------------------------------------------

  function showProgress(event) {
    const status = $("run-status");
    if (event.status === "queued") status.textContent = t("console.queued");
    else if (event.progress) {
      const p = event.progress;
      status.textContent = t("console.progress", {
        phase: p.phase, elapsed: p.elapsed_seconds.toFixed(1), objective: num(p.objective, 3), bound: num(p.bound, 3),
        gap: p.gap === null ? "–" : (100 * p.gap).toFixed(2) + "%",
      });
    } else status.textContent = t(`status.${event.status}`);
  }

  async function watch(id) {  // server-sent events read with fetch, so the API key goes in a header
    const controller = new AbortController();
    state.stream = controller;
    const response = await api(`/v1/runs/${id}/events`, { signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const kind = (block.match(/^event: ?(.*)$/m) || [])[1];
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, "")).join("\n");
        if (!data) continue;
        showProgress(JSON.parse(data));
        if (kind === "end") { controller.abort(); return; }
      }
    }
  }

  async function openRun(id) {
    if (state.stream) state.stream.abort();
    state.run = id;
    state.result = null;
    state.shortlists = undefined;
    history.replaceState(null, "", `#run=${id}`);
    $("run").hidden = false;
    $("result").hidden = true;
    $("insight").hidden = true;
    $("scenario-result").replaceChildren();
    $("run-progress").hidden = false;
    $("run-title").textContent = `${t("console.run")} ${id}`;
    $("run-title").scrollIntoView({ block: "start" });
    try {
      let run = await (await api(`/v1/runs/${id}`)).json();
      $("run-title").textContent = `${t("console.run")}: ${run.name || id}`;
      showProgress(run);
      if (run.status === "queued" || run.status === "running") {
        try { await watch(id); } catch (error) { if (error.name !== "AbortError") throw error; }
        if (state.run !== id) return;
        run = await (await api(`/v1/runs/${id}`)).json();
      }
      $("run-progress").hidden = true;
      if (run.status === "failed") { $("run-status").textContent = t("console.failed", { error: run.error }); return; }
      $("run-status").textContent = t("console.finished", { status: t(`status.${run.result ? run.result.status : run.status}`) });
      if (run.result) await showResult(run.result);
    } catch (error) {
      $("run-progress").hidden = true;
      announce(error.message, true);
    }
  }

  async function showResult(result) {
    state.result = result;
    state.partners = Object.fromEntries(result.partners.map((p) => [p.id, p.name]));
    state.munis = Object.fromEntries(result.municipalities.map((m) => [m.id, m]));
    const filled = result.municipalities.reduce((s, m) => s + m.filled, 0);
    const openings = result.municipalities.reduce((s, m) => s + m.openings, 0);
    fill($("summary").tBodies[0], [
      [t("report.status"), t(`status.${result.status}`)],
      [t("report.objective"), `${num(result.objective, 6)} (${num(result.best_bound, 6)})`],
      [t("report.placements"), t("report.placements_value", {
        placements: result.assignments.length, filled, openings, percent: openings ? Math.round(100 * filled / openings) + "%" : "–",
      })],
      [t("report.unfilled_positions"), String(result.unfilled.length)],
    ].map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), cell(v))));
    fill($("unfilled").tBodies[0], result.unfilled.map((u) => el("tr", {},
      el("td", {}, positionButton(u.position, u.title)), cell(state.munis[u.municipality]?.name || u.municipality),
      cell(`${u.filled}/${u.openings}`, true), cell(t(`reason.${u.reason}`)), cell(detail(u.detail)))));
    const recruiting = result.municipalities.filter((m) => m.openings).sort((a, b) => b.openings - a.openings);
    $("muni-select").replaceChildren(...recruiting.map((m) => el("option", { value: m.id }, `${m.name} (${m.filled}/${m.openings})`)));
    $("downloads").replaceChildren(...FILES.map((name) => el("li", {},
      el("button", { type: "button", class: "small", onclick: () => download(name) }, name))));
    $("result").hidden = false;
    await showMap();
    if (recruiting.length) selectMuni(recruiting[0].id, false);
  }

  async function showMap() {
    const svg = await (await api(`/v1/runs/${state.run}/files/map.svg?lang=${LANG}`)).text();
    const figure = $("map");
    figure.innerHTML = svg;  // the service's own matplotlib SVG
    for (const group of figure.querySelectorAll("g.muni")) {
      const title = group.querySelector("title");
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      if (title) group.setAttribute("aria-label", title.textContent);
      group.addEventListener("click", () => selectMuni(group.dataset.id, true));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); selectMuni(group.dataset.id, true); }
      });
    }
  }

  function positionButton(id, title) {
    return el("button", { type: "button", class: "link", onclick: () => showCandidates(id, title) }, `${id} ${title}`);
  }
  function partnerButton(partner, position) {
    return el("button", { type: "button", class: "link", onclick: () => explainPair(partner, position) },
      `${state.partners[partner] || partner} (${partner})`);
  }

  function selectMuni(id, fromMap) {
    const m = state.munis[id];
    if (!m) return;
    for (const g of $("map").querySelectorAll("g.muni")) g.classList.toggle("selected", g.dataset.id === id);
    if ([...$("muni-select").options].some((o) => o.value === id)) $("muni-select").value = id;
    const placements = state.result.assignments.filter((a) => a.municipality === id);
    const open = state.result.unfilled.filter((u) => u.municipality === id);
    const budget = m.budget_yen === null ? t("report.no_budget_limit") : t("report.spent_of", { spent: yen(m.spent_yen), budget: yen(m.budget_yen) });
    const table = el("table", {}, el("caption", {}, `${m.name} (${m.id})`),
      el("thead", {}, el("tr", {}, ...["position", "partner", "score", "cost"].map((k) => el("th", { scope: "col" }, t(`report.${k}`))))),
      el("tbody", {}, ...placements.map((a) => el("tr", {},
        el("td", {}, positionButton(a.position, a.position_title)), el("td", {}, partnerButton(a.partner, a.position)),
        cell(num(a.score), true), cell(yen(a.cost_yen), true)))));
    const list = el("ul", {}, ...open.map((u) => el("li", {}, positionButton(u.position, u.title), ` — ${t(`reason.${u.reason}`)}: ${detail(u.detail)}`)));
    $("muni-detail").replaceChildren(el("p", {}, t("report.muni_line", { filled: m.filled, openings: m.openings, budget })), table, list);
    if (fromMap) $("muni-detail").querySelector("caption").scrollIntoView({ block: "nearest" });
  }
  $("muni-select").addEventListener("change", (event) => selectMuni(event.target.value, false));

  async function showCandidates(position, title) {
    $("insight").hidden = false;
    $("explanation").hidden = true;
    $("candidates-title").textContent = t("console.candidates", { position: `${position} ${title}` });
    fill($("candidates").tBodies[0], [el("tr", {}, el("td", { colspan: "4" }, t("console.working")))]);
    $("candidates-title").scrollIntoView({ block: "nearest" });
    try {
      const found = await postJson("/v1/recommend", { run: state.run, position, k: 5 });
      fill($("candidates").tBodies[0], found.candidates.length ? found.candidates.map((c) => el("tr", {},
        el("td", {}, partnerButton(c.partner, position)), cell(num(c.score), true), cell(signed(c.objective_change), true),
        cell(c.displaces.map((d) => `${state.partners[d.partner] || d.partner} (${d.position})`).join(", ") || t("console.none")))) :
        [el("tr", {}, el("td", { colspan: "4" }, found.note || t("console.none")))]);
    } catch (error) {
      fill($("candidates").tBodies[0], [el("tr", {}, el("td", { colspan: "4", class: "error" }, error.message))]);
    }
    showShortlist(position);
  }

  async function showShortlist(position) {  // POST /v1/shortlists may not be there: then the panel stays hidden
    if (state.shortlists === undefined) {
      try {
        state.shortlists = await postJson("/v1/shortlists", { run: state.run, size: 5 });
      } catch (error) {
        state.shortlists = null;
      }
    }
    const entry = state.shortlists && (state.shortlists.shortlists || []).find((s) => s.position === position);
    $("shortlist-panel").hidden = !entry;
    if (entry) {
      $("shortlist").replaceChildren(...(entry.candidates.length ? entry.candidates.map((c) =>
        el("li", {}, partnerButton(c.partner, position), ` ${num(c.score)}`)) : [el("li", {}, detail(entry.reason || t("console.none")))]));
    }
  }

  async function explainPair(partner, position) {
    $("insight").hidden = false;
    $("explanation").hidden = false;
    $("explanation-title").textContent = t("console.explanation", { partner: `${state.partners[partner] || partner} (${partner})`, position });
    $("explanation-summary").textContent = t("console.working");
    fill($("rules").tBodies[0], []);
    $("explanation-title").scrollIntoView({ block: "nearest" });
    try {
      const found = await postJson("/v1/explain", { run: state.run, partner, position });
      const yes = (v) => t(v ? "console.yes" : "console.no");
      $("explanation-summary").textContent = [
        `${t("console.eligible")}: ${yes(found.eligible)}`, `${t("report.score")}: ${num(found.score)}`,
        `${t("console.in_optimal")}: ${yes(found.in_optimal)}`, found.reason ? detail(found.reason) : "",
      ].filter(Boolean).join(" · ");
      fill($("rules").tBodies[0], found.rules.map((r) => el("tr", {}, cell(r.name), cell(yes(r.passed)), cell(detail(r.detail)))));
    } catch (error) {
      $("explanation-summary").textContent = error.message;
    }
  }

  async function download(name) {
    try {
      const blob = await (await api(`/v1/runs/${state.run}/files/${name}?lang=${LANG}`)).blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      announce(error.message, true);
    }
  }

  // --- scenarios: variants side by side with the base ---------------------------------------------------------------

  function withRunAsBase(text, yaml) {
    if (!yaml) {
      const scenario = JSON.parse(text);
      scenario.base = { run: state.run };
      return JSON.stringify(scenario);
    }
    const lines = [];
    let skipping = false;
    for (const line of text.split(/\r?\n/)) {  // drop the top-level `base:` entry, keep everything else
      if (/^base\s*:/.test(line)) { skipping = true; continue; }
      if (skipping && (/^\s/.test(line) || line === "")) continue;
      skipping = false;
      lines.push(line);
    }
    return `${lines.join("\n")}\nbase: {run: "${state.run}"}\n`;
  }

  const changeText = (c) => Object.entries(c).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");

  $("scenario-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("scenario-file").files[0];
    if (!file || !state.run) return;
    const yaml = !file.name.toLowerCase().endsWith(".json");
    const out = $("scenario-result");
    out.replaceChildren(el("p", {}, t("console.working")));
    try {
      const body = withRunAsBase(await file.text(), yaml);
      const run = await (await api("/v1/scenarios", {
        method: "POST", headers: { "Content-Type": yaml ? "application/yaml" : "application/json" }, body,
      })).json();
      const base = run.base;
      const spend = (r) => r.municipalities.reduce((s, m) => s + m.spent_yen, 0);
      const filledOf = (r) => r.municipalities.reduce((s, m) => s + m.filled, 0);
      const columns = [{ name: t("html.base"), result: base, diff: null, changes: [] }, ...run.variants.map((v) => ({ name: v.name, result: v.result, diff: v.diff, changes: v.changes }))];
      const rows = [
        [t("report.status"), (c) => t(`status.${c.result.status}`)],
        [t("report.objective"), (c) => num(c.result.objective) + (c.diff ? ` (${signed(c.diff.objective.change)})` : "")],
        [t("report.filled"), (c) => String(filledOf(c.result)) + (c.diff ? ` (${signed(c.diff.filled_openings.change, 0)})` : "")],
        [t("console.spend"), (c) => yen(spend(c.result)) + (c.diff ? ` (${signed(c.diff.total_spend.change, 0)})` : "")],
        [t("console.pairs"), (c) => (c.diff ? `+${c.diff.pairs_added.length} / −${c.diff.pairs_removed.length}` : "")],
        [t("report.change"), (c) => (c.diff ? (c.changes.map(changeText).join("; ") || t("change.none")) : "")],
      ];
      out.replaceChildren(el("div", { class: "scenario" }, el("table", {},
        el("caption", {}, run.name),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("report.item")), ...columns.map((c) => el("th", { scope: "col" }, c.name)))),
        el("tbody", {}, ...rows.map(([label, value]) => el("tr", {}, el("th", { scope: "row" }, label), ...columns.map((c) => cell(value(c)))))))));
    } catch (error) {
      out.replaceChildren(el("p", { class: "error" }, error.message));
    }
  });

  // --- start ----------------------------------------------------------------------------------------------------------

  const opened = (location.hash.match(/run=([\w-]+)/) || [])[1];
  if (sessionStorage.getItem(KEY) !== null) {
    api("/v1/runs?limit=1").then(() => { showApp(true); if (opened) openRun(opened); }).catch(() => showApp(false));
  } else {
    showApp(false);
  }
})();
