// neon report: the interactive map and row panel. Reads the JSON of #neon-data; no network.
"use strict";
(function () {
  const page = JSON.parse(document.getElementById("neon-data").textContent);
  const D = page.data;
  const n = D.rows.length;
  const d = D.features.length;
  const canvas = document.getElementById("map");
  const ctx = canvas.getContext("2d");
  const panel = document.getElementById("panel");
  const colourBy = document.getElementById("colour-by");
  const logBox = document.getElementById("log-scale");
  const legend = document.getElementById("legend");
  const PAD = 14;
  const PICK_RADIUS = 12;
  const RED = "#c0392b";
  const BLUE = "#2c5fa8";
  let hovered = null;
  let pinned = null;

  // numbers as the tables print them: 5 significant digits, exponent outside [1e-3, 1e6)
  function fmt(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e-3 && a < 1e6) {
      const decimals = Math.max(0, 4 - Math.floor(Math.log10(a)));
      let t = v.toFixed(decimals);
      if (t.indexOf(".") >= 0) t = t.replace(/0+$/, "").replace(/\.$/, "");
      return t;
    }
    return v.toExponential(4);
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // scale of the score colouring; log only where every score is positive
  let sMin = Infinity, sMax = -Infinity;
  for (const s of D.score) { sMin = Math.min(sMin, s); sMax = Math.max(sMax, s); }
  const canLog = sMin > 0;
  logBox.disabled = !canLog;
  logBox.checked = canLog && sMax / sMin > 100;
  if (!canLog) logBox.parentElement.title = "some scores are not positive";

  function unit(s) {
    if (logBox.checked) {
      const lo = Math.log(sMin), hi = Math.log(sMax);
      return hi > lo ? (Math.log(s) - lo) / (hi - lo) : 0.5;
    }
    return sMax > sMin ? (s - sMin) / (sMax - sMin) : 0.5;
  }
  function viridis(t) {
    const stops = page.viridis;
    const i = Math.round(Math.min(1, Math.max(0, t)) * (stops.length - 1));
    return stops[i];
  }
  function byCluster() { return D.cluster && colourBy.value === "cluster"; }
  function colourOf(k) {
    if (byCluster()) return page.palette[D.cluster[k] % page.palette.length];
    return viridis(unit(D.score[k]));
  }

  // map geometry
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const [x, y] of D.map) {
    xMin = Math.min(xMin, x); xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y); yMax = Math.max(yMax, y);
  }
  const xSpan = xMax - xMin || 1, ySpan = yMax - yMin || 1;
  let width = 640, height = 560;
  function pos(k) {
    const [x, y] = D.map[k];
    const s = Math.min((width - 2 * PAD) / xSpan, (height - 2 * PAD) / ySpan);
    const ox = (width - s * xSpan) / 2, oy = (height - s * ySpan) / 2;
    return [ox + (x - xMin) * s, height - (oy + (y - yMin) * s)];
  }
  // remarkable points last, so that they are drawn on top
  const order = [...Array(n).keys()].sort((a, b) =>
    D.high_is_unusual ? D.score[a] - D.score[b] : D.score[b] - D.score[a]);
  const radius = n > 3000 ? 2 : n > 800 ? 3 : 4;

  function draw() {
    ctx.clearRect(0, 0, width, height);
    for (const k of order) {
      const [x, y] = pos(k);
      ctx.fillStyle = colourOf(k);
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
    for (const [k, colour, w] of [[hovered, "#555", 1.5], [pinned, "#000", 2.5]]) {
      if (k === null) continue;
      const [x, y] = pos(k);
      ctx.strokeStyle = colour;
      ctx.lineWidth = w;
      ctx.beginPath();
      ctx.arc(x, y, radius + 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  function resize() {
    const dpr = window.devicePixelRatio || 1;
    width = canvas.clientWidth || 640;
    height = canvas.clientHeight || 560;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  function drawLegend() {
    if (byCluster()) {
      const present = [...new Set(D.cluster)].sort((a, b) => a - b);
      legend.innerHTML = present.map((c) =>
        `<span class="key"><span class="swatch" style="background:${page.palette[c % page.palette.length]}"></span>cluster ${c}</span>`).join(" ");
      return;
    }
    const stops = page.viridis.join(", ");
    const mid = logBox.checked ? Math.sqrt(sMin * sMax) : (sMin + sMax) / 2;
    legend.innerHTML = `<div class="bar" style="background: linear-gradient(to right, ${stops})"></div>` +
      `<div class="ticks"><span>${fmt(sMin)}</span><span>${fmt(mid)}</span><span>${fmt(sMax)}</span></div>` +
      `<div class="caption">${esc(D.score_name)}${logBox.checked ? " (log scale)" : ""}</div>`;
  }

  function nearest(mx, my) {
    let best = null, bestD = PICK_RADIUS * PICK_RADIUS;
    for (let k = 0; k < n; k++) {
      const [x, y] = pos(k);
      const dd = (x - mx) * (x - mx) + (y - my) * (y - my);
      if (dd <= bestD) { bestD = dd; best = k; }
    }
    return best;
  }

  // a horizontal bar chart of one or more relevance vectors, side by side, on one scale
  function bars(series) {
    const longest = Math.max(...D.features.map((f) => f.length));
    const labelW = Math.min(260, Math.max(60, 7 * longest + 12)), barW = 150, gap = 18, rowH = 20, top = 20;
    let maxAbs = 0;
    for (const s of series) for (const v of s.values) maxAbs = Math.max(maxAbs, Math.abs(v));
    maxAbs = maxAbs || 1;
    const w = labelW + series.length * (barW + gap);
    const h = top + d * rowH + 4;
    let svg = `<svg class="bars" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`;
    series.forEach((s, m) => {
      const x0 = labelW + m * (barW + gap) + barW / 2;
      svg += `<text class="method" x="${x0}" y="12" text-anchor="middle">${esc(s.name)}</text>`;
      svg += `<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${h}" stroke="#999"/>`;
      s.values.forEach((v, j) => {
        const len = (Math.abs(v) / maxAbs) * (barW / 2);
        const x = v >= 0 ? x0 : x0 - len;
        const cls = v >= 0 ? "pos" : "neg";
        svg += `<rect class="bar ${cls}" data-feature="${esc(D.features[j])}" data-method="${esc(s.name)}" x="${x.toFixed(2)}" y="${top + j * rowH + 3}" width="${Math.max(len, 0.5).toFixed(2)}" height="${rowH - 6}" fill="${v >= 0 ? RED : BLUE}"><title>${esc(D.features[j])}: ${fmt(v)}</title></rect>`;
      });
    });
    D.features.forEach((f, j) => {
      svg += `<text x="${labelW - 6}" y="${top + j * rowH + 14}" text-anchor="end">${esc(f)}</text>`;
    });
    return svg + "</svg>";
  }

  function baselinesOf(k) {
    const out = [];
    for (const b of D.baselines) {
      const i = b.points.indexOf(k);
      if (i >= 0) out.push({ name: b.method, values: b.relevance[i], dissipated: b.dissipated[i] });
    }
    return out;
  }

  function showPanel(k) {
    if (k === null) {
      panel.innerHTML = `<p class="hint">Hover a point.</p>`;
      delete panel.dataset.point;
      delete panel.dataset.row;
      return;
    }
    const score = D.score[k], sum = D.relevance_sum[k], dis = D.dissipated[k];
    const id = D.ids ? ` <span class="id">id ${esc(D.ids[k])}</span>` : "";
    const state = k === pinned ? `<span class="state">pinned</span>` : "";
    let html = `<h3>Row <span id="panel-row">${D.rows[k]}</span>${id} ${state}</h3><dl class="summary">`;
    html += `<dt>${esc(D.score_name)}</dt><dd id="panel-score" data-value="${score}">${fmt(score)}</dd>`;
    html += `<dt>Σ R</dt><dd id="panel-sum" data-value="${sum}">${fmt(sum)}</dd>`;
    html += `<dt>dissipated</dt><dd id="panel-dissipated" data-value="${dis}">${fmt(dis)}</dd>`;
    html += `<dt>score − Σ R − dissipated</dt><dd id="panel-gap">${(score - sum - dis).toExponential(1)}</dd>`;
    if (D.cluster) {
      html += `<dt>cluster</dt><dd id="panel-cluster"><span class="swatch" style="background:${page.palette[D.cluster[k] % page.palette.length]}"></span>${D.cluster[k]}</dd>`;
    }
    html += `</dl>`;
    const others = baselinesOf(k);
    const series = [{ name: "NEON", values: D.relevance[k] }].concat(others);
    html += bars(series);
    const unitText = D.unit ? ` (${esc(D.unit)})` : "";
    html += `<table class="data" id="panel-table"><tr><th>feature</th><th>raw${unitText}</th><th>R (NEON)</th>`;
    for (const b of others) html += `<th>R (${esc(b.name)})</th>`;
    html += `</tr>`;
    D.features.forEach((f, j) => {
      const r = D.relevance[k][j], raw = D.raw[k][j];
      html += `<tr><td>${esc(f)}</td><td class="raw" data-feature="${esc(f)}" data-value="${raw}">${fmt(raw)}</td>` +
        `<td class="relevance ${r >= 0 ? "pos" : "neg"}" data-feature="${esc(f)}" data-value="${r}">${fmt(r)}</td>`;
      for (const b of others) {
        html += `<td class="baseline" data-method="${esc(b.name)}" data-feature="${esc(f)}" data-value="${b.values[j]}">${fmt(b.values[j])}</td>`;
      }
      html += `</tr>`;
    });
    if (others.length) {
      html += `<tr class="dissipated"><td>dissipated</td><td></td><td>${fmt(dis)}</td>`;
      for (const b of others) html += `<td>${fmt(b.dissipated)}</td>`;
      html += `</tr>`;
    }
    html += `</table>`;
    if (D.baselines.length && !others.length) {
      html += `<p class="hint">The baselines (${D.baselines.map((b) => esc(b.method)).join(", ")}) were computed for the most remarkable rows only, not for this one.</p>`;
    } else if (others.length) {
      html += `<p class="hint">Baselines explain f(x) − f(reference): their dissipated part holds f(reference) and the completeness gap.</p>`;
    }
    panel.innerHTML = html;
    panel.dataset.point = String(k);
    panel.dataset.row = String(D.rows[k]);
  }

  function refresh() {
    showPanel(pinned !== null ? pinned : hovered);
    draw();
  }
  function mouse(e) {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }
  canvas.addEventListener("mousemove", (e) => {
    const k = nearest(...mouse(e));
    if (k !== hovered) {
      hovered = k;
      if (pinned === null) showPanel(k);
      draw();
    }
  });
  canvas.addEventListener("mouseleave", () => {
    hovered = null;
    refresh();
  });
  canvas.addEventListener("click", (e) => {
    pinned = nearest(...mouse(e));
    refresh();
  });
  function pin(k) {
    pinned = k;
    refresh();
    canvas.scrollIntoView({ block: "nearest" });
  }
  document.getElementById("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = document.getElementById("search-box").value.trim();
    const message = document.getElementById("search-message");
    let k = D.ids ? D.ids.indexOf(q) : -1;
    if (k < 0 && /^\d+$/.test(q)) {
      const row = Number(q);
      k = D.rows.indexOf(row);
      if (k < 0) {
        message.textContent = row < D.total_rows ? `row ${row} is not among the shown rows (sample)` : `no row ${row}: the data has ${D.total_rows} rows`;
        return;
      }
    }
    if (k < 0) {
      message.textContent = `no row or id "${q}"`;
      return;
    }
    message.textContent = "";
    pin(k);
  });
  for (const tr of document.querySelectorAll("tr.pick")) {
    tr.addEventListener("click", () => pin(Number(tr.dataset.point)));
  }
  colourBy.addEventListener("change", () => { drawLegend(); draw(); });
  logBox.addEventListener("change", () => { drawLegend(); draw(); });
  window.addEventListener("resize", resize);

  // for scripted checks: where a point is drawn, in page (client) coordinates
  window.neonExplorer = {
    pointPosition(k) {
      const r = canvas.getBoundingClientRect();
      const [x, y] = pos(k);
      return { x: r.left + x, y: r.top + y };
    },
    pointOfRow(row) { return D.rows.indexOf(row); },
    pinned() { return pinned; },
  };
  drawLegend();
  resize();
})();
