// The three overview charts (Apache ECharts, vendored in /lib/echarts). Canvas renderer and rich-text
// tooltips only: nothing is written as HTML, so the strict CSP holds (no inline styles, no innerHTML).
import { el, replace, dayNumber, today } from './api.js';
import { message, tableWrap } from './ui.js';

const STATUS = [
  { key: 'active', label: 'active', color: '#b42318' },
  { key: 'eased', label: 'eased', color: '#d08a00' },
  { key: 'lifted', label: 'lifted', color: '#2e7d4f' },
  { key: 'expired', label: 'expired', color: '#8a94a3' },
];
const INK = '#1b2430';
const MUTED = '#667085';
const LINE = '#e3e7ed';
const BRAND = '#1d4f91';
const MARK = '#10284a';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

const DAY = 86400000;
const toTime = (iso) => dayNumber(iso) * DAY;

function baseOption() {
  return {
    // points are placed at UTC midnights (toTime): labels and tooltips must read them in UTC, not the browser's zone
    useUTC: true,
    animation: false,
    aria: { enabled: true, decal: { show: false } },
    textStyle: { fontFamily: FONT, color: INK },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      renderMode: 'richText',
      backgroundColor: '#ffffff',
      borderColor: '#c7ced8',
      textStyle: { color: INK, fontFamily: FONT, fontSize: 12 },
      axisPointer: { type: 'line', lineStyle: { color: '#98a2b3' } },
    },
  };
}

function timeAxis(min, max) {
  return {
    type: 'time', min, max,
    axisLine: { lineStyle: { color: '#98a2b3' } },
    axisLabel: { color: MUTED, hideOverlap: true },
    splitLine: { show: false },
  };
}

function valueAxis() {
  return {
    type: 'value', minInterval: 1,
    axisLabel: { color: MUTED },
    splitLine: { lineStyle: { color: LINE } },
  };
}

function markLineAt(dateIso) {
  return {
    silent: true, symbol: 'none',
    label: { show: false },
    lineStyle: { color: MARK, type: 'dashed', width: 1.5 },
    data: [{ xAxis: toTime(dateIso) }],
  };
}

/** A small accessible table with the chart's numbers, for keyboard and screen-reader users. */
function dataTable(caption, headers, rows) {
  return tableWrap(el('table', null,
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', null, el('tr', null, headers.map((h, i) => el('th', { scope: 'col', class: i ? 'num' : null }, h)))),
    el('tbody', null, rows.map((r) => el('tr', null, r.map((c, i) => (i ? el('td', { class: 'num' }, String(c)) : el('th', { scope: 'row', class: 'nowrap' }, String(c)))))))), caption);
}

/**
 * createCharts({ onPick(dateIso) }) → { update(series), setDate(dateIso), showError(text) }.
 * Degrades to a message in each container when ECharts or the series endpoint is unavailable.
 */
