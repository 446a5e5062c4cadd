// The medianode live page: polls /v1/overview every second, turns counter totals into
// rates, keeps two minutes of history and draws it on plain canvases.
"use strict";

(function () {
  const OVERVIEW = "/v1/overview";
  const POLL_MS = 1000;
  const HISTORY = 120;
  const COLORS = ["#4fa3ff", "#3ccf91", "#ffb347", "#ff6b6b", "#c792ea", "#5ad1e6", "#f2d95c", "#ff8fc8"];

  const history = { packetsIn: [], packetsOut: [], cpu: [] };
  let previous = null;

  function byId(id) {
    return document.getElementById(id);
  }

  function setText(id, value) {
    const element = byId(id);
    const textValue = String(value);
    if (element && element.textContent !== textValue) {
      element.textContent = textValue;
    }
  }

  function formatCount(value) {
    if (value === null || value === undefined || Number.isNaN(value)) {
      return "-";
    }
    if (value >= 1e6) {
      return (value / 1e6).toFixed(2) + "M";
    }
    if (value >= 1e4) {
      return (value / 1e3).toFixed(1) + "k";
    }
    return String(Math.round(value));
  }

  function formatUptime(seconds) {
    const s = Math.floor(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return "up " + (h > 0 ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }

  function setStatus(label, live) {
    const element = byId("status");
    element.textContent = label;
    element.className = "status " + (live ? "live" : "offline");
  }

  function push(series, value) {
    series.push(value);
    while (series.length > HISTORY) {
      series.shift();
    }
  }

  // Rates per second of a counter between two overviews, or null on the first poll.
  function rateOf(now, before, seconds) {
    if (before === undefined || before === null || seconds <= 0) {
      return null;
    }
    return Math.max(0, (now - before) / seconds);
  }

  function cell(row, value, numeric) {
    const td = document.createElement("td");
    td.textContent = value;
    if (numeric) {
      td.className = "num";
    }
    row.appendChild(td);
    return td;
  }

  function renderCores(overview, seconds) {
    const body = byId("cores").tBodies[0];
    const rows = [];
    overview.cores.forEach(function (core, i) {
      const before = previous && previous.cores[i];
      const inRate = before ? rateOf(core.packets_in, before.packets_in, seconds) : null;
      const outRate = before ? rateOf(core.packets_out, before.packets_out, seconds) : null;
      const cpu = before && core.cpu_seconds !== null && before.cpu_seconds !== null
        ? rateOf(core.cpu_seconds, before.cpu_seconds, seconds) * 100
        : null;
      const row = document.createElement("tr");
      row.dataset.core = String(core.core);
      const name = cell(row, String(core.core), false);
      if (!core.up) {
        name.className = "down";
        name.title = "heartbeat is stale";
      }
      cell(row, core.backend || "-", false);
      cell(row, core.packet_io || "-", false);
      cell(row, formatCount(core.conferences), true);
      cell(row, formatCount(core.legs), true);
      cell(row, formatCount(core.active_talkers), true);
      cell(row, formatCount(inRate), true);
      cell(row, formatCount(outRate), true);
      cell(row, formatCount(core.drops), true);
      cell(row, cpu === null ? "-" : cpu.toFixed(1) + "%", true);
      rows.push(row);
    });
    body.replaceChildren.apply(body, rows);
  }

  function policyText(policy) {
    if (!policy) {
      return "-";
    }
    return policy.mode === "all" ? "all" : "loudest " + policy.loudest_n;
  }

  function renderConferences(overview) {
    const body = byId("conferences").tBodies[0];
    const rows = overview.conferences.map(function (conference) {
      const row = document.createElement("tr");
      row.dataset.id = conference.id;
      cell(row, conference.id, false);
      cell(row, String(conference.core), true);
      cell(row, policyText(conference.policy), false);
      cell(row, String(conference.legs.length), true);
      const talkers = cell(row, "", false);
      conference.talkers.forEach(function (leg) {
        const badge = document.createElement("span");
        badge.className = "talker";
        badge.textContent = leg;
        talkers.appendChild(badge);
      });
      return row;
    });
    body.replaceChildren.apply(body, rows);
    const total = overview.totals.conferences;
    setText("conference-note", total > rows.length ? "(first " + rows.length + " of " + total + ")" : "");
  }

  function renderLegend(id, series) {
    const legend = byId(id);
    const items = series.map(function (s) {
      const item = document.createElement("span");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = s.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      return item;
    });
    legend.replaceChildren.apply(legend, items);
  }

  // Line chart of `series` ({name, color, values}) over the last HISTORY samples.
  function drawChart(canvas, series, fixedMax) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const left = 48;
    const bottom = height - 18;
    const top = 8;
    const right = width - 8;
    let max = fixedMax || 0;
    series.forEach(function (s) {
      s.values.forEach(function (v) {
        if (v !== null && v > max) {
          max = v;
        }
      });
    });
    if (!fixedMax) {
      max = max <= 0 ? 1 : max * 1.15;
    }
    context.font = "11px system-ui, sans-serif";
    context.fillStyle = "#8b96a1";
    context.strokeStyle = "#2b333c";
    context.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = bottom - ((bottom - top) * i) / 4;
      context.beginPath();
      context.moveTo(left, y);
      context.lineTo(right, y);
      context.stroke();
      context.fillText(formatCount((max * i) / 4), 4, y + 4);
    }
    context.fillText("-" + HISTORY + " s", left, height - 4);
    context.fillText("now", right - 22, height - 4);
    const step = (right - left) / (HISTORY - 1);
    series.forEach(function (s) {
      context.strokeStyle = s.color;
      context.lineWidth = 2;
      context.beginPath();
      let drawing = false;
      const offset = HISTORY - s.values.length;
      s.values.forEach(function (v, i) {
        if (v === null) {
          drawing = false;
          return;
        }
        const x = left + (offset + i) * step;
        const y = bottom - ((bottom - top) * Math.min(v, max)) / max;
        if (drawing) {
          context.lineTo(x, y);
        } else {
          context.moveTo(x, y);
          drawing = true;
        }
      });
      context.stroke();
    });
  }

  function render(overview) {
    setText("build", "v" + overview.version + ", SIMD " + overview.simd);
    setText("uptime", formatUptime(overview.uptime_s));
    const totals = overview.totals;
    setText("conference-count", totals.conferences);
    setText("leg-count", totals.legs);
    setText("talker-count", totals.talkers);
    setText("packets-in-total", totals.packets_in);
    setText("packets-out-total", totals.packets_out);
    setText("drops-total", totals.drops);

    const seconds = previous ? (overview.time_ms - previous.time_ms) / 1000 : 0;
    const before = previous ? previous.totals : null;
    const inRate = before ? rateOf(totals.packets_in, before.packets_in, seconds) : null;
    const outRate = before ? rateOf(totals.packets_out, before.packets_out, seconds) : null;
    const dropRate = before ? rateOf(totals.drops, before.drops, seconds) : null;
    setText("packets-in-rate", formatCount(inRate));
    setText("packets-out-rate", formatCount(outRate));
    setText("drops-rate", formatCount(dropRate));

    push(history.packetsIn, inRate);
    push(history.packetsOut, outRate);
    overview.cores.forEach(function (core, i) {
      if (!history.cpu[i]) {
        history.cpu[i] = [];
      }
      const was = previous && previous.cores[i];
      const cpu = was && core.cpu_seconds !== null && was.cpu_seconds !== null
        ? rateOf(core.cpu_seconds, was.cpu_seconds, seconds) * 100
        : null;
      push(history.cpu[i], cpu);
    });

    const packetSeries = [
      { name: "in", color: COLORS[0], values: history.packetsIn },
      { name: "out", color: COLORS[1], values: history.packetsOut },
    ];
    const cpuSeries = overview.cores.map(function (core, i) {
      return { name: "core " + core.core, color: COLORS[i % COLORS.length], values: history.cpu[i] };
    });
    drawChart(byId("packets-chart"), packetSeries, 0);
    drawChart(byId("cpu-chart"), cpuSeries, 100);
    renderLegend("packets-legend", packetSeries);
    renderLegend("cpu-legend", cpuSeries);
    renderCores(overview, seconds);
    renderConferences(overview);
    previous = overview;
  }

  async function poll() {
    try {
      const response = await fetch(OVERVIEW, { cache: "no-store" });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      render(await response.json());
      setStatus("live", true);
    } catch (error) {
      setStatus("offline: " + error.message, false);
    } finally {
      window.setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
