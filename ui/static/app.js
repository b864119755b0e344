// Lists the collection targets from the Prometheus-compatible query API.
"use strict";

async function query(expr) {
  const r = await fetch("api/v1/query?query=" + encodeURIComponent(expr));
  const body = await r.json();
  if (body.status !== "success") throw new Error(body.error || r.statusText);
  return body.data.result;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function refresh() {
  const tbody = document.getElementById("targets");
  try {
    const [up, dur] = await Promise.all([query("up"), query("scrape_duration_seconds")]);
    const durations = new Map(dur.map(s => [s.metric.job + "|" + s.metric.instance, s.value[1]]));
    up.sort((a, b) => (a.metric.job + a.metric.instance).localeCompare(b.metric.job + b.metric.instance));
    tbody.replaceChildren(...up.map(s => {
      const tr = document.createElement("tr");
      const isUp = s.value[1] === "1";
      const d = durations.get(s.metric.job + "|" + s.metric.instance);
      tr.append(cell(s.metric.job), cell(s.metric.instance), cell(isUp ? "up" : "down", isUp ? "up" : "down"),
        cell(d === undefined ? "" : Number(d).toFixed(3)));
      return tr;
    }));
    if (up.length === 0) tbody.replaceChildren(Object.assign(document.createElement("tr"), { innerHTML: "<td colspan=4>no targets configured</td>" }));
  } catch (e) {
    tbody.replaceChildren(Object.assign(document.createElement("tr"), { innerHTML: "<td colspan=4></td>" }));
    tbody.firstChild.firstChild.textContent = "query failed: " + e.message;
  }
}

document.getElementById("self").textContent = location.origin;
refresh();
setInterval(refresh, 5000);