export function createCharts({ onPick }) {
  const containers = {
    sanctions: document.getElementById('chart-sanctions'),
    prisoners: document.getElementById('chart-prisoners'),
    contacts: document.getElementById('chart-contacts'),
  };
  const tables = {
    sanctions: document.querySelector('[data-chart-table="sanctions"]'),
    prisoners: document.querySelector('[data-chart-table="prisoners"]'),
    contacts: document.querySelector('[data-chart-table="contacts"]'),
  };
  const echarts = window.echarts;
  const charts = {};
  let data = null;
  let current = today();

  if (!echarts) {
    for (const c of Object.values(containers)) message(c, 'error', 'The chart library could not be loaded.');
    return { update() {}, setDate() {}, showError() {} };
  }

  for (const [key, node] of Object.entries(containers)) {
    if (!node) continue;
    charts[key] = echarts.init(node, null, { renderer: 'canvas' });
  }

  // Click anywhere in the plot area: lines snap to the series point under (or left of) the cursor,
  // bars give that year's last day (today for the current year).
  function pickOnLine(chart, points) {
    chart.getZr().on('click', (ev) => {
      if (!points().length) return;
      const px = [ev.offsetX, ev.offsetY];
      if (!chart.containPixel({ gridIndex: 0 }, px)) return;
      const [t] = chart.convertFromPixel({ gridIndex: 0 }, px);
      const list = points();
      // nearest point within 12 px wins; otherwise the step the cursor is on (last point at or before it)
      let best = null;
      let bestDist = Infinity;
      for (const p of list) {
        const [x] = chart.convertToPixel({ gridIndex: 0 }, [toTime(p.date), 0]);
        const d = Math.abs(x - ev.offsetX);
        if (d < bestDist) { bestDist = d; best = p; }
      }
      if (bestDist > 12) {
        const before = list.filter((p) => toTime(p.date) <= t);
        best = before.length ? before[before.length - 1] : list[0];
      }
      if (best) onPick(best.date);
    });
    chart.getZr().on('mousemove', (ev) => {
      chart.getZr().setCursorStyle(chart.containPixel({ gridIndex: 0 }, [ev.offsetX, ev.offsetY]) ? 'pointer' : 'default');
    });
  }

  if (charts.sanctions) pickOnLine(charts.sanctions, () => (data ? data.points : []));
  if (charts.prisoners) pickOnLine(charts.prisoners, () => (data ? data.points : []));
  if (charts.contacts) {
    const chart = charts.contacts;
    chart.getZr().on('click', (ev) => {
      const years = data ? contactYears() : [];
      if (!years.length) return;
      const px = [ev.offsetX, ev.offsetY];
      if (!chart.containPixel({ gridIndex: 0 }, px)) return;
      const [index] = chart.convertFromPixel({ gridIndex: 0 }, px);
      const row = years[Math.max(0, Math.min(years.length - 1, Math.round(index)))];
      if (!row) return;
      const now = today();
      onPick(String(row.year) === now.slice(0, 4) ? now : `${row.year}-12-31`);
    });
    chart.getZr().on('mousemove', (ev) => {
      chart.getZr().setCursorStyle(chart.containPixel({ gridIndex: 0 }, [ev.offsetX, ev.offsetY]) ? 'pointer' : 'default');
    });
  }

  const resize = () => Object.values(charts).forEach((c) => c.resize());
  if ('ResizeObserver' in window) {
    const ro = new ResizeObserver(() => resize());
    Object.values(containers).forEach((n) => n && ro.observe(n));
  } else {
    window.addEventListener('resize', resize);
  }

  /** Every year from the first recorded one to this year, zero where nothing was recorded. */
  function contactYears() {
    const byYear = new Map(data.contactsPerYear.map((y) => [y.year, y.count]));
    const firstPointYear = data.points.length ? Number(data.points[0].date.slice(0, 4)) : Infinity;
    const first = Math.min(firstPointYear, ...byYear.keys());
    const last = Math.max(Number(today().slice(0, 4)), ...byYear.keys());
    if (!Number.isFinite(first)) return [];
    const out = [];
    for (let y = first; y <= last; y += 1) out.push({ year: y, count: byYear.get(y) || 0 });
    return out;
  }

  function render() {
    if (!data) return;
    const points = data.points;
    const now = today();
    const first = points.length ? points[0].date : now;
    const min = toTime(first) - 180 * DAY;
    const max = Math.max(toTime(now), toTime(current)) + 30 * DAY;
    // each series holds its value until the next point (step "end"), and runs on to today
    const withToday = (fn) => {
      const rows = points.map((p) => [toTime(p.date), fn(p)]);
      if (points.length && points[points.length - 1].date < now) rows.push([toTime(now), fn(points[points.length - 1])]);
      return rows;
    };

    if (charts.sanctions) {
      charts.sanctions.setOption({
        ...baseOption(),
        color: STATUS.map((s) => s.color),
        legend: { top: 0, left: 0, itemWidth: 14, itemHeight: 10, textStyle: { color: INK }, data: STATUS.map((s) => s.label) },
        xAxis: timeAxis(min, max),
        yAxis: valueAxis(),
        series: STATUS.map((s, i) => ({
          name: s.label, type: 'line', step: 'end', stack: 'status',
          symbol: 'circle', symbolSize: 5, showSymbol: false,
          lineStyle: { width: 1.5, color: s.color },
          itemStyle: { color: s.color },
          areaStyle: { opacity: 0.35, color: s.color },
          data: withToday((p) => (p.sanctions && typeof p.sanctions[s.key] === 'number' ? p.sanctions[s.key] : 0)),
          markLine: i === 0 ? markLineAt(current) : undefined,
        })),
      }, true);
    }

    if (charts.prisoners) {
      charts.prisoners.setOption({
        ...baseOption(),
        legend: { show: false },
        xAxis: timeAxis(min, max),
        yAxis: valueAxis(),
        series: [{
          name: 'prisoners released (cumulative)', type: 'line', step: 'end',
          symbol: 'circle', symbolSize: 5, showSymbol: true,
          lineStyle: { width: 2, color: BRAND }, itemStyle: { color: BRAND },
          areaStyle: { opacity: 0.12, color: BRAND },
          data: withToday((p) => (typeof p.prisonersReleased === 'number' ? p.prisonersReleased : 0)),
          markLine: markLineAt(current),
        }],
      }, true);
    }

    if (charts.contacts) {
      const years = contactYears();
      const selectedYear = Number(current.slice(0, 4));
      charts.contacts.setOption({
        ...baseOption(),
        tooltip: { ...baseOption().tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
        legend: { show: false },
        xAxis: {
          type: 'category', data: years.map((y) => String(y.year)),
          axisLabel: { color: MUTED, hideOverlap: true }, axisLine: { lineStyle: { color: '#98a2b3' } },
        },
        yAxis: valueAxis(),
        series: [{
          name: 'contacts', type: 'bar', barMaxWidth: 28,
          data: years.map((y) => ({
            value: y.count,
            itemStyle: { color: y.year === selectedYear ? MARK : '#7a9cc9', borderRadius: [2, 2, 0, 0] },
          })),
          label: { show: true, position: 'top', color: MUTED, fontSize: 10, formatter: (p) => (p.value ? String(p.value) : '') },
        }],
      }, true);
    }
  }

  function renderTables() {
    if (!data) return;
    if (tables.sanctions) {
      replace(tables.sanctions, dataTable('Sanctions measures by status, by date', ['Date', ...STATUS.map((s) => s.label)],
        data.points.map((p) => [p.date, ...STATUS.map((s) => (p.sanctions ? p.sanctions[s.key] ?? 0 : 0))])));
    }
    if (tables.prisoners) {
      replace(tables.prisoners, dataTable('Prisoners released, cumulative, by date', ['Date', 'Released (total)'],
        data.points.map((p) => [p.date, p.prisonersReleased ?? 0])));
    }
    if (tables.contacts) {
      if (data.contactsPerYear.length) {
        replace(tables.contacts, dataTable('High-level contacts per year', ['Year', 'Contacts'],
          data.contactsPerYear.map((y) => [y.year, y.count])));
      } else {
        message(tables.contacts, 'info', 'No high-level contacts recorded.');
      }
    }
  }

  return {
    update(series) {
      const points = Array.isArray(series?.points) ? series.points.filter((p) => p && typeof p.date === 'string') : [];
      const contacts = Array.isArray(series?.contactsPerYear) ? series.contactsPerYear.filter((y) => y && Number.isFinite(y.year)) : [];
      data = { points, contactsPerYear: contacts };
      const note = document.getElementById('charts-message');
      if (note) note.replaceChildren();
      render();
      renderTables();
    },
    setDate(dateIso) {
      current = dateIso;
      render();
    },
    showError(text) {
      data = null;
      Object.values(charts).forEach((c) => c.clear());
      message(document.getElementById('charts-message'), 'error', text);
    },
  };
}
