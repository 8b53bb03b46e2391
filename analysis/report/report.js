// apqsim HTML report: draws a result document (embedded as JSON in #apq-data by analysis/html_report.cpp) with
// Chart.js. One renderer per kind of document (RENDERERS at the end): run, replicated, compare, sweep, plan.
// window.apqReport says what happened, for people and for the browser test: {done, errors, charts}.
(function () {
  'use strict';

  const started = performance.now();
  const state = { done: false, errors: [], charts: [] };
  window.apqReport = state;
  window.addEventListener('error', (e) => state.errors.push(String(e.message || e)));

  // --- formatting, as apqsim's text output does it (models/units.cpp) ---------------------------------------

  function sig3(x) {
    return String(Number(Number(x).toPrecision(3)));
  }
  function finite(x) {
    return typeof x === 'number' && Number.isFinite(x);
  }
  function fmtDuration(s) {
    if (!finite(s)) return '–';
    if (s < 0) return '-' + fmtDuration(-s);
    const r = Number(s.toPrecision(3));
    if (r === 0) return '0s';
    if (r < 1e-6) return sig3(s * 1e9) + 'ns';
    if (r < 1e-3) return sig3(s * 1e6) + 'us';
    if (r < 1) return sig3(s * 1e3) + 'ms';
    if (r < 60) return sig3(s) + 's';
    if (r < 3600) return sig3(s / 60) + 'min';
    return sig3(s / 3600) + 'h';
  }
  function fmtRate(x) {
    if (!finite(x)) return '–';
    if (x < 0) return '-' + fmtRate(-x);
    const r = Number(x.toPrecision(3));
    if (r === 0) return '0/s';
    if (r >= 1e9) return sig3(x / 1e9) + 'G/s';
    if (r >= 1e6) return sig3(x / 1e6) + 'M/s';
    if (r >= 1e3) return sig3(x / 1e3) + 'k/s';
    if (r >= 1) return sig3(x) + '/s';
    return sig3(x * 60) + '/min';
  }
  function fmtCount(x) {
    if (!finite(x)) return '–';
    return Number.isInteger(x) ? x.toLocaleString('en-US') : String(Number(x.toPrecision(4)));
  }
  function fmtPercent(x) {
    return finite(x) ? (100 * x).toFixed(3) + '%' : '–';
  }
  /** A value in the unit of a figure: s (duration), fraction (%), rate (/s) or count. */
  function fmtUnit(x, unit) {
    if (unit === 's') return fmtDuration(x);
    if (unit === 'fraction') return fmtPercent(x);
    if (unit === 'rate') return fmtRate(x);
    return fmtCount(x);
  }
  function fmtSigned(x, unit) {
    if (!finite(x)) return '–';
    return (x > 0 ? '+' : x < 0 ? '-' : '') + fmtUnit(Math.abs(x), unit);
  }
  /** The unit of a figure, from its path. */
  function unitOf(path) {
    if (/(_s$|_s\.|latency|wait_s|hold_s)/.test(path) && !/throughput_per_s/.test(path)) return 's';
    if (/throughput_per_s$/.test(path)) return 'rate';
    if (/(throughput_loss|utilization)$/.test(path)) return 'fraction';
    return 'count';
  }

  // --- DOM ----------------------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function section(parent, title, intro) {
    const s = el('section', {}, el('h2', {}, title));
    if (intro) s.append(el('p', { class: 'intro' }, intro));
    parent.append(s);
    return s;
  }
  function note(parent, text) {
    parent.append(el('p', { class: 'note' }, text));
  }
  /** A table: `columns` are [label, isText]; rows are arrays of cells (text or nodes), a row may be {cells, class}. */
  function table(parent, columns, rows, options) {
    const head = el('tr', {}, columns.map(([label, text]) => el('th', { class: text ? 'text' : null }, label)));
    const body = rows.map((row) => {
      const cells = Array.isArray(row) ? row : row.cells;
      return el('tr', { class: Array.isArray(row) ? null : row.class },
        cells.map((c, i) => el('td', { class: columns[i] && columns[i][1] ? 'text' : null }, c)));
    });
    const t = el('table', { class: options && options.class }, el('thead', {}, head), el('tbody', {}, body));
    parent.append(el('div', { class: options && options.scroll ? 'scroll' : 'scroll-x' }, t));
    return t;
  }
  function grid(parent) {
    const g = el('div', { class: 'grid' });
    parent.append(g);
    return g;
  }

  // --- charts -------------------------------------------------------------------------------------------------

  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#999933'];
  const colour = (i) => PALETTE[i % PALETTE.length];
  function rgba(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }
  // Reconfiguration operations by outcome, and violations.
  const OUTCOME = {
    ok: { label: 'operation ok', fill: 'rgba(0,158,115,0.10)', solid: '#009E73' },
    busy: { label: 'failed -EBUSY', fill: 'rgba(230,159,0,0.28)', solid: '#E69F00' },
    error: { label: 'failed, other errno', fill: 'rgba(213,94,0,0.30)', solid: '#D55E00' },
    hung: { label: 'never returned', fill: 'rgba(204,121,167,0.35)', solid: '#CC79A7' },
  };
  const VIOLATION = '#b3261e';
  const outcomeOf = (result) => (result === 'ok' ? 'ok' : result === 'EBUSY' ? 'busy' : result === 'hung' ? 'hung' : 'error');

  if (window.Chart) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = '#1d2330';
    Chart.defaults.animation = false;
  }

  /** Tick labels of a log axis: only at 1, 2 and 5 times a power of ten, or it crowds. */
  function logTicks(format) {
    return (value) => {
      const mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
      return [1, 2, 5].includes(Math.round(mantissa)) ? format(value) : '';
    };
  }
  function axis(type, title, unit, extra) {
    // Tick labels need no more digits than the ticks differ by.
    const format = unit === 'fraction' ? (v) => Number((100 * v).toPrecision(3)) + '%' : (v) => fmtUnit(v, unit);
    return Object.assign({
      type,
      title: { display: !!title, text: title },
      ticks: { callback: type === 'logarithmic' ? logTicks(format) : format, maxRotation: 0, autoSkipPadding: 12 },
    }, extra || {});
  }

  /** Error bars: a dataset's apqIntervals[i] = [lower, upper] is drawn as a whisker across its i-th element, and
   *  apqMarks[i] (a value) as a dot on it. */
  const intervalsPlugin = {
    id: 'apqIntervals',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const horizontal = chart.options.indexAxis === 'y';
      const valueScale = horizontal ? chart.scales.x : chart.scales.y;
      chart.data.datasets.forEach((ds, d) => {
        if (!ds.apqIntervals || !chart.isDatasetVisible(d)) return;
        const meta = chart.getDatasetMeta(d);
        const a = chart.chartArea;
        ctx.save();
        ctx.beginPath(); ctx.rect(a.left, a.top, a.width, a.height); ctx.clip();
        ctx.strokeStyle = ds.apqIntervalColour || '#1d2330';
        ctx.lineWidth = 1.5;
        meta.data.forEach((element, i) => {
          const at = horizontal ? element.y : element.x;
          const mark = ds.apqMarks && ds.apqMarks[i];
          if (finite(mark)) {
            const v = valueScale.getPixelForValue(mark);
            ctx.beginPath();
            ctx.arc(horizontal ? v : at, horizontal ? at : v, 4, 0, 2 * Math.PI);
            ctx.fillStyle = ctx.strokeStyle;
            ctx.fill();
          }
          const iv = ds.apqIntervals[i];
          if (!iv || !finite(iv[0]) || !finite(iv[1])) return;
          // On a log axis an interval reaching 0 or below runs off the axis.
          const log = valueScale.type === 'logarithmic';
          const lo = valueScale.getPixelForValue(log && iv[0] <= 0 ? valueScale.min : iv[0]);
          const hi = valueScale.getPixelForValue(log && iv[1] <= 0 ? valueScale.min : iv[1]);
          ctx.beginPath();
          if (horizontal) {
            ctx.moveTo(lo, at); ctx.lineTo(hi, at);
            ctx.moveTo(lo, at - 5); ctx.lineTo(lo, at + 5);
            ctx.moveTo(hi, at - 5); ctx.lineTo(hi, at + 5);
          } else {
            ctx.moveTo(at, lo); ctx.lineTo(at, hi);
            ctx.moveTo(at - 5, lo); ctx.lineTo(at + 5, lo);
            ctx.moveTo(at - 5, hi); ctx.lineTo(at + 5, hi);
          }
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  };

  /** A vertical line at x = 0 (paired differences: an interval crossing it is no evidence of a difference). */
  const zeroLinePlugin = {
    id: 'apqZero',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x.getPixelForValue(0);
      const a = chart.chartArea;
      if (x < a.left || x > a.right) return;
      const { ctx } = chart;
      ctx.save();
      ctx.strokeStyle = '#1d2330';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, a.top); ctx.lineTo(x, a.bottom); ctx.stroke();
      ctx.restore();
    },
  };

  /** Reconfiguration operations as bands behind a time chart (colour by outcome), the warm-up greyed, violations
   *  as red lines with their name. */
  function bandsPlugin(operations, violations, warmup) {
    return {
      id: 'apqBands',
      beforeDatasetsDraw(chart) {
        const { ctx, chartArea: a } = chart;
        const x = chart.scales.x;
        ctx.save();
        ctx.beginPath(); ctx.rect(a.left, a.top, a.width, a.height); ctx.clip();
        if (warmup > 0) {
          ctx.fillStyle = 'rgba(0,0,0,0.06)';
          ctx.fillRect(a.left, a.top, x.getPixelForValue(warmup) - a.left, a.height);
        }
        for (const op of operations) {
          const x1 = x.getPixelForValue(op.start);
          const x2 = x.getPixelForValue(op.end);
          ctx.fillStyle = OUTCOME[outcomeOf(op.result)].fill;
          ctx.fillRect(x1, a.top, Math.max(1, x2 - x1), a.height);
        }
        ctx.restore();
      },
      afterDatasetsDraw(chart) {
        const { ctx, chartArea: a } = chart;
        const x = chart.scales.x;
        ctx.save();
        ctx.strokeStyle = VIOLATION;
        ctx.fillStyle = VIOLATION;
        ctx.lineWidth = 1.5;
        ctx.font = 'bold 11px ' + Chart.defaults.font.family;
        let shift = 0;
        for (const v of violations) {
          const px = x.getPixelForValue(v.time);
          if (px < a.left || px > a.right) continue;
          ctx.setLineDash([5, 3]);
          ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
          ctx.setLineDash([]);
          ctx.beginPath(); ctx.moveTo(px - 5, a.top); ctx.lineTo(px + 5, a.top); ctx.lineTo(px, a.top + 7); ctx.fill();
          ctx.fillText(v.label, Math.min(px + 6, a.right - 120), a.top + 12 + 12 * (shift++ % 3));
        }
        ctx.restore();
      },
    };
  }

  /** A figure with a chart in it; the chart is registered for the page's self-check and the browser test. */
  function chart(parent, title, caption, config, height) {
    const fig = el('div', { class: 'figure' }, el('h3', {}, title));
    if (caption) fig.append(el('p', { class: 'caption' }, caption));
    const box = el('div', { class: 'chart' });
    if (height) box.style.height = height + 'px';
    const canvas = el('canvas', { role: 'img', 'aria-label': title });
    box.append(canvas);
    fig.append(box);
    parent.append(fig);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    config.options.plugins = Object.assign({ legend: { labels: { boxWidth: 14, filter: legendFilter } } },
      config.options.plugins);
    const c = new Chart(canvas.getContext('2d'), config);
    state.charts.push({ title, chart: c });
    return c;
  }
  function legendFilter(item, data) {
    const ds = data.datasets[item.datasetIndex];
    return !ds.apqBand;
  }
  /** Whether a chart drew data: some visible dataset that is not a guide (SLO line, band edge) has an element at
   *  finite coordinates. The browser test asks the same of every chart on the page. */
  function drewData(c) {
    return c.data.datasets.some((ds, i) => !ds.apqGuide && c.isDatasetVisible(i) &&
      c.getDatasetMeta(i).data.some((e) => e && !e.skip && finite(e.x) && finite(e.y)));
  }
  window.apqReport.drewData = drewData;

  /** An interval figure {mean, half_width, lower, upper, n, method} as text, as apqsim's tables print it: a tail
   *  quantile (method "exceedance") as its pooled estimate and asymmetric interval, the largest latency of all
   *  replications (method "largest") without one, anything else as mean ± half-width. */
  function fmtInterval(ci, unit, signed) {
    if (!ci) return '–';
    const f = signed ? (x) => fmtSigned(x, unit) : (x) => fmtUnit(x, unit);
    if (ci.method === 'exceedance') {
      const hi = finite(ci.upper) ? f(ci.upper) : '∞';
      return f(ci.mean) + ' [' + (finite(ci.lower) ? f(ci.lower) : '–') + ', ' + hi + ']';
    }
    if (ci.method === 'largest') return f(ci.mean) + ' (largest of all replications)';
    return ci.half_width === null || ci.half_width === undefined
      ? f(ci.mean) + ' (n=' + ci.n + ', no interval)'
      : f(ci.mean) + ' ± ' + fmtUnit(ci.half_width, unit);
  }
  function bounds(ci) {
    return ci && finite(ci.lower) && finite(ci.upper) ? [ci.lower, ci.upper] : null;
  }

  // --- pieces every kind shares ---------------------------------------------------------------------------

  function header(root, title, sub, badges) {
    const h = el('header', { class: 'top' }, el('h1', {}, title));
    if (sub) h.append(el('div', { class: 'sub' }, sub));
    if (badges && badges.length) h.append(el('div', { class: 'badges' }, badges.map(([text, kind]) =>
      el('span', { class: 'badge ' + (kind || '') }, text))));
    root.append(h);
  }
  /** What the statistics say cannot be trusted (figures.hpp StatWarning: {figure, message}, as apqsim prints them
   *  on stderr), each [prefix, warning]: a few as they are, many folded under one line that says how many. */
  function warningsBox(parent, items) {
    const texts = items.filter(([, w]) => w && w.message)
      .map(([prefix, w]) => (prefix ? prefix + ': ' : '') + (w.figure ? w.figure + ': ' : '') + w.message);
    if (texts.length <= 3) {
      for (const t of texts) parent.append(el('div', { class: 'warning' }, t));
      return;
    }
    parent.append(el('div', { class: 'warning' }, el('details', {}, el('summary', {}, `${texts.length} statistical ` +
      'warnings: intervals that may not hold (more replications or longer runs help)'), el('ul', {},
      texts.map((t) => el('li', {}, t))))));
  }
  function warningsList(parent, warnings, prefix) {
    warningsBox(parent, (warnings || []).map((w) => [prefix, w]));
  }
  function manifestSection(root, manifest, extra) {
    if (!manifest) return;
    const s = section(root, 'Manifest', 'Where this result comes from: the same configuration and seed give the ' +
      'same result.');
    const rows = [
      ['apqsim', manifest.version && manifest.version + ' (commit ' + manifest.git_commit + ')'],
      ['SimGrid', manifest.simgrid_version],
      ['configuration', manifest.config_file],
      ['config sha256', manifest.config_sha256],
      ['seed', manifest.seeds ? manifest.seeds.join(', ') : manifest.seed],
    ].concat(extra || []).filter(([, v]) => v !== undefined && v !== null);
    table(s, [['', true], ['', true]], rows);
    if (manifest.config && Object.keys(manifest.config).length) {
      s.append(el('details', {}, el('summary', {}, 'resolved configuration (includes and overrides applied)'),
        el('pre', {}, JSON.stringify(manifest.config, null, 2))));
    }
  }
  function get(object, path) {
    return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), object);
  }

  // --- run ------------------------------------------------------------------------------------------------

  /** The per-guest series of a run (series_json: window_s, guests.NAME.{completed, failed, mean/p50/p99 latency,
   *  usable_queues, in_flight}, all). */
  function seriesSets(series) {
    if (!series || !finite(series.window_s) || series.window_s <= 0 || !series.guests) return null;
    return { window: series.window_s, sets: series.guests };
  }
  function operationsOf(doc) {
    if (doc.reconfiguration && Array.isArray(doc.reconfiguration.events)) {
      return doc.reconfiguration.events.map((e) => Object.assign({}, e, { start: e.start_s, end: e.end_s }));
    }
    const timeline = (doc.control && doc.control.timeline) || [];
    return timeline.map((t) => Object.assign({ actor: t.name }, t, { start: t.start_s, end: t.end_s }));
  }
  function violationsOf(doc) {
    const m = doc.monitors || {};
    const out = [];
    for (const d of m.deadlocks || []) {
      out.push({ time: d.time_s, label: 'DEADLOCK', text: 'DEADLOCK at ' + fmtDuration(d.time_s) + ': ' +
        d.cycle.map((c) => `${c.actor} running ${c.op} holds ${c.holds} and waits for ${c.wants}`).join('; ') +
        '. These operations never return.' });
    }
    for (const q of m.stolen_queues || []) {
      out.push({ time: q.time_s, label: 'STOLEN QUEUE', text: `STOLEN QUEUE at ${fmtDuration(q.time_s)}: queue ` +
        `${q.queue} of mdev ${q.mdev}${q.guest ? ' (guest ' + q.guest + ')' : ''}, assigned by ${q.assigned_by} at ` +
        `${fmtDuration(q.assigned_at_s)}, was given to host drivers by ${q.taken_by}.` });
    }
    for (const i of m.lock_order_inversions || []) {
      out.push({ time: i.time_s, label: 'LOCK ORDER', text: `LOCK ORDER INVERSION at ${fmtDuration(i.time_s)}: ` +
        `${i.locks.join(' -> ')}: the order taken by ${i.established_by} is inverted by ${i.inverted_by}.` });
    }
    for (const b of m.kernel_bugs || []) {
      out.push({ time: b.time_s, label: 'KERNEL BUG', text: `KERNEL BUG at ${fmtDuration(b.time_s)}: ${b.actor} ` +
        `running ${b.op} at ${b.where}: ${b.what}; the task dies holding its locks.` });
    }
    return out;
  }

  const TIME_METRICS = [
    { title: 'Throughput', unit: 'rate', needs: 'completed', caption: 'requests completed per second, per window',
      value: (s, i, w) => s.completed[i] / w },
    { title: 'p99 latency', unit: 's', needs: 'p99_latency_s', log: true, caption: '99th percentile of the ' +
      'latency of the requests completed in each window', value: (s, i) => (s.completed && s.completed[i] > 0 ? s.p99_latency_s[i] : null) },
    { title: 'Mean latency', unit: 's', needs: 'mean_latency_s', log: true, onlyWithout: 'p99_latency_s',
      caption: 'mean latency of the requests completed in each window',
      value: (s, i) => (s.completed && s.completed[i] > 0 ? s.mean_latency_s[i] : null) },
    { title: 'Failures', unit: 'rate', needs: 'failed', caption: 'requests failed per second (no usable queue, ' +
      'retried too often, guest stopped), per window', value: (s, i, w) => s.failed[i] / w },
    { title: 'Usable queues', unit: 'count', needs: 'usable_queues', stepped: true, caption: 'AP queues each ' +
      'guest can send on', value: (s, i) => s.usable_queues[i] },
    { title: 'Requests in flight', unit: 'count', needs: 'in_flight', caption: 'requests issued and not yet ' +
      'completed or failed', value: (s, i) => s.in_flight[i] },
  ];

  function timeCharts(parent, doc) {
    const run = seriesSets(doc.series);
    if (!run) {
      note(parent, 'This result has no time series.');
      return;
    }
    const base = seriesSets(doc.baseline && doc.baseline.series);
    const names = Object.keys(run.sets);
    const operations = operationsOf(doc);
    const violations = violationsOf(doc);
    const warmup = (doc.run && doc.run.warmup_s) || 0;
    const legend = el('div', { class: 'legend' });
    legend.append(el('span', {}, el('span', { class: 'swatch', style: 'background:rgba(0,0,0,0.06)' }), 'warm-up (not measured)'));
    if (operations.length) {
      const seen = new Set(operations.map((o) => outcomeOf(o.result)));
      for (const [k, o] of Object.entries(OUTCOME)) {
        if (seen.has(k)) legend.append(el('span', {}, el('span', { class: 'swatch', style: 'background:' + o.fill }), o.label));
      }
    }
    if (violations.length) legend.append(el('span', {}, el('span', { class: 'swatch', style: 'background:' + VIOLATION }), 'violation'));
    if (base) legend.append(el('span', {}, '- - - baseline (same seeds, no reconfiguration)'));
    parent.append(legend);
    const g = grid(parent);
    for (const metric of TIME_METRICS) {
      if (!names.some((n) => Array.isArray(run.sets[n][metric.needs]))) continue;
      if (metric.onlyWithout && names.some((n) => Array.isArray(run.sets[n][metric.onlyWithout]))) continue;
      const datasets = [];
      const add = (sets, window, n, k, dashed) => {
        const s = sets[n];
        if (!s || !Array.isArray(s[metric.needs])) return;
        const data = s[metric.needs].map((_, i) => {
          const y = metric.value(s, i, window);
          return { x: (i + 0.5) * window, y: finite(y) && (!metric.log || y > 0) ? y : null };
        });
        datasets.push({ label: n + (dashed ? ' (baseline)' : ''), data, borderColor: colour(k),
          backgroundColor: colour(k), borderWidth: dashed ? 1.2 : 1.6, borderDash: dashed ? [5, 4] : [],
          pointRadius: 0, stepped: metric.stepped ? 'middle' : false, spanGaps: false });
      };
      names.forEach((n, k) => add(run.sets, run.window, n, k, false));
      if (base) names.forEach((n, k) => add(base.sets, base.window, n, k, true));
      chart(g, metric.title, metric.caption + ' (window ' + fmtDuration(run.window) + ')', {
        type: 'line',
        data: { datasets },
        options: {
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: axis('linear', 'simulated time', 's', { min: 0, max: doc.run ? doc.run.horizon_s : undefined }),
            y: axis(metric.log ? 'logarithmic' : 'linear', null, metric.unit, metric.log ? {} : { beginAtZero: true }),
          },
          plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + fmtUnit(c.parsed.y, metric.unit),
            title: (items) => 't = ' + fmtDuration(items[0].parsed.x) } } },
        },
        plugins: [bandsPlugin(operations, violations, warmup)],
      });
    }
  }

  /** CCDF points {x: latency, y: fraction slower} from a result's latency_ccdf, else from its percentiles. */
  function ccdfPoints(ccdf, percentiles) {
    let points = [];
    if (ccdf && Array.isArray(ccdf.latency_s) && ccdf.latency_s.length) {
      points = ccdf.latency_s.map((x, i) => ({ x, y: ccdf.exceeding[i] }));
    } else if (percentiles) {
      points = [['p50', 0.5], ['p90', 0.1], ['p99', 0.01], ['p999', 0.001], ['p9999', 1e-4]]
        .map(([k, y]) => ({ x: percentiles[k], y }));
    }
    return points.filter((p) => finite(p.x) && p.x > 0 && finite(p.y) && p.y > 0);
  }
  function ccdfChart(parent, title, caption, curves, what) {
    const datasets = curves.filter((c) => c.points.length).map((c, k) => ({
      label: c.label, data: c.points, borderColor: c.colour || colour(k), backgroundColor: c.colour || colour(k),
      borderDash: c.dashed ? [5, 4] : [], pointRadius: 1.5, borderWidth: 1.6,
    }));
    what = what || { axis: 'fraction of requests slower', x: 'latency', verb: 'slower than' };
    if (!datasets.length) return false;
    chart(parent, title, caption, {
      type: 'line',
      data: { datasets },
      options: {
        scales: {
          x: axis('logarithmic', what.x, 's'),
          y: axis('logarithmic', what.axis, 'count', { max: 1,
            ticks: { callback: logTicks((v) => (v >= 0.01 ? String(v) : v.toExponential(0))) } }),
        },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${(100 * c.parsed.y).toPrecision(3)}% ` +
          `${what.verb} ${fmtDuration(c.parsed.x)}` } } },
      },
    });
    return true;
  }

  function latencyTable(parent, doc) {
    const columns = [['guest', true], ['offered'], ['completed'], ['failed'], ['throughput'], ['mean'], ['p50'],
      ['p90'], ['p99'], ['p999'], ['max']];
    const row = (name, g, cls) => ({ class: cls, cells: [name, fmtCount(g.offered), fmtCount(g.completed),
      fmtCount(g.failed), fmtRate(g.throughput_per_s), ...['mean', 'p50', 'p90', 'p99', 'p999', 'max']
        .map((k) => fmtDuration(g.latency_s && g.latency_s[k]))] });
    const rows = Object.entries(doc.guests || {}).map(([n, g]) => row(n, g));
    if (doc.summary) rows.push(row('all', doc.summary, 'total'));
    if (doc.baseline && doc.baseline.latency_s) {
      const window = (doc.run && doc.run.window_s) || 0;
      for (const [n, g] of Object.entries(doc.baseline.guests || {})) {
        rows.push(row('baseline ' + n, Object.assign({ throughput_per_s: window > 0 ? g.completed / window : null }, g)));
      }
      rows.push(row('baseline (all)', doc.baseline));
    }
    table(parent, columns, rows);
  }

  function renderRun(root, doc, data) {
    const m = doc.manifest || {};
    const control = doc.control || {};
    const violations = violationsOf(doc);
    const badges = [];
    if (control.enabled) badges.push(['strategy ' + control.strategy]);
    if (doc.summary && finite(doc.summary.throughput_loss)) {
      badges.push(['throughput loss ' + fmtPercent(doc.summary.throughput_loss), doc.summary.throughput_loss > 0.001 ? 'warn' : 'ok']);
    }
    if (control.enabled) badges.push(violations.length ? [violations.length + ' violation' + (violations.length > 1 ? 's' : ''), 'bad'] : ['no violation', 'ok']);
    header(root, data.title, `seed ${m.seed} · config ${(m.config_sha256 || '').slice(0, 12)} · measured ` +
      `${fmtDuration(doc.run.warmup_s)}..${fmtDuration(doc.run.horizon_s)} (warm-up ${fmtDuration(doc.run.warmup_s)})` +
      ` · ${fmtCount(doc.run.events)} events`, badges);

    const summary = section(root, 'Summary', 'Throughput and latency (arrival to reply collected) of the requests ' +
      'collected after the warm-up.');
    latencyTable(summary, doc);
    if (doc.summary && finite(doc.summary.throughput_loss)) {
      note(summary, `Throughput loss against the baseline (same seeds, no reconfiguration): ` +
        `${fmtPercent(doc.summary.throughput_loss)}, ${fmtCount(doc.summary.lost_requests)} requests, ` +
        `${fmtDuration(doc.summary.lost_request_seconds)} of baseline throughput.`);
    }
    const impact = doc.reconfiguration && doc.reconfiguration.impact && doc.reconfiguration.impact.all;
    if (impact) {
      note(summary, `${fmtCount(doc.reconfiguration.event_count)} reconfiguration operations; ` +
        `${fmtCount(impact.offered)} requests belong to one (issued in its window or touched by it): ` +
        `${fmtCount(impact.failed)} failed, ${fmtCount(impact.retried)} retried` +
        (finite(impact.extra_delay_request_s) ? `, ${fmtDuration(impact.extra_delay_request_s)}·requests of extra ` +
          `delay against the same requests in the baseline, ${fmtCount(impact.slow)} slow (baseline: ` +
          `${fmtCount(impact.baseline_slow)})` : '') + '.');
    }
    if (doc.cards && Object.keys(doc.cards).length) {
      table(summary, [['card', true], ['type', true], ['engines'], ['utilization'], ['served']],
        Object.entries(doc.cards).map(([id, c]) => [id, c.type, fmtCount(c.engines), fmtPercent(c.utilization), fmtCount(c.served)]));
    }

    timeCharts(section(root, 'Over time', 'Each guest per window, next to its baseline; reconfiguration operations ' +
      'are bands from their start to their end, coloured by outcome, and violations are red lines.'), doc);

    const dist = section(root, 'Latency distribution', 'The fraction of requests slower than a latency ' +
      '(complementary CDF) on log axes: the tail is where reconfiguration shows.');
    const dg = grid(dist);
    const curves = [{ label: 'all guests', points: ccdfPoints(doc.summary && doc.summary.latency_ccdf, doc.summary && doc.summary.latency_s) }];
    if (doc.baseline) curves.push({ label: 'baseline', dashed: true, colour: '#555555', points: ccdfPoints(doc.baseline.latency_ccdf, doc.baseline.latency_s) });
    if (impact && impact.offered > 0) {
      curves.push({ label: 'requests that belong to a reconfiguration', colour: '#D55E00', points: ccdfPoints(impact.latency_ccdf) });
      if (impact.baseline_latency_ccdf) curves.push({ label: 'the same requests in the baseline', dashed: true, colour: '#E69F00', points: ccdfPoints(impact.baseline_latency_ccdf) });
    }
    ccdfChart(dg, doc.baseline ? 'Reconfiguration against the baseline' : 'All guests', 'measured after the warm-up' +
      (impact && impact.baseline_latency_ccdf ? '; the requests that belong to a reconfiguration next to the same ' +
        'requests in the baseline (same seeds)' : ''), curves);
    const guests = Object.entries(doc.guests || {});
    if (guests.length > 1) {
      ccdfChart(dg, 'Per guest', 'measured after the warm-up', guests.map(([n, g]) => ({ label: n, points: ccdfPoints(g.latency_ccdf, g.latency_s) })));
    }

    if (control.enabled) reconfigurationSection(root, doc);
    if (violations.length || (doc.monitors && doc.monitors.hung && doc.monitors.hung.length)) {
      const s = section(root, 'Violations', 'What the monitors found (deadlocks, stolen queues, lock-order inversions).');
      for (const v of violations) s.append(el('div', { class: 'violation' }, v.text));
      if (doc.monitors.hung && doc.monitors.hung.length) note(s, 'Still blocked at the end: ' + doc.monitors.hung.join(', ') + '.');
    }
    manifestSection(root, m, control.enabled ? [['strategy file', control.strategy_file]] : []);
  }

  function reconfigurationSection(root, doc) {
    const control = doc.control;
    const s = section(root, 'Reconfiguration', `Strategy ${control.strategy} (${control.strategy_file}): every ` +
      'operation invocation (admins, AP bus, vCPUs) and every kernel lock.');
    const d = doc.data || {};
    note(s, `Data path: ${fmtCount(d.unplugs)} unplugs, ${fmtCount(d.plugs)} plugs, ${fmtCount(d.resets)} queue ` +
      `resets, ${fmtCount(d.requests_lost)} requests lost in the card, ${fmtCount(d.requests_retried)} retried.`);
    impactTable(s, doc);
    const g = grid(s);
    const ops = Object.entries(control.ops || {}).filter(([, o]) => o.attempts > 0);
    if (ops.length) {
      const errnos = [...new Set(ops.flatMap(([, o]) => Object.keys(o.errors || {})))].sort();
      const datasets = [{ label: 'ok', data: ops.map(([, o]) => o.successes), backgroundColor: OUTCOME.ok.solid }]
        .concat(errnos.map((e, k) => ({ label: '-' + e, data: ops.map(([, o]) => (o.errors || {})[e] || 0),
          backgroundColor: e === 'EBUSY' ? OUTCOME.busy.solid : [OUTCOME.error.solid, '#CC79A7', '#56B4E9', '#000000'][k % 4] })));
      chart(g, 'Operation outcomes', 'invocations of each operation by result (retries are invocations too)', {
        type: 'bar',
        data: { labels: ops.map(([n]) => n), datasets },
        options: { indexAxis: 'y', scales: { x: axis('linear', 'invocations', 'count', { stacked: true, beginAtZero: true }),
          y: { stacked: true } } },
      }, 70 + 24 * ops.length);
    }
    const locks = Object.entries(control.locks || {}).filter(([, l]) => l.acquisitions > 0 || l.trylock_failures > 0);
    const waits = locks.map(([n, l], k) => ({ label: n, colour: colour(k), points: ccdfPoints(l.wait_ccdf) }));
    const holds = locks.map(([n, l], k) => ({ label: n, colour: colour(k), points: ccdfPoints(l.hold_ccdf) }));
    if (!ccdfChart(g, 'Lock wait', 'time from asking for a lock to owning it, per lock class (waits of 0 are left ' +
      'out)', waits, { axis: 'fraction of acquisitions', x: 'wait', verb: 'waited longer than' }) && locks.length) {
      note(s, 'No lock was ever waited for.');
    }
    ccdfChart(g, 'Lock hold', 'time from owning a lock to releasing it, per lock class', holds,
      { axis: 'fraction of holds', x: 'hold', verb: 'held longer than' });

    table(s, [['operation', true], ['attempts'], ['ok'], ['EBUSY'], ['retries'], ['errors', true], ['mean'], ['p99'],
      ['max'], ['to final outcome (p99)']], ops.map(([n, o]) => [n, fmtCount(o.attempts), fmtCount(o.successes),
      fmtCount(o.ebusy), fmtCount(o.retries), Object.entries(o.errors || {}).map(([e, c]) => e + ':' + c).join(' ') || '-',
      fmtDuration(o.latency_s.mean), fmtDuration(o.latency_s.p99), fmtDuration(o.latency_s.max),
      o.completion_s && o.completion_s.p99 > 0 ? fmtDuration(o.completion_s.p99) : '-']));
    table(s, [['lock', true], ['acquisitions'], ['contentions'], ['try-busy'], ['wait mean'], ['wait p99'],
      ['wait max'], ['hold p99'], ['hold max']], locks.map(([n, l]) => [n, fmtCount(l.acquisitions),
      fmtCount(l.contentions), fmtCount(l.trylock_failures), fmtDuration(l.wait_s.mean), fmtDuration(l.wait_s.p99),
      fmtDuration(l.wait_s.max), fmtDuration(l.hold_s.p99), fmtDuration(l.hold_s.max)]));

    const operations = operationsOf(doc);
    if (operations.length) {
      // Per event: what it did to the requests that belong to it, and how long each guest took to recover.
      const recover = (o) => Object.entries(o.guests || {}).map(([n, f]) => n + ' ' + (f.time_to_recover_s === null ||
        f.time_to_recover_s === undefined ? (doc.reconfiguration.paired_with_baseline ? 'never' : '–') :
        fmtDuration(f.time_to_recover_s))).join(', ');
      const rows = operations.map((o) => [fmtDuration(o.start), o.actor || '', o.op || '', o.target || '',
        el('span', { class: o.result === 'ok' ? 'status-ok' : 'status-bad' }, o.result), fmtCount(o.attempts),
        o.finished === false ? 'never ended' : fmtDuration(o.end - o.start), fmtCount(o.all && o.all.offered),
        fmtCount(o.all && o.all.failed), fmtDuration(o.all && o.all.extra_delay_request_s), recover(o)]);
      s.append(el('h3', {}, `Operations (${operations.length})`));
      table(s, [['start'], ['actor', true], ['operation', true], ['target', true], ['result', true], ['attempts'],
        ['duration'], ['requests'], ['failed'], ['extra delay (·requests)'], ['time to recover', true]], rows,
      { scroll: true });
    }
  }

  /** Per guest, the requests that belong to a reconfiguration (issued in an operation's window or touched by it)
   *  and what became of them, against the same requests in the baseline. */
  function impactTable(parent, doc) {
    const r = doc.reconfiguration;
    if (!r || !r.impact) return;
    const paired = r.paired_with_baseline;
    const recover = (f) => {
      const t = f.time_to_recover_s;
      if (!t) return '–';
      return t.not_recovered > 0 ? `never (${t.not_recovered} events)` : fmtDuration(t.max);
    };
    const row = (name, f, cls) => ({ class: cls, cells: [name, fmtCount(f.offered), fmtCount(f.completed),
      fmtCount(f.failed), fmtCount(f.unfinished), fmtCount(f.retried), fmtCount(f.lost_in_card),
      paired ? fmtDuration(f.extra_delay_request_s) : '–', paired ? `${fmtCount(f.slow)} / ${fmtCount(f.baseline_slow)}` : '–',
      fmtDuration(f.latency_s && f.latency_s.p99), paired ? fmtDuration(f.baseline_latency_s && f.baseline_latency_s.p99) : '–',
      f.time_to_recover_s !== undefined ? recover(f) : ''] });
    const rows = Object.entries(r.impact.guests || {}).map(([n, f]) => row(n, f));
    if (r.impact.all) rows.push(row('all', r.impact.all, 'total'));
    parent.append(el('h3', {}, 'What the operations did to the guests\' requests'));
    note(parent, `A request belongs to an operation if it was issued in its window (start to end + ` +
      `${fmtDuration(r.window_after_s)}) or the operation touched it. ` + (paired ? 'Extra delay is the sum over ' +
      'these requests of their latency minus their own latency in the baseline; slow: slower than the guest\'s ' +
      'threshold (' + Object.entries(r.slow_threshold_s || {}).map(([n, t]) => n + ' ' + fmtDuration(t)).join(', ') +
      (r.slow_threshold_source ? ', ' + r.slow_threshold_source : '') + '), here / in the baseline.'
      : 'No baseline: extra delay, slow requests and recovery are not known.'));
    table(parent, [['guest', true], ['requests'], ['completed'], ['failed'], ['unfinished'], ['retried'],
      ['lost in card'], ['extra delay (·requests)'], ['slow / baseline'], ['p99'], ['baseline p99'],
      ['time to recover (max)']], rows);
  }

  // --- a run with replications ----------------------------------------------------------------------------

  /** Axis bounds that show every interval whole (a linear axis that starts at 0 unless an interval goes below). */
  function spanOf(intervals, extra) {
    const values = intervals.flatMap((ci) => (ci ? [ci.mean, ci.lower, ci.upper] : [])).concat(extra || []).filter(finite);
    return { suggestedMin: Math.min(0, ...values), suggestedMax: Math.max(0, ...values) };
  }
  function intervalBars(parent, title, caption, labels, intervals, unit, log) {
    const means = intervals.map((ci) => (ci && finite(ci.mean) && (!log || ci.mean > 0) ? ci.mean : null));
    if (!means.some((v) => v !== null)) return;
    chart(parent, title, caption, {
      type: 'bar',
      data: { labels, datasets: [{ label: title, data: means, apqIntervals: intervals.map(bounds),
        backgroundColor: labels.map((_, k) => rgba(colour(k), 0.55)), borderColor: labels.map((_, k) => colour(k)), borderWidth: 1 }] },
      options: { scales: { y: axis(log ? 'logarithmic' : 'linear', null, unit, log ? {} : spanOf(intervals)) },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => fmtInterval(intervals[c.dataIndex], unit) } } } },
      plugins: [intervalsPlugin],
    });
  }

  function renderReplicated(root, doc, data) {
    const m = doc.manifest || {};
    const rep = doc.replications || {};
    const F = doc.figures || {};
    const conf = rep.confidence || 0.95;
    const badges = [[`${rep.count} replications`]];
    if (rep.incomplete) badges.push(['incomplete', 'bad']);
    if (rep.target) badges.push([rep.target.reached ? 'target precision reached' : 'target precision not reached', rep.target.reached ? 'ok' : 'warn']);
    if ((doc.warnings || []).length) badges.push([doc.warnings.length + ' statistical warning' + (doc.warnings.length > 1 ? 's' : ''), 'warn']);
    header(root, data.title, `${rep.count} replications (seeds ${(m.seeds || []).join(', ')}) · ${conf * 100}% ` +
      'confidence intervals' + (rep.warmup_detected ? ` · warm-up ${fmtDuration(rep.warmup_s)} (${rep.warmup_detected})` : ''),
    badges);
    const s = section(root, 'Figures', 'Mean over the replications ± the half-width of its Student-t interval; ' +
      'latency quantiles: the estimate pooled over the replications [its interval, from their exceedance fractions].');
    if (rep.incomplete) s.append(el('div', { class: 'warning' }, 'Incomplete: ' + rep.incomplete));
    warningsList(s, doc.warnings);
    const guests = [...new Set(Object.keys(F).filter((p) => p.startsWith('guests.')).map((p) => p.split('.')[1]))];
    const rows = [['throughput', 'summary.throughput_per_s'], ['completed', 'summary.completed'],
      ['failed', 'summary.failed'], ['completed-request deficit (throughput loss)', 'summary.throughput_loss']]
      .concat(['mean', 'p50', 'p90', 'p99', 'p999', 'max'].map((q) => ['latency ' + q, 'summary.latency_s.' + q]))
      .concat(guests.flatMap((g) => [[g + ' throughput', `guests.${g}.throughput_per_s`], [g + ' failed', `guests.${g}.failed`],
        [g + ' p99', `guests.${g}.latency_s.p99`]]))
      .concat(guests.flatMap((g) => [[g + ': requests that belong to a reconfiguration', `reconfiguration.impact.guests.${g}.offered`],
        [g + ': of those failed', `reconfiguration.impact.guests.${g}.failed`],
        [g + ': their extra delay (·requests)', `reconfiguration.impact.guests.${g}.extra_delay_request_s`],
        [g + ': their p99', `reconfiguration.impact.guests.${g}.latency_s.p99`],
        [g + ': longest time to recover', `reconfiguration.impact.guests.${g}.time_to_recover_s.max`]]))
      .concat([['deadlocks per run', 'monitors.deadlocks'], ['stolen queues per run', 'monitors.stolen_queues'],
        ['lock-order inversions per run', 'monitors.lock_order_inversions'], ['kernel bugs per run', 'monitors.kernel_bugs']])
      .filter(([, p]) => F[p]);
    table(s, [['figure', true], ['estimate and interval'], ['lower'], ['upper'], ['n']], rows.map(([label, p]) =>
      [label, fmtInterval(F[p], unitOf(p)), finite(F[p].lower) ? fmtUnit(F[p].lower, unitOf(p)) : '–',
        finite(F[p].upper) ? fmtUnit(F[p].upper, unitOf(p)) : '–', F[p].n]));
    const g = grid(s);
    const qs = ['p50', 'p90', 'p99', 'p999'];
    intervalBars(g, 'Latency percentiles (all guests)', 'mean and confidence interval over the replications', qs,
      qs.map((q) => F['summary.latency_s.' + q]), 's', true);
    if (guests.length) {
      intervalBars(g, 'p99 latency per guest', 'mean and confidence interval', guests, guests.map((n) => F[`guests.${n}.latency_s.p99`]), 's', false);
      intervalBars(g, 'Throughput per guest', 'mean and confidence interval', guests, guests.map((n) => F[`guests.${n}.throughput_per_s`]), 'rate', false);
    }
    manifestSection(root, m);
  }

  // --- compare --------------------------------------------------------------------------------------------

  function renderCompare(root, doc, data) {
    const c = doc.compare;
    const variants = c.variants;
    const names = variants.map((v) => v.name);
    const conf = c.confidence || 0.95;
    const correction = c.correction || {};
    const badges = [['reference: ' + c.reference]];
    if (c.incomplete) badges.push(['incomplete', 'bad']);
    if ((c.unexpected_violations || []).length) badges.push([c.unexpected_violations.length + ' unexpected violations', 'bad']);
    header(root, data.title, `${variants.length} variants · ${c.replications} replications each with common random ` +
      `numbers (seeds ${((doc.manifest || {}).seeds || []).join(', ')}) · ${conf * 100}% intervals`, badges);
    if (c.incomplete) root.append(el('div', { class: 'warning' }, 'Incomplete: only the replications every variant ' +
      'completed (' + c.incomplete + ').'));
    for (const u of c.unexpected_violations || []) root.append(el('div', { class: 'violation' }, 'Unexpected: ' + u));
    const figures = data.key_figures.concat([{ label: 'throughput', path: 'summary.throughput_per_s', unit: 'rate' }])
      .filter((f) => variants.some((v) => v.figures[f.path]));
    const s = section(root, 'Figures per variant', 'Mean over the replications ± the half-width of its confidence ' +
      'interval; p99 and p999: the estimate pooled over the replications [its interval].');
    table(s, [['variant', true]].concat(figures.map((f) => [f.label])), variants.map((v) =>
      [v.name].concat(figures.map((f) => fmtInterval(v.figures[f.path], f.unit)))));
    warningsBox(s, variants.flatMap((v) => (v.warnings || []).map((w) => [v.name, w])));
    const g = grid(s);
    for (const f of figures) {
      intervalBars(g, f.label, f.path, names, variants.map((v) => v.figures[f.path]), f.unit, false);
    }
    const others = variants.slice(1);
    if (!others.length) return;
    const level = finite(correction.interval_level) ? correction.interval_level : conf;
    const p = section(root, 'Paired differences against ' + c.reference, 'Replication r of every variant sees the ' +
      'same requests (common random numbers), so the difference of each pair is measured more precisely than the ' +
      `figures themselves. ${fmtCount(correction.comparisons)} comparisons: each interval at ` +
      `${Number((100 * level).toPrecision(3))}% (Bonferroni: ${conf * 100}% for all together); * (and a solid bar): a ` +
      `difference by Holm's step-down test at ${Number((100 * (1 - conf)).toPrecision(3))}% familywise. Figures ` +
      'identical in every pair are no comparison.');
    const comparison = (v, path) => (c.comparisons || []).find((x) => x.variant === v.name && x.metric === path);
    const diffFigures = figures.filter((f) => others.some((v) => comparison(v, f.path) || v.paired_vs_reference[f.path]));
    table(p, [['variant', true]].concat(diffFigures.map((f) => [f.label])), others.map((v) =>
      [v.name].concat(diffFigures.map((f) => {
        const x = comparison(v, f.path);
        if (x) return fmtInterval(x, f.unit, true) + (x.different ? ' *' : '');
        const plain = v.paired_vs_reference[f.path];
        return plain && plain.mean === 0 ? 'identical' : '–';
      }))));
    const pg = grid(p);
    for (const f of diffFigures) {
      const ivs = others.map((v) => comparison(v, f.path));
      if (!ivs.some((ci) => ci && finite(ci.mean))) continue;
      chart(pg, f.label + ' − ' + c.reference, 'mean difference (dot) and its Bonferroni interval (bar); solid: ' +
        'different by Holm', {
        type: 'bar',
        data: { labels: others.map((v) => v.name), datasets: [
          { label: 'interval', data: ivs.map((ci) => (bounds(ci) || (ci && finite(ci.mean) ? [ci.mean, ci.mean] : null))),
            apqMarks: ivs.map((ci) => ci && ci.mean), apqIntervals: ivs.map(() => null),
            backgroundColor: others.map((_, k) => rgba(colour(k + 1), ivs[k] && ivs[k].different ? 0.75 : 0.25)),
            borderColor: others.map((_, k) => colour(k + 1)), borderWidth: 1, barPercentage: 0.5 },
        ] },
        options: { indexAxis: 'y', scales: { x: axis('linear', null, f.unit) },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => {
            const ci = ivs[ctx.dataIndex];
            return ci ? fmtInterval(ci, f.unit, true) + ` (p = ${Number(ci.p_value.toPrecision(3))}` +
              (ci.different ? ', different by Holm)' : ')') : 'identical';
          } } } } },
        plugins: [zeroLinePlugin, intervalsPlugin],
      }, 60 + 44 * others.length);
    }
    const set = section(root, 'Variants', 'The overrides each variant applies to ' + ((doc.manifest || {}).config_file || 'the experiment file') + '.');
    table(set, [['variant', true], ['overrides', true], ['config sha256', true]], variants.map((v) =>
      [v.name, Object.entries(v.set || {}).map(([k, x]) => k + ' = ' + x).join(', ') || '-', (v.config_sha256 || '').slice(0, 12)]));
    manifestSection(root, doc.manifest);
  }

  // --- sweep ----------------------------------------------------------------------------------------------

  function renderSweep(root, doc, data) {
    const points = doc.points || [];
    const factors = [...new Set(points.flatMap((p) => Object.keys(p.factors)))]; // list mode: points set different keys
    const slo = doc.slo || {};
    const first = points[0] || {};
    header(root, data.title, `${points.length} points · ${factors.length} factor${factors.length === 1 ? '' : 's'}: ` +
      `${factors.join(', ')} · ${first.replications} replications per point · ${(first.confidence || 0.95) * 100}% intervals`,
    Object.entries(slo).map(([p, v]) => ['SLO ' + p + ' ≤ ' + fmtUnit(v, unitOf(p))]));
    if (!points.length) {
      note(root, 'This sweep has no points.');
      return;
    }
    const available = new Set(points.flatMap((p) => Object.keys(p.figures)));
    const defaults = [...new Set(Object.keys(slo).concat(data.key_figures.map((f) => f.path), ['summary.throughput_per_s']))]
      .filter((p) => available.has(p));
    const labelOf = (path) => (data.key_figures.find((f) => f.path === path) || {}).label || path;
    const x = factors[0];
    const xs = [...new Set(points.map((p) => p.factors[x]))];
    const rest = factors.slice(1);
    const keyOf = (p) => rest.map((f) => f + ' = ' + p.factors[f]).join(', ');
    const lines = [...new Set(points.map(keyOf))];

    function lineChart(parent, path) {
      const unit = unitOf(path);
      const datasets = [];
      lines.forEach((line, k) => {
        const at = xs.map((v) => points.find((p) => p.factors[x] === v && keyOf(p) === line));
        const ci = at.map((p) => (p ? p.figures[path] : undefined));
        datasets.push({ label: line || path, data: ci.map((c) => (c && finite(c.mean) ? c.mean : null)), borderColor: colour(k),
          backgroundColor: colour(k), pointRadius: 3, borderWidth: 1.8, apqIntervals: ci.map(bounds), apqIntervalColour: colour(k) });
        datasets.push({ label: 'upper', data: ci.map((c) => (bounds(c) ? c.upper : null)), apqBand: true, apqGuide: true,
          borderWidth: 0, pointRadius: 0, fill: false });
        datasets.push({ label: 'lower', data: ci.map((c) => (bounds(c) ? c.lower : null)), apqBand: true, apqGuide: true,
          borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: rgba(colour(k), 0.15) });
      });
      if (finite(slo[path])) {
        datasets.push({ label: 'SLO ' + fmtUnit(slo[path], unit), data: xs.map(() => slo[path]), borderColor: VIOLATION,
          borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, apqGuide: true });
      }
      chart(parent, labelOf(path), path + ' against ' + x + (rest.length ? ', a line per ' + rest.join(' and ') : '') +
        ' (band: confidence interval)', {
        type: 'line',
        data: { labels: xs, datasets },
        options: { scales: { x: { title: { display: true, text: x } }, y: axis('linear', null, unit, { beginAtZero: unit !== 's' }) },
          plugins: { tooltip: { filter: (item) => !item.dataset.apqBand, callbacks: {
            label: (c) => c.dataset.label + ': ' + (c.dataset.apqIntervals ? fmtInterval(((points.find((p) => p.factors[x] === xs[c.dataIndex] && keyOf(p) === c.dataset.label) || {}).figures || {})[path], unit) : fmtUnit(c.parsed.y, unit)) } } } },
        plugins: [intervalsPlugin],
      });
    }

    function heatmap(parent, path) {
      const unit = unitOf(path);
      const [fx, fy] = factors;
      const ys = [...new Set(points.map((p) => p.factors[fy]))];
      const values = points.map((p) => p.figures[path]).filter((c) => c && finite(c.mean)).map((c) => c.mean);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const fig = el('div', { class: 'figure wide' }, el('h3', {}, labelOf(path) + ': ' + fy + ' × ' + fx),
        el('p', { class: 'caption' }, 'mean ± half-width; darker is larger' + (finite(slo[path]) ? '; ✗ where the interval is not within the SLO' : '')));
      const rows = ys.map((yv) => el('tr', {}, [el('td', { class: 'axis' }, yv)].concat(xs.map((xv) => {
        const p = points.find((q) => q.factors[fx] === xv && q.factors[fy] === yv);
        const c = p && p.figures[path];
        if (!c || !finite(c.mean)) return el('td', {}, '–');
        const t = hi > lo ? (c.mean - lo) / (hi - lo) : 0.5;
        const bg = `rgb(${Math.round(255 - 75 * t)},${Math.round(245 - 185 * t)},${Math.round(235 - 200 * t)})`;
        const bad = finite(slo[path]) && !(finite(c.upper) && c.upper <= slo[path]);
        return el('td', { 'data-value': c.mean, style: `background:${bg};color:${t > 0.6 ? '#fff' : '#1d2330'}` },
          fmtInterval(c, unit) + (finite(slo[path]) ? (bad ? ' ✗' : ' ✓') : ''));
      }))));
      fig.append(el('div', { class: 'scroll-x' }, el('table', { class: 'heatmap' }, el('thead', {}, el('tr', {},
        [el('th', { class: 'axis' }, fy + ' \\ ' + fx)].concat(xs.map((v) => el('th', {}, v))))), el('tbody', {}, rows))));
      parent.append(fig);
    }

    const s = section(root, 'Figures against ' + x, 'Each point is the mean over its replications; the band is its ' +
      'confidence interval' + (Object.keys(slo).length ? ', the dashed red line the SLO ([sweep.slo]).' : '.'));
    const g = grid(s);
    for (const path of defaults) lineChart(g, path);

    const pick = section(root, 'Any figure', 'Every figure of the points, against ' + x +
      (factors.length === 2 ? ', and as a heatmap of the two factors.' : '.'));
    const select = el('select', { id: 'apq-sweep-metric' }, [...available].sort().map((p) => el('option', { value: p }, p)));
    select.value = defaults[0] || [...available][0];
    pick.append(el('label', {}, 'figure: ', select));
    const holder = grid(pick);
    const draw = () => {
      for (const c of state.charts.filter((c) => c.picked)) c.chart.destroy();
      state.charts = state.charts.filter((c) => !c.picked);
      holder.replaceChildren();
      const before = state.charts.length;
      lineChart(holder, select.value);
      state.charts.slice(before).forEach((c) => { c.picked = true; });
      if (factors.length === 2) heatmap(holder, select.value);
    };
    select.addEventListener('change', draw);
    draw();

    const t = section(root, 'Results', 'Every point with the key figures (as apqsim sweep prints them).');
    const kf = data.key_figures.filter((f) => available.has(f.path));
    table(t, [['point']].concat(factors.map((f) => [f, true]), kf.map((f) => [f.label])), points.map((p) =>
      [String(p.point)].concat(factors.map((f) => (f in p.factors ? p.factors[f] : '–')), kf.map((f) => fmtInterval(p.figures[f.path], f.unit)))), { scroll: true });
    warningsBox(t, points.flatMap((p) => (p.warnings || []).map((w) => ['point ' + p.point, w])));
    manifestSection(root, first.manifest);
  }

  // --- plan -----------------------------------------------------------------------------------------------

  const VERDICT = {
    meets: { cls: 'status-ok', colour: '#009E73' },
    fails: { cls: 'status-bad', colour: '#D55E00' },
    undecided: { cls: 'status-warn', colour: '#E69F00' },
  };
  function verdictOf(status) {
    return VERDICT[status] || { cls: 'status-skip', colour: '#999999' };
  }

  function renderPlan(root, doc, data) {
    const candidates = doc.candidates || [];
    const conf = doc.confidence || 0.95;
    const badges = [doc.answer ? ['answer: ' + doc.answer, 'ok'] : ['no candidate is known to meet the SLOs', 'bad']];
    if ((doc.undecided || []).length) badges.push([doc.undecided.length + ' undecided before the answer', 'warn']);
    header(root, data.title, `${candidates.length} candidates judged, smallest first · ${doc.replications || '?'} ` +
      `replications each · SLOs ${(doc.slos || []).join(', ')} · each judged at ` +
      `${Number((100 * (doc.per_slo_confidence || conf)).toPrecision(3))}% (${doc.correction || 'bonferroni'}: ` +
      `${conf * 100}% for all together)`, badges);
    const s = section(root, 'Verdicts', 'Candidates in search order. An SLO is met when its whole interval is within ' +
      'it, failed when its whole interval is beyond it, undecided when the interval straddles it (more replications ' +
      'would decide); a latency SLO "p99 ≤ x" is judged as the fraction of requests slower than x, at most 1%. The ' +
      'first candidate that meets every SLO is the answer.');
    const status = (c) => el('span', { class: verdictOf(c.status).cls }, c.status);
    // One line per SLO, coloured by its verdict.
    const verdictLines = (c) => el('div', {}, (c.verdicts || []).map((v) => el('div', {},
      el('span', { class: verdictOf(v.verdict).cls }, v.verdict), ' ' + v.text)));
    table(s, [['status', true], ['candidate', true], ['verdicts', true]], candidates.map((c) =>
      [status(c), c.label, c.reason ? 'not simulated: ' + c.reason : verdictLines(c)]));
    if (doc.nearest_failing) note(s, 'Nearest configuration that fails: ' + doc.nearest_failing + '.');
    if ((doc.undecided || []).length) note(s, 'Undecided before the answer: ' + doc.undecided.join('; ') + '.');
    warningsBox(s, candidates.flatMap((c) => (c.warnings || []).map((w) => [c.label, w])));
    const g = grid(section(root, 'Candidates against each SLO', 'The fraction each SLO bounds, per candidate: ' +
      'estimate (bar) and interval (whisker) against the limit (dashed); green meets, red fails, amber undecided. A ' +
      'candidate over capacity is not simulated.'));
    // One factor: its value names the candidate; several: the whole label.
    const single = candidates.length && Object.keys(candidates[0].set || {}).length === 1;
    const labels = candidates.map((c) => (single ? c.label.slice(c.label.indexOf('=') + 1).trim() : c.label));
    for (const slo of doc.slos || []) {
      const verdicts = candidates.map((c) => (c.verdicts || []).find((v) => v.slo === slo && finite(v.estimate)));
      if (!verdicts.some(Boolean)) continue;
      const limit = (verdicts.find(Boolean) || {}).limit;
      const measure = (verdicts.find(Boolean) || {}).measure || slo;
      const ivs = verdicts.map((v) => (v ? { mean: v.estimate, lower: v.lower, upper: v.upper } : null));
      chart(g, slo, measure + ' per candidate, at most ' + fmtPercent(limit), {
        type: 'bar',
        data: { labels, datasets: [
          { type: 'bar', label: measure, data: ivs.map((ci) => (ci ? ci.mean : null)), apqIntervals: ivs.map(bounds),
            backgroundColor: verdicts.map((v) => rgba(verdictOf(v && v.verdict).colour, 0.6)), borderWidth: 0,
            minBarLength: 2 },
          { type: 'line', label: 'limit', data: labels.map(() => limit), borderColor: VIOLATION, borderDash: [6, 4],
            pointRadius: 0, borderWidth: 1.5, apqGuide: true },
        ] },
        options: { scales: { y: axis('linear', null, 'fraction', spanOf(ivs, [limit])) },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => {
            const v = verdicts[ctx.dataIndex];
            return ctx.datasetIndex === 0 && v ? v.text : 'limit ' + fmtPercent(limit);
          } } } } },
        plugins: [intervalsPlugin],
      });
    }
    if (doc.file) manifestSection(root, { config_file: doc.file });
  }

  // --- explore --------------------------------------------------------------------------------------------

  function renderExplore(root, doc, data) {
    const strategies = doc.strategies || [];
    const classes = doc.classes || [];
    const bad = (doc.unexpected_violations === true) || strategies.some((st) => (st.unexpected || []).length);
    header(root, data.title, `${(doc.operations || []).length} operations interleaved in every order under ` +
      `${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'}`,
    [bad ? ['a schedule reaches an unexpected violation', 'bad'] : ['no unexpected violation', 'ok']]);
    const o = section(root, 'Operations', 'The timeline\'s operations, raced against each other.');
    table(o, [['operation', true], ['what', true]], (doc.operations || []).map((x) => [x.name, x.operation]));
    for (const w of doc.warnings || []) o.append(el('div', { class: 'warning' }, w));
    const label = (k) => {
      const cls = classes[k - 1] || {};
      return '#' + k + ' ' + (cls.headline || cls.key || '');
    };
    const s = section(root, 'Outcomes per strategy', 'How many schedules end in each outcome class; a search that is ' +
      'not exhaustive says what bounded it.');
    const fraction = (st, out) => {
      const total = Number(st.schedules);
      return total > 0 ? Number(out.schedules) / total : 0;
    };
    // Classes with a violation in warm colours, the others in cool ones, each distinct.
    const WARM = [VIOLATION, '#D55E00', '#CC79A7', '#E69F00', '#8c2d04', '#f781bf'];
    const COOL = ['#56B4E9', '#009E73', '#0072B2', '#999933', '#000000', '#88CCEE'];
    let warm = 0;
    let cool = 0;
    const fill = classes.map((cls) => ((cls.violations || []).length ? WARM[warm++ % WARM.length] : COOL[cool++ % COOL.length]));
    chart(s, 'Schedules by outcome', 'fraction of each strategy\'s schedules that end in each class', {
      type: 'bar',
      data: { labels: strategies.map((st) => st.label), datasets: classes.map((cls, k) => ({
        label: label(k + 1),
        data: strategies.map((st) => {
          const out = (st.outcomes || []).find((x) => x.class === k + 1);
          return out ? fraction(st, out) : 0;
        }),
        backgroundColor: fill[k],
      })) },
      options: { indexAxis: 'y', scales: { x: axis('linear', null, 'fraction', { stacked: true, min: 0, max: 1 }),
        y: { stacked: true } },
      plugins: { tooltip: { callbacks: { label: (ctx) => {
        const st = strategies[ctx.dataIndex];
        const out = (st.outcomes || []).find((x) => x.class === ctx.datasetIndex + 1);
        return ctx.dataset.label + ': ' + (out ? out.schedules_text + ' schedules' : 'none');
      } } } } },
    }, 90 + 36 * strategies.length);
    table(s, [['strategy', true], ['states'], ['transitions'], ['schedules'], ['exhaustive', true]]
      .concat(classes.map((_, k) => ['#' + (k + 1)])), strategies.map((st) => [st.label, fmtCount(st.states),
      fmtCount(st.transitions), st.schedules_text, st.exhaustive ? 'yes' : 'no: ' + (st.bound || '')]
      .concat(classes.map((_, k) => {
        const out = (st.outcomes || []).find((x) => x.class === k + 1);
        return out ? out.schedules_text : '–';
      }))));
    const legend = el('ol', {}, classes.map((cls, k) => el('li', {}, label(k + 1) +
      ((cls.violations || []).length ? ' — violations: ' + cls.violations.join(', ') : ''))));
    s.append(legend);
    for (const st of strategies) {
      const w = section(root, 'Under ' + st.label, `${st.name} (${st.file}): the shortest schedule to each outcome ` +
        'class, step by step' + ((st.expect || []).length ? '; expected violations: ' + st.expect.join(', ') : '') + '.');
      for (const u of st.unexpected || []) w.append(el('div', { class: 'violation' }, 'Unexpected: ' + u));
      for (const x of st.warnings || []) w.append(el('div', { class: 'warning' }, x));
      for (const out of st.outcomes || []) {
        const d = el('details', {}, el('summary', {}, `${label(out.class)}: ${out.schedules_text} schedules` +
          (out.reproducer ? ' · reproducer ' + out.reproducer : '')));
        const box = el('div', {});
        table(box, [['operation', true], ['op', true], ['step', true], ['result', true], ['where', true]],
          (out.witness || []).map((x) => [x.operation, x.op, x.step, x.result, x.where]));
        d.append(box);
        w.append(d);
      }
    }
    manifestSection(root, doc.manifest);
  }

  // --- main -----------------------------------------------------------------------------------------------

  // A kind of result per renderer (html_report.cpp report_kind()).
  const RENDERERS = { run: renderRun, replicated: renderReplicated, compare: renderCompare, sweep: renderSweep,
    plan: renderPlan, explore: renderExplore };

  const root = document.getElementById('report');
  root.replaceChildren();
  try {
    const data = JSON.parse(document.getElementById('apq-data').textContent);
    if (!window.Chart) throw new Error('Chart.js did not load');
    const render = RENDERERS[data.kind];
    if (!render) throw new Error('this report viewer does not know results of kind "' + data.kind + '"');
    render(root, data.document, data);
    const empty = state.charts.filter((c) => !drewData(c.chart)).map((c) => c.title);
    if (empty.length) state.errors.push('charts without data: ' + empty.join(', '));
    root.append(el('footer', {}, `${data.title} · report by apqsim with ${data.chart_js} · ${state.charts.length} charts`));
  } catch (e) {
    state.errors.push(String(e && e.stack ? e.stack : e));
    console.error(e);
  }
  if (state.errors.length) {
    root.prepend(el('div', { class: 'error' }, 'This report could not be drawn completely: ' + state.errors.join('; ')));
  }
  state.drawMs = Math.round(performance.now() - started);
  state.done = true;
})();
