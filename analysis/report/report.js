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
    const format = (v) => fmtUnit(v, unit);
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

  /** An interval figure {mean, half_width, lower, upper, n} as text. */
  function fmtInterval(ci, unit, signed) {
    if (!ci) return '–';
    const f = signed ? (x) => fmtSigned(x, unit) : (x) => fmtUnit(x, unit);
    return ci.half_width === null || ci.half_width === undefined
      ? f(ci.mean) + ' (n=' + ci.n + ')'
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

  /** The series of a run, per guest when the result has them (else all guests together). */
  function seriesSets(series) {
    if (!series || !finite(series.window_s) || series.window_s <= 0) return null;
    if (series.guests && Object.keys(series.guests).length) return { window: series.window_s, sets: series.guests };
    if (series.all) return { window: series.window_s, sets: { all: series.all } };
    if (Array.isArray(series.completed)) {
      return { window: series.window_s, sets: { all: { completed: series.completed, mean_latency_s: series.mean_latency_s } } };
    }
    return null;
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
    if (doc.baseline && doc.baseline.latency_s) rows.push(row('baseline (all)', doc.baseline));
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
    const w = doc.reconfig_windows;
    if (w && w.count > 0) {
      note(summary, `Inside ${w.count} reconfiguration windows (${fmtDuration(w.seconds)}): ${fmtCount(w.completed)} ` +
        `completed, p99 ${fmtDuration(w.latency_s.p99)}, p999 ${fmtDuration(w.latency_s.p999)}` +
        (w.baseline_latency_s ? `; the baseline in the same windows: p99 ${fmtDuration(w.baseline_latency_s.p99)}, ` +
          `p999 ${fmtDuration(w.baseline_latency_s.p999)}` : '') + '.');
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
    if (w && w.count > 0) {
      curves.push({ label: 'inside reconfiguration windows', colour: '#D55E00', points: ccdfPoints(w.latency_ccdf, w.latency_s) });
      if (w.baseline_latency_s) curves.push({ label: 'baseline, same windows', dashed: true, colour: '#E69F00', points: ccdfPoints(w.baseline_latency_ccdf, w.baseline_latency_s) });
    }
    ccdfChart(dg, doc.baseline ? 'Reconfiguration against the baseline' : 'All guests', 'measured after the warm-up', curves);
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
      const rows = operations.map((o) => [fmtDuration(o.start), o.actor || '', o.op || '', o.target || '',
        el('span', { class: o.result === 'ok' ? 'status-ok' : 'status-bad' }, o.result), fmtCount(o.attempts),
        fmtDuration(o.end - o.start)]);
      s.append(el('h3', {}, `Operations (${operations.length})`));
      table(s, [['start'], ['actor', true], ['operation', true], ['target', true], ['result', true], ['attempts'],
        ['duration']], rows, { scroll: true });
    }
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
    header(root, data.title, `${rep.count} replications (seeds ${(m.seeds || []).join(', ')}) · ${conf * 100}% ` +
      'confidence intervals (Student t)' + (rep.warmup_detected ? ` · warm-up ${fmtDuration(rep.warmup_s)} (${rep.warmup_detected})` : ''),
    [[`${rep.count} replications`]]);
    const s = section(root, 'Figures', 'Mean over the replications ± the half-width of its confidence interval.');
    const guests = [...new Set(Object.keys(F).filter((p) => p.startsWith('guests.')).map((p) => p.split('.')[1]))];
    const rows = [['throughput', 'summary.throughput_per_s'], ['completed', 'summary.completed'],
      ['failed', 'summary.failed'], ['throughput loss', 'summary.throughput_loss']]
      .concat(['mean', 'p50', 'p90', 'p99', 'p999', 'max'].map((q) => ['latency ' + q, 'summary.latency_s.' + q]))
      .concat(guests.flatMap((g) => [[g + ' throughput', `guests.${g}.throughput_per_s`], [g + ' p99', `guests.${g}.latency_s.p99`]]))
      .concat([['p99 inside reconfiguration windows', 'reconfig_windows.latency_s.p99'],
        ['deadlocks per run', 'monitors.deadlocks'], ['stolen queues per run', 'monitors.stolen_queues'],
        ['lock-order inversions per run', 'monitors.lock_order_inversions']])
      .filter(([, p]) => F[p]);
    table(s, [['figure', true], ['mean ± half-width'], ['interval'], ['n']], rows.map(([label, p]) =>
      [label, fmtInterval(F[p], unitOf(p)), bounds(F[p]) ? `[${fmtUnit(F[p].lower, unitOf(p))}, ${fmtUnit(F[p].upper, unitOf(p))}]` : '–', F[p].n]));
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
    header(root, data.title, `${variants.length} variants · ${c.replications} replications each with common random ` +
      `numbers (seeds ${((doc.manifest || {}).seeds || []).join(', ')}) · ${conf * 100}% intervals`,
    [['reference: ' + c.reference]]);
    const figures = data.key_figures.concat([{ label: 'throughput', path: 'summary.throughput_per_s', unit: 'rate' }])
      .filter((f) => variants.some((v) => v.figures[f.path]));
    const s = section(root, 'Figures per variant', 'Mean over the replications ± the half-width of its confidence ' +
      'interval.');
    table(s, [['variant', true]].concat(figures.map((f) => [f.label])), variants.map((v) =>
      [v.name].concat(figures.map((f) => fmtInterval(v.figures[f.path], f.unit)))));
    const g = grid(s);
    for (const f of figures) {
      intervalBars(g, f.label, f.path, names, variants.map((v) => v.figures[f.path]), f.unit, false);
    }
    const others = variants.slice(1);
    if (!others.length) return;
    const p = section(root, 'Paired differences against ' + c.reference, 'Replication r of every variant sees the ' +
      'same requests (common random numbers), so the difference of each pair is measured more precisely than the ' +
      'figures themselves; an interval that does not contain 0 is a difference the replications support.');
    table(p, [['variant', true]].concat(figures.map((f) => [f.label])), others.map((v) =>
      [v.name].concat(figures.map((f) => fmtInterval(v.paired_vs_reference[f.path], f.unit, true)))));
    const pg = grid(p);
    for (const f of figures) {
      const ivs = others.map((v) => v.paired_vs_reference[f.path]);
      if (!ivs.some((ci) => ci && finite(ci.mean))) continue;
      chart(pg, f.label + ' − ' + c.reference, 'mean difference (dot) and its interval (bar)', {
        type: 'bar',
        data: { labels: others.map((v) => v.name), datasets: [
          { label: 'interval', data: ivs.map((ci) => (bounds(ci) || (ci && finite(ci.mean) ? [ci.mean, ci.mean] : null))),
            apqMarks: ivs.map((ci) => ci && ci.mean), apqIntervals: ivs.map(() => null),
            backgroundColor: others.map((_, k) => rgba(colour(k + 1), 0.35)), borderColor: others.map((_, k) => colour(k + 1)),
            borderWidth: 1, barPercentage: 0.5 },
        ] },
        options: { indexAxis: 'y', scales: { x: axis('linear', null, f.unit) },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => fmtInterval(ivs[ctx.dataIndex], f.unit, true) } } } },
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
    const factors = points.length ? Object.keys(points[0].factors) : [];
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
      [String(p.point)].concat(factors.map((f) => p.factors[f]), kf.map((f) => fmtInterval(p.figures[f.path], f.unit)))), { scroll: true });
    manifestSection(root, first.manifest);
  }

  // --- plan -----------------------------------------------------------------------------------------------

  function renderPlan(root, doc, data) {
    const plan = doc.plan || {};
    const slo = plan.slo || {};
    const candidates = doc.candidates || [];
    header(root, data.title, `${candidates.length} candidates judged, smallest first · ${plan.replications || '?'} ` +
      `replications each · ${(plan.confidence || 0.95) * 100}% intervals: an SLO is met when its whole interval is ` +
      'within it', [doc.answer ? ['answer: ' + doc.answer, 'ok'] : ['no candidate meets the SLOs', 'bad']]
      .concat(Object.entries(slo).map(([p, v]) => ['SLO ' + p + ' ≤ ' + fmtUnit(v, unitOf(p))])));
    const s = section(root, 'Verdicts', 'Candidates in search order; the first that meets every SLO is the answer, ' +
      'the one before it the nearest that fails.');
    const status = (c) => el('span', { class: c.status === 'meets' ? 'status-ok' : c.status === 'fails' ? 'status-bad' : 'status-skip' }, c.status);
    table(s, [['status', true], ['candidate', true], ['verdicts', true]], candidates.map((c) =>
      [status(c), c.label, c.reason ? 'skipped without simulation: ' + c.reason : c.verdicts.join('; ')]));
    if (doc.nearest_failing) note(s, 'Nearest configuration that fails: ' + doc.nearest_failing + '.');
    const g = grid(section(root, 'Candidates against each SLO', 'Mean and confidence interval of the figure each ' +
      'SLO bounds; green: the whole interval is within the SLO (dashed line), red: it is not; a candidate over ' +
      'capacity is not simulated.'));
    // One factor: its value names the candidate; several: the whole label.
    const single = candidates.length && Object.keys(candidates[0].set || {}).length === 1;
    const labels = candidates.map((c) => (single ? c.label.slice(c.label.indexOf('= ') + 2) : c.label));
    for (const [path, limit] of Object.entries(slo)) {
      const ivs = candidates.map((c) => c.figures && c.figures[path]);
      if (!ivs.some((ci) => ci && finite(ci.mean))) continue;
      const unit = unitOf(path);
      const met = ivs.map((ci) => ci && finite(ci.upper) && ci.upper <= limit);
      chart(g, path + ' ≤ ' + fmtUnit(limit, unit), 'per candidate', {
        type: 'bar',
        data: { labels, datasets: [
          { type: 'bar', label: path, data: ivs.map((ci) => (ci && finite(ci.mean) ? ci.mean : null)), apqIntervals: ivs.map(bounds),
            backgroundColor: met.map((ok) => (ok ? rgba('#009E73', 0.6) : rgba('#D55E00', 0.6))), borderWidth: 0 },
          { type: 'line', label: 'SLO', data: labels.map(() => limit), borderColor: VIOLATION, borderDash: [6, 4], pointRadius: 0,
            borderWidth: 1.5, apqGuide: true },
        ] },
        options: { scales: { y: axis('linear', null, unit, spanOf(ivs, [limit])) },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => (c.datasetIndex === 0 ? fmtInterval(ivs[c.dataIndex], unit) : 'SLO ' + fmtUnit(limit, unit)) } } } },
        plugins: [intervalsPlugin],
      });
    }
    if (plan.file) manifestSection(root, { config_file: plan.file });
  }

  // --- main -----------------------------------------------------------------------------------------------

  // A kind of result per renderer; an explore report is one more entry here.
  const RENDERERS = { run: renderRun, replicated: renderReplicated, compare: renderCompare, sweep: renderSweep, plan: renderPlan };

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
