// gongkai review pages: upload with progress, live job status, cell inspection and saving a review.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // ---- API key (only when the server asks for one) ----
  const login = $("#login");
  if (login) login.addEventListener("submit", (e) => {
    e.preventDefault();
    document.cookie = "gongkai_api_key=" + encodeURIComponent($("#key").value) + "; path=/; SameSite=Strict";
    location.reload();
  });

  // ---- upload form ----
  const form = $("#upload");
  function poll(li, id) {
    fetch("/v1/extractions/" + id + "?include_result=false").then((r) => r.json()).then((job) => {
      li.querySelector(".st").textContent = job.status + (job.reason ? ": " + job.reason : "") +
        " (" + job.progress.pages_done + "/" + job.progress.pages_total + " pages)";
      li.className = "status-" + job.status;
      if (job.status === "queued" || job.status === "running") setTimeout(() => poll(li, id), 1000);
    });
  }
  if (form) form.addEventListener("submit", (e) => {
    e.preventDefault();
    const files = $("#files").files;
    if (!files.length) return;
    const data = new FormData();
    for (const f of files) data.append("files", f, f.name);
    data.append("force", $("#force").checked ? "true" : "false");
    const bar = $("#upload-progress");
    bar.hidden = false; bar.value = 0;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/extractions");
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = 100 * ev.loaded / ev.total; };
    xhr.onload = () => {
      bar.value = 100;
      const out = $("#submitted");
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { detail: xhr.statusText }; }
      if (xhr.status !== 202) {
        const li = document.createElement("li");
        li.className = "status-failed"; li.textContent = "refused (" + xhr.status + "): " + body.detail;
        out.prepend(li); return;
      }
      for (const job of body.jobs) {
        const li = document.createElement("li");
        li.dataset.job = job.id;
        li.innerHTML = '<a href="/review/' + job.id + '"></a> — <span class="st"></span>';
        li.querySelector("a").textContent = job.filename + (job.duplicate ? " (already submitted)" : "");
        out.prepend(li); poll(li, job.id);
      }
      for (const r of body.rejected || []) {
        const li = document.createElement("li");
        li.className = "status-failed"; li.textContent = r.filename + " refused (" + r.status_code + "): " + r.detail;
        out.prepend(li);
      }
    };
    xhr.send(data);
  });

  // ---- review page ----
  const review = $(".review");
  if (!review) return;
  const jobId = review.dataset.job;
  if (!$("#review-form")) {  // no result yet: reload when the job ends
    setTimeout(() => location.reload(), 2000); return;
  }
  const panel = $("#cell-panel");
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  function show(td) {
    $$("td.cell.selected").forEach((x) => x.classList.remove("selected"));
    td.classList.add("selected");
    const d = td.dataset;
    let html = "<b>" + esc(d.label) + "</b><br><code>" + esc(d.field) + "</code><br>" +
      "read: “" + esc(d.raw) + "” · " + esc(d.status) + " · confidence " + esc(d.conf);
    if (d.corrected) html += "<br>original reading: <s>" + esc(d.corrected) + "</s>" + (d.reason ? " — " + esc(d.reason) : "");
    if (d.constraints) html += "<br>violates: " + esc(d.constraints);
    const cellUrl = "/v1/extractions/" + jobId + "/cells/" + encodeURIComponent(d.field);
    if (review.dataset.crops === "1" && d.crop) {
      html += '<br><img alt="crop of the page" src="' + cellUrl + '/crop.png">';
    }
    panel.innerHTML = html;
    if (review.dataset.crops !== "1" && d.status !== "missing") {  // text / HTML: the line it was read from
      fetch(cellUrl + "/source").then((r) => (r.ok ? r.json() : null)).then((src) => {
        if (!src || !td.classList.contains("selected")) return;
        const p = document.createElement("p");
        p.className = "source-line";
        p.innerHTML = "line " + esc(src.line) + ": <code></code>";
        p.querySelector("code").textContent = src.text;
        panel.appendChild(p);
      });
    }
  }
  function showViolations(violations) {  // after a save: the constraints as they stand now
    const ul = $("ul.violations");
    $$("td.cell.violated").forEach((x) => x.classList.remove("violated"));
    ul.innerHTML = "";
    for (const v of violations) {
      const li = document.createElement("li");
      const cells = (v.cells && v.cells.length ? v.cells : v.lhs.concat(v.rhs));
      li.className = "v-" + v.kind; li.dataset.cells = cells.join(" ");
      li.innerHTML = "<b></b> (" + esc(v.kind) + "): " + esc(+v.lhs_value.toFixed(2)) + " ≠ " +
        esc(+v.rhs_value.toFixed(2)) + " (Δ " + esc(+v.difference.toFixed(2)) + ")";
      li.querySelector("b").textContent = v.constraint;
      ul.appendChild(li);
      for (const id of cells) { const td = $('td.cell[data-field="' + id + '"]'); if (td) td.classList.add("violated"); }
    }
    if (!violations.length) ul.innerHTML = "<li>none</li>";
    const h = $("#violations-title");
    if (h) h.textContent = "Violated constraints (" + violations.length + ")";
  }
  $$("td.cell").forEach((td) => {
    td.addEventListener("click", () => show(td));
    const input = $("input", td);
    input.addEventListener("focus", () => show(td));
    input.addEventListener("input", () => td.classList.toggle("edited", input.value.trim() !== input.dataset.original));
  });
  $$("[data-cells]").forEach((li) => li.addEventListener("click", () => {
    $$("td.cell.highlight").forEach((x) => x.classList.remove("highlight"));
    for (const id of li.dataset.cells.split(" ")) {
      const td = $('td.cell[data-field="' + id + '"]');
      if (td) td.classList.add("highlight");
    }
  }));
  function parse(v) {
    v = v.trim().replace(/,/g, "");
    if (v === "" || v === "/" || v === "-" || v === "—") return null;
    const n = Number(v);
    if (Number.isNaN(n)) throw new Error("not a number: " + v);
    return n;
  }
  $("#review-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const status = $("#save-status");
    const fields = {};
    try {
      for (const td of $$("td.cell.edited")) { const input = $("input", td); fields[input.name] = parse(input.value); }
    } catch (err) { status.textContent = err.message; return; }
    const body = { fields: fields };
    const org = $("#meta-org").value.trim(), year = $("#meta-year").value.trim();
    if (org) body.org = org;
    if (year && !Number.isNaN(Number(year))) body.year = Number(year);
    status.textContent = "saving…";
    fetch("/v1/extractions/" + jobId + "/review", {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then((r) => r.json().then((j) => ({ ok: r.ok, j: j }))).then(({ ok, j }) => {
      if (!ok) { status.textContent = "not saved: " + (j.detail && j.detail.toString()); return; }
      status.textContent = "saved " + Object.keys(fields).length + " edits → " + j.gold_file;
      for (const td of $$("td.cell.edited")) {
        const input = $("input", td);
        td.classList.remove("edited"); td.classList.add("verified"); input.dataset.original = input.value.trim();
      }
      if (j.job.result) showViolations(j.job.result.violations);
      const state = $("#review-state");
      if (state) state.textContent = j.job.needs_review ? "needs review" : "reviewed";
    }).catch((err) => { status.textContent = "not saved: " + err; });
  });
})();
